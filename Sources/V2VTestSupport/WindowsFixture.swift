import Foundation
import V2VProcess

/// The phony-Windows fixture built by `Fixtures/windows/build.sh` (cached outside the repository): a
/// Windows Server 2019 VMX, a Windows 10 OVA, a BitLocker-looking disk, and a fake virtio-win tree and ISO.
public struct WindowsFixture: Sendable {
  /// The cache directory.
  public var directory: String
  /// manifest.json, parsed.
  public var manifest: [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json")))) as? [String: Any]
      ?? [:]
  }

  /// A disk entry's string field (`win2019`, `hostname`); file names become absolute paths.
  public func field(_ disk: String, _ key: String) throws -> String {
    guard let disks = manifest["disks"] as? [String: Any], let d = disks[disk] as? [String: Any], let v = d[key] else {
      throw FixtureError(description: "\(directory)/manifest.json has no disks.\(disk).\(key)")
    }
    let s = "\(v)"
    let p = directory + "/" + s
    return ["vmx", "vmdk", "ova", "ovf", "ovaDisk"].contains(key) && FileManager.default.fileExists(atPath: p) ? p : s
  }

  /// The virtio-win tree.
  public var virtioWinTree: String { directory + "/virtio-win" }
  /// The virtio-win ISO.
  public var virtioWinISO: String { directory + "/virtio-win.iso" }

  /// Makes a variant virtio-win tree in `dir` with `Fixtures/windows/make-virtio-win.sh` (OS folders,
  /// arch folders and drivers as given; nil keeps the default).
  public static func virtioWin(in dir: String, oses: String? = nil, arches: String? = nil, drivers: String? = nil) throws -> String {
    var env = ProcessInfo.processInfo.environment
    if let oses { env["VIRTIO_WIN_OSES"] = oses }
    if let arches { env["VIRTIO_WIN_ARCHES"] = arches }
    if let drivers { env["VIRTIO_WIN_DRIVERS"] = drivers }
    let r = try ProcessRunner.run(["bash", RepoPaths.fixtures + "/windows/make-virtio-win.sh", dir], timeout: 300, environment: env)
    guard r.succeeded else { throw FixtureError(description: "make-virtio-win.sh failed: \(r.stderr)") }
    return dir
  }

  /// Builds the fixture (or reuses the cache). Built once per test process.
  public static func get() throws -> WindowsFixture { try WindowsFixtureCache.shared.get() }
}

final class WindowsFixtureCache: @unchecked Sendable {
  static let shared = WindowsFixtureCache()
  private let lock = NSLock()
  private var built: Result<WindowsFixture, FixtureError>?

  func get() throws -> WindowsFixture {
    lock.lock()
    defer { lock.unlock() }
    if let built { return try built.get() }
    let r = Result { () throws -> WindowsFixture in
      let run = try ProcessRunner.run(["bash", RepoPaths.fixtures + "/windows/build.sh"], timeout: 1800)
      guard run.succeeded, let dir = run.stdout.split(separator: "\n").last.map(String.init) else {
        throw FixtureError(description: "Fixtures/windows/build.sh failed (status \(run.status)):\n\(run.stderr.split(separator: "\n").suffix(15).joined(separator: "\n"))")
      }
      return WindowsFixture(directory: dir)
    }.mapError { ($0 as? FixtureError) ?? FixtureError(description: "\($0)") }
    built = r
    return try r.get()
  }
}
