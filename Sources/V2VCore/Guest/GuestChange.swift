import V2VModel
import Foundation
/// One change a converter makes (or, in `--dry-run`, would make) to the guest, with its reason.
public struct GuestChange: Sendable, Equatable, Codable {
  /// What is done.
  ///
  /// In JSON each case is `{"<case>": {<labels>}}`; `writeFile` records the size and SHA-256 of its bytes,
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
  /// The JSON shape of a kind: the synthesized coding of the same cases, with bytes replaced by their size and
  /// digest, modes as octal text, and an operation by its kind and detail.
  private enum Record: Codable {
    case editFile(path: String, newContent: String)
    case removeFile(path: String)
    case run(argv: [String])
    case rewriteDeviceNames(path: String, map: [DeviceRename])
    case writeFile(path: String, size: Int, sha256: String, mode: String?)
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
      r = .writeFile(path: path, size: bytes.count, sha256: SHA256.hex(bytes), mode: mode.map(Self.octal))
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
    case .writeFile(let path, _, _, _):
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "writeFile \(path) is not decodable: only its size and SHA-256 are recorded"))
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
  /// `log` sees each change after it ran, with its duration in seconds.
  public static func apply(
    _ changes: [GuestChange], to session: GuestSession, log: (GuestChange, Double) -> Void = { _, _ in }
  ) throws -> [String] {
    var warnings: [String] = []
    for c in changes {
      let start = Date()
      defer { log(c, Date().timeIntervalSince(start)) }
      do {
        switch c.kind {
        case .editFile(let path, let content): try session.writeText(path, content)
        case .removeFile(let path): try session.remove(path)
        case .run(let argv): _ = try session.run(argv)
        case .rewriteDeviceNames(let path, let map):
          if let text = try session.readText(path) {
            let new = DeviceNameRewriter.rewrite(text, map: map).text
            if new != text { try session.writeText(path, new) }
          }
        case .writeFile(let path, let bytes, let mode):
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
}

/// SHA-256 (FIPS 180-4), for naming written bytes in reports without carrying them (Foundation on Linux has
/// no CryptoKit).
enum SHA256 {
  private static let k: [UInt32] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]

  /// The digest of `bytes` as 64 lower-case hex digits.
  static func hex(_ bytes: [UInt8]) -> String {
    var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    // Padding: 0x80, zeros up to 56 mod 64, then the length in bits, big-endian.
    var tail = Array(bytes[(bytes.count / 64 * 64)...]) + [0x80]
    while tail.count % 64 != 56 { tail.append(0) }
    let bits = UInt64(bytes.count) &* 8
    for i in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
    var w = [UInt32](repeating: 0, count: 64)
    func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    func block(_ m: UnsafeBufferPointer<UInt8>, _ at: Int) {
      for i in 0..<16 {
        let j = at + 4 * i
        w[i] = UInt32(m[j]) << 24 | UInt32(m[j + 1]) << 16 | UInt32(m[j + 2]) << 8 | UInt32(m[j + 3])
      }
      for i in 16..<64 {
        let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
      }
      var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
      for i in 0..<64 {
        let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
        let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
        (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
      }
      h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
    }
    bytes.withUnsafeBufferPointer { m in for at in stride(from: 0, to: m.count / 64 * 64, by: 64) { block(m, at) } }
    tail.withUnsafeBufferPointer { m in for at in stride(from: 0, to: m.count, by: 64) { block(m, at) } }
    return h.map { let s = String($0, radix: 16); return String(repeating: "0", count: 8 - s.count) + s }.joined()
  }
}
