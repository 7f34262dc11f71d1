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
    /// Byte offset of the member's header (where it is named in messages).
    var headerOffset: UInt64 = 0
  }

  /// A member that is not a regular file: a link, a directory, a device or a FIFO.
  struct Special: Equatable {
    /// The member's path inside the archive.
    var name: String
    /// What it is, for messages: `a symbolic link to 'x'`, `a directory`, …
    var what: String
    /// Byte offset of its header.
    var headerOffset: UInt64
  }

  /// Regular-file members, in archive order.
  var members: [Member]
  /// Members that are not regular files, in archive order.
  var specials: [Special] = []
  /// Whether the archive ended with its end-of-archive (zero) blocks rather than at end of file.
  var endMarker = false

  /// Reads the member table through `read(offset, count)`, which returns fewer bytes at the end.
  /// - Parameters:
  ///   - file: the archive name used in errors.
  ///   - size: the archive's size in bytes, when known: a member whose data would end past it (a truncated
  ///     archive, or a size field larger than the archive) is refused here, before anything reads it.
  init(file: String, size: UInt64? = nil, read: (UInt64, Int) throws(ReaderError) -> [UInt8]) throws(ReaderError) {
    members = []
    var offset: UInt64 = 0
    var longName: String?
    var longLink: String?
    var zeroBlocks = 0
    while members.count + specials.count < 100_000 {
      let h = try read(offset, 512)
      if h.isEmpty, offset > 0 { break }
      guard h.count == 512 else {
        throw .unreadable(
          SourceLocation(file: file, context: "offset \(offset)"),
          offset == 0 ? "not a tar archive (shorter than one 512-byte header)" : "truncated tar header: the archive ends inside it (a partial copy?)")
      }
      if h.allSatisfy({ $0 == 0 }) {
        zeroBlocks += 1
        if zeroBlocks == 2 { endMarker = true; break }
        offset += 512
        continue
      }
      zeroBlocks = 0
      let at = SourceLocation(file: file, context: "tar header at offset \(offset)")
      guard Self.checksumOK(h) else {
        throw .unreadable(at, offset == 0 ? "not a tar archive (bad header checksum)" : "corrupt tar header (bad checksum)")
      }
      guard let memberSize = Self.number(h[124..<136]) else { throw .unreadable(at, "malformed member size") }
      let type = h[156]
      let dataOffset = offset + 512
      var name = Self.string(h[0..<100])
      if Array(h[257..<262]) == Array("ustar".utf8) {
        let prefix = Self.string(h[345..<500])
        if !prefix.isEmpty { name = prefix + "/" + name }
      }
      let fullName = longName ?? name
      if let size {
        let member = SourceLocation(file: file, context: "member '\(fullName)'")
        if memberSize > size {
          throw .unreadable(member, "member size \(memberSize) bytes (header at offset \(offset)) is larger than the whole archive (\(size) bytes): the archive is truncated or the header is corrupt")
        }
        let (end, overflow) = dataOffset.addingReportingOverflow(memberSize)
        if overflow || end > size {
          throw .unreadable(
            member,
            "truncated archive: the member's \(memberSize) bytes at offset \(dataOffset) end past the end of the archive (\(size) bytes); a partial download or copy?")
        }
      }
      switch type {
      case UInt8(ascii: "L"):  // GNU long name for the next member
        longName = Self.string(try read(dataOffset, Int(min(memberSize, 65536)))[...])
      case UInt8(ascii: "K"):  // GNU long link target for the next member
        longLink = Self.string(try read(dataOffset, Int(min(memberSize, 65536)))[...])
      case UInt8(ascii: "x"):  // pax extended header
        let data = try read(dataOffset, Int(min(memberSize, 65536)))
        longName = Self.paxValue("path", data) ?? longName
        longLink = Self.paxValue("linkpath", data) ?? longLink
      case UInt8(ascii: "g"):  // pax global header: nothing v2v uses
        break
      case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
        members.append(Member(name: fullName, offset: dataOffset, size: memberSize, headerOffset: offset))
        longName = nil
        longLink = nil
      default:
        let link = longLink ?? Self.string(h[157..<257])
        let what: String
        switch type {
        case UInt8(ascii: "1"): what = "a hard link to '\(link)'"
        case UInt8(ascii: "2"): what = "a symbolic link to '\(link)'"
        case UInt8(ascii: "3"): what = "a character device"
        case UInt8(ascii: "4"): what = "a block device"
        case UInt8(ascii: "5"): what = "a directory"
        case UInt8(ascii: "6"): what = "a FIFO (named pipe)"
        default: what = "a tar entry of type '\(Self.printable(type))'"
        }
        specials.append(Special(name: fullName, what: what, headerOffset: offset))
        longName = nil
        longLink = nil
      }
      let padded = (memberSize + 511) / 512 * 512
      let (next, overflow) = dataOffset.addingReportingOverflow(padded)
      guard !overflow else { throw .unreadable(at, "member size overflows") }
      offset = next
    }
  }

  private static func printable(_ b: UInt8) -> String {
    (0x21...0x7e).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
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

  /// The `KEY=` record of a pax header (`LEN KEY=VALUE\n`).
  private static func paxValue(_ key: String, _ data: [UInt8]) -> String? {
    let text = String(decoding: data, as: UTF8.self)
    for record in text.split(separator: "\n") {
      guard let space = record.firstIndex(of: " ") else { continue }
      let kv = record[record.index(after: space)...]
      if kv.hasPrefix(key + "=") { return String(kv.dropFirst(key.count + 1)) }
    }
    return nil
  }
}
