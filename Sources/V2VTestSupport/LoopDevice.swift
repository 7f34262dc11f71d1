import Foundation
import V2VProcess

/// Loop devices for tests that need a real block device. Partition scanning and /dev nodes are not a given
/// on the build machines (no udev): `partx -a` and `mknod` fill in what is missing, and ``detach(_:partitions:)``
/// removes it again.
public enum LoopDevice {
  /// Attaches `image` to a free loop device (read-only when asked) with its first `partitions` partition
  /// nodes (`/dev/loopNp1`, …) and returns the device.
  public static func attach(_ image: String, partitions: Int, readOnly: Bool = false) throws -> String {
    let r = try ProcessRunner.run(["losetup", "-f", "--show", "-P"] + (readOnly ? ["--read-only"] : []) + [image])
    guard r.succeeded else { throw FixtureError(description: "losetup \(image): \(r.stderr)") }
    let dev = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let name = (dev as NSString).lastPathComponent
    for i in stride(from: 1, through: partitions, by: 1) {
      let sys = "/sys/class/block/\(name)p\(i)/dev"
      var tries = 0
      while !FileManager.default.fileExists(atPath: sys) && tries < 50 {
        if tries % 10 == 0 { _ = try ProcessRunner.run(["partx", "-a", dev]) }
        Thread.sleep(forTimeInterval: 0.1)
        tries += 1
      }
      let node = "\(dev)p\(i)"
      if !FileManager.default.fileExists(atPath: node), let mm = try? String(contentsOfFile: sys, encoding: .utf8) {
        let parts = mm.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").map(String.init)
        let made = try ProcessRunner.run(["mknod", node, "b"] + parts)
        guard made.succeeded else { throw FixtureError(description: "mknod \(node): \(made.stderr)") }
      }
    }
    return dev
  }

  /// Detaches a device from ``attach(_:partitions:readOnly:)`` and removes the partition nodes left behind.
  public static func detach(_ dev: String, partitions: Int) {
    for i in stride(from: 1, through: partitions, by: 1) { _ = try? ProcessRunner.run(["partx", "-d", "--nr", "\(i)", dev]) }
    _ = try? ProcessRunner.run(["losetup", "-d", dev])
    for i in stride(from: 1, through: partitions, by: 1) {
      let node = "\(dev)p\(i)"
      if !FileManager.default.fileExists(atPath: "/sys/class/block/\((dev as NSString).lastPathComponent)p\(i)") {
        try? FileManager.default.removeItem(atPath: node)
      }
    }
  }
}
