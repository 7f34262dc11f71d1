/// A VMDK descriptor (the text that names a disk's extents and parent), parsed without I/O.
///
/// Found standalone (`monolithicFlat`, `twoGbMaxExtent*`, `vmfs`, snapshot deltas) or embedded in a
/// hosted sparse file (`monolithicSparse`, `streamOptimized`).
public struct VMDKDescriptor: Sendable, Equatable {
  /// `createType`, e.g. `monolithicSparse`, `vmfs`, `twoGbMaxExtentFlat`.
  public var createType: String
  /// `CID`, the content ID.
  public var cid: String?
  /// `parentCID`; `ffffffff` means no parent.
  public var parentCID: String?
  /// `parentFileNameHint`: the parent of a snapshot delta, relative to this file or absolute.
  public var parentFileNameHint: String?
  /// The extents, in order.
  public var extents: [Extent]
  /// The disk database (`ddb.*` keys, lower-cased), e.g. `ddb.adaptertype`.
  public var ddb: [String: String]

  /// One extent line: `RW 4192256 FLAT "disk-flat.vmdk" 0`.
  public struct Extent: Sendable, Equatable {
    /// `RW`, `RDONLY` or `NOACCESS`.
    public var access: String
    /// Size in 512-byte sectors.
    public var sectors: UInt64
    /// `FLAT`, `SPARSE`, `ZERO`, `VMFS`, `VMFSSPARSE`, `VMFSRDM`, `VMFSRAW`, …
    public var type: String
    /// The extent file, absent for `ZERO`.
    public var file: String?
    /// Offset in sectors into the file (flat extents).
    public var offset: UInt64
    /// 1-based line in the descriptor.
    public var line: Int
  }

  /// Virtual size: the sum of the extents' sizes.
  public var capacityBytes: UInt64 { extents.reduce(0) { $0 &+ $1.sectors &* 512 } }

  /// Whether the descriptor names a parent (a snapshot delta).
  public var hasParent: Bool {
    guard let hint = parentFileNameHint, !hint.isEmpty else { return false }
    return parentCID?.lowercased() != "ffffffff"
  }

  /// A descriptor's `encoding="UTF-8"` line makes invalid UTF-8 an error; without one (or with
  /// `windows-1252`, older VMware products), Latin-1 is accepted.
  static func encoding(of bytes: [UInt8]) -> FileAccess.Encoding {
    for raw in bytes.split(separator: 10) {
      let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: " \t\r").lowercased()
      guard line.hasPrefix("encoding"), let eq = line.firstIndex(of: "=") else { continue }
      let value = line[line.index(after: eq)...].trimmingCharacters(in: " \t\"")
      return value == "utf-8" || value == "utf8" ? .utf8 : .legacy8Bit
    }
    return .legacy8Bit
  }

  /// Whether `text` looks like a descriptor (cheap test on the first bytes).
  public static func looksLike(_ text: String) -> Bool {
    let head = text.prefix(1024).lowercased()
    return head.contains("# disk descriptorfile") || head.contains("createtype")
  }

  /// Parses descriptor text.
  /// - Parameter file: the name used in errors.
  public static func parse(_ text: String, file: String) throws(ReaderError) -> VMDKDescriptor {
    var d = VMDKDescriptor(createType: "", extents: [], ddb: [:])
    var lineNo = 0
    for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      lineNo += 1
      let line = raw.trimmingCharacters(in: " \t\r\0")
      if line.isEmpty || line.hasPrefix("#") { continue }
      let at = SourceLocation(file: file, line: lineNo)
      let first = line.prefix { !$0.isWhitespace && $0 != "=" }.uppercased()
      if ["RW", "RDONLY", "NOACCESS"].contains(first) {
        d.extents.append(try parseExtent(line, at: at))
        continue
      }
      guard let eq = line.firstIndex(of: "=") else {
        throw .syntax(at, "descriptor line is neither 'key = value' nor an extent: '\(line.prefix(60))'")
      }
      let key = line[..<eq].trimmingCharacters(in: " \t").lowercased()
      let value = try unquote(line[line.index(after: eq)...].trimmingCharacters(in: " \t"), at: at)
      switch key {
      case "createtype": d.createType = value
      case "cid": d.cid = value
      case "parentcid": d.parentCID = value
      case "parentfilenamehint": d.parentFileNameHint = value
      default: if key.hasPrefix("ddb.") { d.ddb[key] = value }
      }
    }
    guard !d.extents.isEmpty else {
      throw .syntax(SourceLocation(file: file), "VMDK descriptor has no extent lines")
    }
    if d.createType.isEmpty { d.createType = "unknown" }
    var total: UInt64 = 0
    for e in d.extents {
      let at = SourceLocation(file: file, line: e.line, context: "extent")
      let bytes = try ByteCount.scaled(e.sectors, by: 512, at: at, what: "extent of \(e.sectors) sectors")
      total = try ByteCount.sum(total, bytes, at: at, what: "disk size (sum of the extents)")
    }
    return d
  }

  private static func parseExtent(_ line: String, at: SourceLocation) throws(ReaderError) -> Extent {
    // ACCESS SECTORS TYPE ["FILE" [OFFSET]]
    var rest = Substring(line)
    func word() -> String {
      rest = rest.drop { $0 == " " || $0 == "\t" }
      let w = rest.prefix { $0 != " " && $0 != "\t" }
      rest = rest.dropFirst(w.count)
      return String(w)
    }
    let access = word().uppercased()
    guard let sectors = UInt64(word()) else { throw .syntax(at, "extent size is not a number") }
    let type = word().uppercased()
    guard !type.isEmpty else { throw .syntax(at, "extent has no type") }
    rest = rest.drop { $0 == " " || $0 == "\t" }
    var file: String?
    if rest.first == "\"" {
      let body = rest.dropFirst()
      guard let close = body.firstIndex(of: "\"") else { throw .syntax(at, "unbalanced quote in extent") }
      file = String(body[..<close])
      rest = body[body.index(after: close)...]
    } else if !rest.isEmpty {
      file = word()
    }
    let offsetWord = word()
    let offset = offsetWord.isEmpty ? 0 : UInt64(offsetWord) ?? 0
    if type != "ZERO" && (file ?? "").isEmpty { throw .invalidValue(at, "\(type) extent names no file") }
    return Extent(access: access, sectors: sectors, type: type, file: file, offset: offset, line: at.line ?? 0)
  }

  private static func unquote(_ v: String, at: SourceLocation) throws(ReaderError) -> String {
    guard v.hasPrefix("\"") else { return v }
    guard v.count >= 2, v.hasSuffix("\"") else { throw .syntax(at, "unbalanced quote") }
    return String(v.dropFirst().dropLast())
  }
}

extension StringProtocol {
  /// The text without leading and trailing characters from `set`.
  func trimmingCharacters(in set: String) -> String {
    var s = Substring(self)
    while let c = s.first, set.contains(c) { s.removeFirst() }
    while let c = s.last, set.contains(c) { s.removeLast() }
    return String(s)
  }
}
