import Foundation
import V2VProcess
import Testing
import V2VCore
import V2VModel
import V2VTestSupport

/// Failures through the real binary: one clear line on stderr, the documented exit code, no output that
/// looks finished, overlays removed, the source untouched.
@Suite("convert failures", .serialized, .offPool)
struct FailureTests {
  /// A VMX naming a blank 64 MiB disk with an empty ext4 filesystem: no operating system on it.
  static func blankVM(in dir: TempDir) throws -> (vmx: String, disk: String) { try blankVM(in: dir.path) }

  /// The same, in the folder `path` (`blank.vmx`, `blank.img`).
  static func blankVM(in path: String) throws -> (vmx: String, disk: String) {
    let disk = path + "/blank.img"
    #expect(try ProcessRunner.run(["qemu-img", "create", "-q", "-f", "raw", disk, "64M"]).succeeded)
    #expect(try ProcessRunner.run(["mkfs.ext4", "-q", "-F", disk]).succeeded)
    let vmx = path + "/blank.vmx"
    try """
      .encoding = "UTF-8"
      displayName = "blank"
      memSize = "512"
      scsi0.present = "TRUE"
      scsi0.virtualDev = "lsilogic"
      scsi0:0.present = "TRUE"
      scsi0:0.fileName = "blank.img"
      """.write(toFile: vmx, atomically: true, encoding: .utf8)
    return (vmx, disk)
  }

  func listing(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

  @Test("a missing output directory: exit 6 before any slow work")
  func missingOutputDirectory() throws {
    let dir = try TempDir()
    let (vmx, _) = try Self.blankVM(in: dir)
    let start = Date()
    let r = try V2VRun.run(["convert", "-i", "vmx", vmx, "-o", "local", "-os", dir.path + "/nope"])
    #expect(r.status == 6)
    #expect(r.stderr.contains("v2v: error: \(dir.path)/nope: output directory does not exist"), "\(r.stderr)")
    #expect(Date().timeIntervalSince(start) < 10, "refused before starting the appliance")
  }

  @Test("a full output filesystem: exit 6 before any slow work, nothing written")
  func fullOutputDirectory() throws {
    let dir = try TempDir()
    let (vmx, _) = try Self.blankVM(in: dir)
    let small = dir.path + "/small"
    try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
    let mount = try ProcessRunner.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small])
    #expect(mount.succeeded, "mounting a 1 MiB tmpfs needs root: \(mount.stderr)")
    defer { _ = try? ProcessRunner.run(["umount", small]) }
    let r = try V2VRun.run(["convert", "-i", "vmx", vmx, "-o", "local", "-os", small])
    #expect(r.status == 6)
    #expect(r.stderr.contains("not enough free space"), "\(r.stderr)")
    #expect(listing(small).isEmpty)
  }

  @Test("a disk with no operating system: exit 5, no output, overlays removed, source untouched")
  func noOperatingSystem() throws {
    let dir = try TempDir()
    let (vmx, disk) = try Self.blankVM(in: dir)
    let before = try sha256(disk)
    let out = dir.path + "/out", work = dir.path + "/work"
    for d in [out, work] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
    let r = try V2VRun.run(["convert", "-i", "vmx", vmx, "-o", "local", "-os", out, "--work-dir", work])
    #expect(r.status == 5)
    #expect(r.stderr.contains("no operating system found"), "\(r.stderr)")
    #expect(r.stderr.split(separator: "\n").filter { $0.hasPrefix("v2v: error:") }.count == 1)
    #expect(listing(out).isEmpty)
    #expect(listing(work).isEmpty)
    #expect(try sha256(disk) == before)
  }
}
