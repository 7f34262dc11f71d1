import V2VModel
import Foundation
/// One change a converter makes (or, in `--dry-run`, would make) to the guest, with its reason.
public struct GuestChange: Sendable, Equatable, Codable {
  /// What is done.
  ///
  /// In JSON each case is `{"<case>": {<labels>}}`; `writeFile` records the size of its bytes,
  /// not the bytes, and `operation` its kind and detail, so those two do not decode back (reports are for
  /// reading). Modes are octal strings (`"0755"`).
  public enum Kind: Sendable, Equatable, Codable {
    /// Replace a file's content.
    case editFile(path: String, newContent: String)
    /// Remove a file or link.
    case removeFile(path: String)
    /// Run a program inside the guest.
    case run(argv: [String])
    /// Rename block devices in a file as it is *when the change is applied* (see ``DeviceNameRewriter``):
    /// for files another change regenerates first (grub.cfg after grub-mkconfig). A missing file is left
    /// missing; an unchanged file is not rewritten.
    case rewriteDeviceNames(path: String, map: [DeviceRename])
    /// Write a (binary) file; its directory must exist. With `mode`, the mode is set afterwards; without, an
    /// existing file keeps its mode and a new one gets 0644.
    case writeFile(path: String, bytes: [UInt8], mode: Int?)
    /// Copy a host file into the guest, streamed (large files: drivers, firmware); then set `mode` if given.
    case upload(hostPath: String, guestPath: String, mode: Int?)
    /// Create a directory and its parents, then set the mode and owner of the directory itself.
    case makeDirectory(path: String, mode: Int?, owner: Owner?)
    /// Set the permission bits (07777).
    case setMode(path: String, mode: Int)
    /// Set the numeric owner and group.
    case setOwner(path: String, uid: Int, gid: Int)
    /// A typed change that is not a file edit (a registry change, a bootloader install).
    case operation(AnyGuestOperation)
  }

  /// A numeric owner and group.
  public struct Owner: Sendable, Equatable, Codable {
    /// User id.
    public var uid: Int
    /// Group id.
    public var gid: Int
    /// Creates an owner.
    public init(uid: Int, gid: Int) {
      self.uid = uid
      self.gid = gid
    }
  }

  /// What is done.
  public var kind: Kind
  /// Why, in words a migration engineer reads in the report (`virtio drivers in the initramfs`).
  public var reason: String
  /// A short description of the effect (`/etc/fstab: /dev/sda1 -> /dev/vda1`).
  public var summary: String
  /// Whether a failure of this change is only a warning (e.g. removing a package that is not needed).
  public var optional: Bool

  /// Creates a change.
  public init(_ kind: Kind, reason: String, summary: String, optional: Bool = false) {
    self.kind = kind
    self.reason = reason
    self.summary = summary
    self.optional = optional
  }
}

/// A typed change to the guest that is not a file edit: a registry change, a bootloader install. Converters
/// build it while planning (``GuestChange/Kind/operation(_:)``); ``ChangeApplier`` calls ``apply(to:)``.
public protocol GuestOperation: Sendable {
  /// A short name of what sort of operation this is (`registry`, `bootloader-install`).
  var kind: String { get }
  /// What exactly it does, for the report and `--dry-run` (`HKLM\SYSTEM\…\viostor: Start=0`). Operations
  /// with the same kind and detail are the same change.
  var detail: String { get }
  /// Performs it.
  func apply(to session: GuestSession) throws
}

/// Any ``GuestOperation``: equal by kind and detail; encodes as `{"kind", "detail"}` and does not decode.
public struct AnyGuestOperation: Sendable, Equatable, Codable, CustomStringConvertible {
  /// The operation.
  public let base: any GuestOperation

  /// Wraps an operation.
  public init(_ base: any GuestOperation) { self.base = base }

  /// The operation's kind.
  public var kind: String { base.kind }
  /// The operation's detail.
  public var detail: String { base.detail }
  /// Performs the operation.
  public func apply(to session: GuestSession) throws { try base.apply(to: session) }

  /// `kind: detail`.
  public var description: String { "\(kind): \(detail)" }

  public static func == (a: Self, b: Self) -> Bool { a.kind == b.kind && a.detail == b.detail }

  private enum CodingKeys: String, CodingKey { case kind, detail }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(kind, forKey: .kind)
    try c.encode(detail, forKey: .detail)
  }

  /// Always throws: a report records what an operation did, not how to do it again.
  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let kind = (try? c.decode(String.self, forKey: .kind)) ?? "?"
    throw DecodingError.dataCorrupted(
      .init(codingPath: decoder.codingPath, debugDescription: "a guest operation (\(kind)) is not decodable: only its kind and detail are recorded"))
  }
}

extension GuestChange.Kind {
  /// The JSON shape of a kind: the synthesized coding of the same cases, with bytes replaced by their size,
  /// modes as octal text, and an operation by its kind and detail.
  private enum Record: Codable {
    case editFile(path: String, newContent: String)
    case removeFile(path: String)
    case run(argv: [String])
    case rewriteDeviceNames(path: String, map: [DeviceRename])
    case writeFile(path: String, size: Int, mode: String?)
    case upload(hostPath: String, guestPath: String, mode: String?)
    case makeDirectory(path: String, mode: String?, owner: GuestChange.Owner?)
    case setMode(path: String, mode: String)
    case setOwner(path: String, uid: Int, gid: Int)
    case operation(kind: String, detail: String)
  }

  public func encode(to encoder: any Encoder) throws {
    let r: Record
    switch self {
    case .editFile(let path, let content): r = .editFile(path: path, newContent: content)
    case .removeFile(let path): r = .removeFile(path: path)
    case .run(let argv): r = .run(argv: argv)
    case .rewriteDeviceNames(let path, let map): r = .rewriteDeviceNames(path: path, map: map)
    case .writeFile(let path, let bytes, let mode):
      r = .writeFile(path: path, size: bytes.count, mode: mode.map(Self.octal))
    case .upload(let host, let guest, let mode): r = .upload(hostPath: host, guestPath: guest, mode: mode.map(Self.octal))
    case .makeDirectory(let path, let mode, let owner): r = .makeDirectory(path: path, mode: mode.map(Self.octal), owner: owner)
    case .setMode(let path, let mode): r = .setMode(path: path, mode: Self.octal(mode))
    case .setOwner(let path, let uid, let gid): r = .setOwner(path: path, uid: uid, gid: gid)
    case .operation(let op): r = .operation(kind: op.kind, detail: op.detail)
    }
    try r.encode(to: encoder)
  }

  /// Decodes the kinds that a report records in full; `writeFile` and `operation` throw.
  public init(from decoder: any Decoder) throws {
    func mode(_ s: String) throws -> Int {
      guard let m = Int(s, radix: 8), (0...0o7777).contains(m) else {
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an octal mode: \(s)"))
      }
      return m
    }
    switch try Record(from: decoder) {
    case .editFile(let path, let content): self = .editFile(path: path, newContent: content)
    case .removeFile(let path): self = .removeFile(path: path)
    case .run(let argv): self = .run(argv: argv)
    case .rewriteDeviceNames(let path, let map): self = .rewriteDeviceNames(path: path, map: map)
    case .writeFile(let path, _, _):
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "writeFile \(path) is not decodable: only its size is recorded"))
    case .upload(let host, let guest, let m): self = .upload(hostPath: host, guestPath: guest, mode: try m.map(mode))
    case .makeDirectory(let path, let m, let owner): self = .makeDirectory(path: path, mode: try m.map(mode), owner: owner)
    case .setMode(let path, let m): self = .setMode(path: path, mode: try mode(m))
    case .setOwner(let path, let uid, let gid): self = .setOwner(path: path, uid: uid, gid: gid)
    case .operation(let kind, _):
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "a guest operation (\(kind)) is not decodable: only its kind and detail are recorded"))
    }
  }

  /// `0o755` → `"0755"`.
  static func octal(_ mode: Int) -> String {
    let s = String(mode, radix: 8)
    return s.count >= 4 ? s : String(repeating: "0", count: 4 - s.count) + s
  }
}

/// Applies changes to a session, in order; a failing optional change becomes a warning.
public enum ChangeApplier {
  /// Applies `changes`; returns warnings for optional changes that failed.
  /// `log` sees each change after it ran, with its duration in seconds; `output` sees what a `.run` command
  /// printed on stdout (when it printed anything), so the log can tell what the command did.
  public static func apply(
    _ changes: [GuestChange], to session: GuestSession, log: (GuestChange, Double) -> Void = { _, _ in },
    output: (GuestChange, String) -> Void = { _, _ in }
  ) throws -> [String] {
    var warnings: [String] = []
    for c in changes {
      let start = Date()
      defer { log(c, Date().timeIntervalSince(start)) }
      do {
        switch c.kind {
        case .editFile(let path, let content):
          try ensureParent(of: path, in: session)
          try session.writeText(path, content)
        case .removeFile(let path): try session.remove(path)
        case .run(let argv):
          let printed = try session.run(argv)
          if !printed.isEmpty { output(c, printed) }
        case .rewriteDeviceNames(let path, let map):
          if let text = try session.readText(path) {
            let new = DeviceNameRewriter.rewrite(text, map: map).text
            if new != text { try session.writeText(path, new) }
          }
        case .writeFile(let path, let bytes, let mode):
          try ensureParent(of: path, in: session)
          try session.writeFile(path, bytes)
          if let mode { try session.setMode(path, mode) }
        case .upload(let hostPath, let guestPath, let mode):
          try session.upload(hostPath: hostPath, to: guestPath)
          if let mode { try session.setMode(guestPath, mode) }
        case .makeDirectory(let path, let mode, let owner):
          try session.makeDirectory(path, mode: mode, owner: owner.map { (uid: $0.uid, gid: $0.gid) })
        case .setMode(let path, let mode): try session.setMode(path, mode)
        case .setOwner(let path, let uid, let gid): try session.setOwner(path, uid: uid, gid: gid)
        case .operation(let op): try op.apply(to: session)
        }
      } catch {
        if c.optional { warnings.append("\(c.summary): \(error)") } else { throw ConversionError.guestCommandFailed(c.summary, "\(error)") }
      }
    }
    return warnings
  }

  /// Creates the parent directory of `path` when it is missing (a drop-in directory such as
  /// `/etc/dracut.conf.d` that the guest never had): libguestfs does not create parents when writing.
  static func ensureParent(of path: String, in session: GuestSession) throws {
    guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
    let parent = String(path[..<slash])
    if try !session.isDirectory(parent) { try session.makeDirectory(parent) }
  }
}
