/// The member table of a tar archive (ustar, GNU long names, pax `path=`), read in place: disks inside an
/// OVA are then read at their offset without extracting them.
struct TarArchive {
  /// One regular-file member.
  struct Member: Equatable {
    /// The member's path inside the archive.
    var name: String
    /// Byte offset of the member's data in the archive.
    var offset: UInt64
    /// Size in bytes.
    var size: UInt64
  }

  /// Regular-file members, in archive order.
  var members: [Member]

  /// Reads the member table through `read(offset, count)`, which returns fewer bytes at the end.
  /// - Parameter file: the archive name used in errors.
  init(file: String, read: (UInt64, Int) throws(ReaderError) -> [UInt8]) throws(ReaderError) {
    members = []
    var offset: UInt64 = 0
    var longName: String?
    var zeroBlocks = 0
    while members.count < 100_000 {
      let h = try read(offset, 512)
      if h.isEmpty, offset > 0 { break }
      guard h.count == 512 else {
        throw .unreadable(SourceLocation(file: file, context: "offset \(offset)"), "truncated tar header")
      }
      if h.allSatisfy({ $0 == 0 }) {
        zeroBlocks += 1
        if zeroBlocks == 2 { break }
        offset += 512
        continue
      }
      let at = SourceLocation(file: file, context: "tar header at offset \(offset)")
      guard Self.checksumOK(h) else {
        throw .unreadable(at, offset == 0 ? "not a tar archive (bad header checksum)" : "corrupt tar header (bad checksum)")
      }
      guard let size = Self.number(h[124..<136]) else { throw .unreadable(at, "malformed member size") }
      let type = h[156]
      let dataOffset = offset + 512
      var name = Self.string(h[0..<100])
      if Array(h[257..<262]) == Array("ustar".utf8) {
        let prefix = Self.string(h[345..<500])
        if !prefix.isEmpty { name = prefix + "/" + name }
      }
      switch type {
      case UInt8(ascii: "L"):  // GNU long name for the next member
        longName = Self.string(try read(dataOffset, Int(min(size, 65536)))[...])
      case UInt8(ascii: "x"):  // pax extended header
        longName = Self.paxPath(try read(dataOffset, Int(min(size, 65536)))) ?? longName
      case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
        members.append(Member(name: longName ?? name, offset: dataOffset, size: size))
        longName = nil
      default:
        longName = nil
      }
      let padded = (size + 511) / 512 * 512
      let (next, overflow) = dataOffset.addingReportingOverflow(padded)
      guard !overflow else { throw .unreadable(at, "member size overflows") }
      offset = next
    }
  }

  /// Octal (NUL/space padded) or GNU base-256 number.
  static func number(_ field: ArraySlice<UInt8>) -> UInt64? {
    if let first = field.first, first & 0x80 != 0 {
      var v: UInt64 = UInt64(first & 0x7f)
      for b in field.dropFirst() {
        guard v >> 56 == 0 else { return nil }
        v = v << 8 | UInt64(b)
      }
      return v
    }
    let text = String(decoding: field.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: " ")
    if text.isEmpty { return 0 }
    return UInt64(text, radix: 8)
  }

  private static func string(_ field: ArraySlice<UInt8>) -> String {
    String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
  }

  private static func checksumOK(_ h: [UInt8]) -> Bool {
    guard let stored = number(h[148..<156]) else { return false }
    var sum: UInt64 = 0
    for (i, b) in h.enumerated() { sum += (148..<156).contains(i) ? 32 : UInt64(b) }
    return sum == stored
  }

  /// The `path=` record of a pax header (`LEN path=VALUE\n`).
  private static func paxPath(_ data: [UInt8]) -> String? {
    let text = String(decoding: data, as: UTF8.self)
    for record in text.split(separator: "\n") {
      guard let space = record.firstIndex(of: " ") else { continue }
      let kv = record[record.index(after: space)...]
      if kv.hasPrefix("path=") { return String(kv.dropFirst(5)) }
    }
    return nil
  }
}
