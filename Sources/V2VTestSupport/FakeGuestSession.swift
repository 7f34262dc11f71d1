import Foundation
import V2VCore
import V2VModel

/// A ``GuestSession`` over a directory tree on the host, for converter tests.
///
/// Guest paths are resolved under `root` the way a chroot would: symbolic links (absolute or relative) are
/// followed inside the tree and `..` in a link target stops at the root. Guest paths given by callers must be
/// absolute and must not contain `..` (rejected with ``FakeGuestSession/Failure``). `run` executes nothing: it
/// records the argv and answers from canned responses chosen by the longest matching argv prefix.
public final class FakeGuestSession: GuestSession {
  /// The host directory standing for the guest's `/`.
  public let root: String
  /// Every argv passed to `run`, in order.
  public private(set) var commands: [[String]] = []
  private var responses: [(prefix: [String], respond: (FakeGuestSession, [String]) throws -> String)] = []
  /// Whether writing a file creates its missing parent directories. False by default, as in the real
  /// appliance, so a converter writing into a directory the guest lacks is caught; tests that build a tree
  /// through the session set it.
  public var createsParentDirectories = false
  /// The bytes of appliance devices (`/dev/sda`) for ``readDevice(_:offset:count:)``; unknown devices read
  /// as empty.
  public var devices: [String: [UInt8]] = [:]
  /// Filesystem UUIDs by appliance device (`filesystemUUID`).
  public var uuids: [String: String] = [:]
  /// What ``blockDeviceIdentities()`` answers (nil: the session cannot tell).
  public var identities: [BlockDeviceIdentity]?
  /// Owners set through the session, by host path (the host files keep theirs).
  private var owners: [String: (uid: Int, gid: Int)] = [:]

  /// Errors of the fake: a path escaping the root or a canned command failure.
  public struct Failure: Error, CustomStringConvertible, Equatable {
    /// What went wrong.
    public var description: String
  }

  /// A session over `root` (a host directory).
  public init(root: String) {
    self.root = URL(fileURLWithPath: root).standardizedFileURL.path
  }

  /// `run` of an argv starting with `prefix` returns `output`.
  public func respond(to prefix: [String], with output: String) {
    responses.append((prefix, { _, _ in output }))
  }

  /// `run` of an argv starting with `prefix` throws (a non-zero exit).
  public func fail(_ prefix: [String], message: String = "exit status 1") {
    responses.append((prefix, { _, argv in throw Failure(description: "\(argv.joined(separator: " ")): \(message)") }))
  }

  /// `run` of an argv starting with `prefix` calls `action`, which may change the tree (a fake grub-mkconfig).
  public func onRun(_ prefix: [String], _ action: @escaping (FakeGuestSession, [String]) throws -> String) {
    responses.append((prefix, action))
  }

  /// The host path for a guest path, links resolved inside the root (the last component too when `follow`).
  public func hostPath(_ guestPath: String, follow: Bool = true) throws -> String {
    guard guestPath.hasPrefix("/") else { throw Failure(description: "not an absolute guest path: \(guestPath)") }
    let parts = guestPath.split(separator: "/").map(String.init)
    if parts.contains("..") { throw Failure(description: "guest path escapes with '..': \(guestPath)") }
    var resolved: [String] = []
    var pending = parts.filter { $0 != "." }
    var hops = 0
    while !pending.isEmpty {
      let name = pending.removeFirst()
      if name == "." { continue }
      if name == ".." {
        if !resolved.isEmpty { resolved.removeLast() }
        continue
      }
      let host = root + "/" + (resolved + [name]).joined(separator: "/")
      let isLast = pending.isEmpty
      if !isLast || follow, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: host) {
        hops += 1
        if hops > 40 { throw Failure(description: "too many levels of links: \(guestPath)") }
        if target.hasPrefix("/") { resolved = [] }
        pending = target.split(separator: "/").map(String.init) + pending
        continue
      }
      resolved.append(name)
    }
    return root + (resolved.isEmpty ? "" : "/" + resolved.joined(separator: "/"))
  }

  public func readFile(_ path: String) throws -> [UInt8]? {
    let p = try hostPath(path)
    guard Self.isRegularFile(p), let data = FileManager.default.contents(atPath: p) else { return nil }
    return Array(data)
  }

  public func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try replaceContent(try hostPath(path), guestPath: path, with: Data(bytes))
  }

  public func upload(hostPath source: String, to guestPath: String) throws {
    guard Self.isRegularFile(source), let data = FileManager.default.contents(atPath: source) else {
      throw Failure(description: "upload: no regular host file \(source)")
    }
    try replaceContent(try hostPath(guestPath), guestPath: guestPath, with: data)
  }

  public func download(_ guestPath: String, toHostPath target: String) throws {
    guard let bytes = try readFile(guestPath) else { throw Failure(description: "download: no regular file \(guestPath)") }
    try Data(bytes).write(to: URL(fileURLWithPath: target))
  }

  /// Writes `data` into the file at host path `p` the way open(O_CREAT|O_TRUNC) does: an existing file keeps
  /// its mode and owner, a new one gets 0644. A missing parent directory is created or, as in the appliance,
  /// an error (``createsParentDirectories``).
  private func replaceContent(_ p: String, guestPath: String, with data: Data) throws {
    let parent = (p as NSString).deletingLastPathComponent
    if createsParentDirectories { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDir), isDir.boolValue else {
      throw Failure(description: "\(guestPath): no such directory \((guestPath as NSString).deletingLastPathComponent)")
    }
    if FileManager.default.fileExists(atPath: p) {
      guard Self.isRegularFile(p), let h = FileHandle(forWritingAtPath: p) else {
        throw Failure(description: "\(guestPath): not a regular file")
      }
      defer { try? h.close() }
      try h.truncate(atOffset: 0)
      try h.write(contentsOf: data)
    } else if !FileManager.default.createFile(atPath: p, contents: data, attributes: [.posixPermissions: 0o644]) {
      throw Failure(description: "\(guestPath): cannot create")
    }
  }

  private static func isRegularFile(_ hostPath: String) -> Bool {
    (try? FileManager.default.attributesOfItem(atPath: hostPath)[.type] as? FileAttributeType) == .typeRegular
  }

  public func exists(_ path: String) throws -> Bool {
    FileManager.default.fileExists(atPath: try hostPath(path))
  }

  public func isDirectory(_ path: String) throws -> Bool {
    var dir: ObjCBool = false
    return FileManager.default.fileExists(atPath: try hostPath(path), isDirectory: &dir) && dir.boolValue
  }

  public func list(_ directory: String) throws -> [String] {
    guard try isDirectory(directory) else { return [] }
    return try FileManager.default.contentsOfDirectory(atPath: try hostPath(directory)).sorted()
  }

  public func readLink(_ path: String) throws -> String? {
    try? FileManager.default.destinationOfSymbolicLink(atPath: try hostPath(path, follow: false))
  }

  public func remove(_ path: String) throws {
    let p = try hostPath(path, follow: false)
    let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: p)) != nil
    guard isLink || FileManager.default.fileExists(atPath: p) else { return }
    try FileManager.default.removeItem(atPath: p)
    owners = owners.filter { $0.key != p && !$0.key.hasPrefix(p + "/") }
  }

  public func makeDirectory(_ path: String, mode: Int?, owner: (uid: Int, gid: Int)?) throws {
    let p = try hostPath(path)
    try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
    if let owner { try setOwner(path, uid: owner.uid, gid: owner.gid) }
    if let mode { try setMode(path, mode) }
  }

  public func setMode(_ path: String, _ mode: Int) throws {
    let p = try hostPath(path)
    guard FileManager.default.fileExists(atPath: p) else { throw Failure(description: "chmod: no such file \(path)") }
    try FileManager.default.setAttributes([.posixPermissions: mode & 0o7777], ofItemAtPath: p)
  }

  /// Records the owner instead of changing it (tests need not run as root); ``fileInfo(_:)`` reports it.
  public func setOwner(_ path: String, uid: Int, gid: Int) throws {
    let p = try hostPath(path)
    guard FileManager.default.fileExists(atPath: p) else { throw Failure(description: "chown: no such file \(path)") }
    owners[p] = (uid, gid)
  }

  /// The host file's size and mode; the owner recorded by ``setOwner(_:uid:gid:)``, else the host file's.
  public func fileInfo(_ path: String) throws -> (size: Int64, mode: Int, uid: Int, gid: Int)? {
    let p = try hostPath(path)
    guard let a = try? FileManager.default.attributesOfItem(atPath: p) else { return nil }
    let size = (a[.size] as? NSNumber)?.int64Value ?? 0
    let mode = ((a[.posixPermissions] as? NSNumber)?.intValue ?? 0) & 0o7777
    let owner = owners[p] ?? ((a[.ownerAccountID] as? NSNumber)?.intValue ?? 0, (a[.groupOwnerAccountID] as? NSNumber)?.intValue ?? 0)
    return (size, mode, owner.uid, owner.gid)
  }

  public func readDevice(_ device: String, offset: Int64, count: Int) throws -> [UInt8] {
    guard let d = devices[device], offset >= 0, Int(offset) < d.count else { return [] }
    return Array(d[Int(offset)..<min(d.count, Int(offset) + count)])
  }

  public func filesystemUUID(_ device: String) throws -> String? { uuids[device] }

  public func blockDeviceIdentities() throws -> [BlockDeviceIdentity]? { identities }

  public func run(_ argv: [String]) throws -> String {
    commands.append(argv)
    let matching = responses.enumerated().filter { argv.starts(with: $0.element.prefix) }
    // Longest prefix wins; among equals, the latest registered.
    guard let best = matching.max(by: { ($0.element.prefix.count, $0.offset) < ($1.element.prefix.count, $1.offset) })
    else { return "" }
    return try best.element.respond(self, argv)
  }
}

extension FakeGuestSession {
  /// A session over a fresh copy of `Fixtures/guests/<name>/root` inside `dir` (tests may then change it).
  /// When `Fixtures/guests/<name>/rpm-qa.txt` exists, it is the canned output of `rpm -qa`.
  public static func copyOfFixture(_ name: String, in dir: TempDir) throws -> FakeGuestSession {
    let caseDir = RepoPaths.fixtures + "/guests/\(name)"
    let target = dir.path + "/\(name)-root"
    try FileManager.default.copyItem(atPath: caseDir + "/root", toPath: target)
    let session = FakeGuestSession(root: target)
    if let rpm = FileManager.default.contents(atPath: caseDir + "/rpm-qa.txt") {
      session.respond(to: ["rpm", "-qa"], with: String(decoding: rpm, as: UTF8.self))
    }
    return session
  }
}
