import Foundation
import V2VProcess
import V2VCore
import V2VModel

/// A real guest built by `Fixtures/build-fixture.sh NAME` and cached outside the repository.
public struct GuestFixture: Sendable {
  /// Recipe name (`vmware-debian12-bios`).
  public var name: String
  /// Hash of the recipe the cache entry was built from.
  public var recipeHash: String
  /// The guest's hostname.
  public var hostname: String
  /// The marker its boot unit prints on the serial console.
  public var marker: String
  /// The root device as the guest names it.
  public var rootDevice: String
  /// VMX file (VMware fixtures; empty otherwise).
  public var vmx: String
  /// monolithicSparse VMDK the VMX names (VMware fixtures; empty otherwise).
  public var vmdk: String
  /// OVA archive (VMware fixtures; empty otherwise).
  public var ova: String
  /// The fixture's cache directory.
  public var directory: String
  /// Every string field of manifest.json; those naming a file of the fixture are absolute paths.
  public var fields: [String: String]

  /// The absolute path of the file manifest.json names under `key` (`image`, `xenConfig`, …).
  public func file(_ key: String) throws -> String {
    guard let p = fields[key], p.hasPrefix("/") else { throw FixtureError(description: "fixture \(name) has no file '\(key)'") }
    return p
  }

  /// Builds the fixture (or reuses the cache) and returns it. Built once per test process.
  public static func named(_ name: String) throws -> GuestFixture {
    try FixtureCache.shared.get(name)
  }
}

/// Errors building fixtures.
public struct FixtureError: Error, CustomStringConvertible {
  /// What went wrong.
  public var description: String
  /// Creates the error.
  public init(description: String) { self.description = description }
}

/// Builds each fixture at most once per process, whatever the test parallelism.
final class FixtureCache: @unchecked Sendable {
  static let shared = FixtureCache()
  private let lock = NSLock()
  private var built: [String: Result<GuestFixture, FixtureError>] = [:]

  func get(_ name: String) throws -> GuestFixture {
    lock.lock()
    defer { lock.unlock() }
    if let r = built[name] { return try r.get() }
    let r = Result { try build(name) }.mapError { ($0 as? FixtureError) ?? FixtureError(description: "\($0)") }
    built[name] = r
    return try r.get()
  }

  private func build(_ name: String) throws -> GuestFixture {
    let script = RepoPaths.fixtures + "/build-fixture.sh"
    let r = try ProcessRunner.run(["bash", script, name], timeout: 3600)
    guard r.succeeded, let dir = r.stdout.split(separator: "\n").last.map(String.init) else {
      let tail = r.stderr.split(separator: "\n").suffix(15).joined(separator: "\n")
      throw FixtureError(description: "build-fixture.sh \(name) failed (status \(r.status)):\n\(tail)")
    }
    let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/manifest.json"))
    guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw FixtureError(description: "\(dir)/manifest.json is not a JSON object")
    }
    var fields: [String: String] = [:]
    for (k, v) in obj {
      guard let s = v as? String else { continue }
      let p = dir + "/" + s
      fields[k] = !s.isEmpty && !s.contains("/") && FileManager.default.fileExists(atPath: p) ? p : s
    }
    func need(_ k: String) throws -> String {
      guard let v = fields[k] else { throw FixtureError(description: "\(dir)/manifest.json lacks \(k)") }
      return v
    }
    return GuestFixture(
      name: try need("name"), recipeHash: try need("recipeHash"), hostname: try need("hostname"), marker: try need("marker"),
      rootDevice: try need("rootDevice"), vmx: fields["vmx"] ?? "", vmdk: fields["vmdk"] ?? "", ova: fields["ova"] ?? "",
      directory: dir, fields: fields)
  }
}
