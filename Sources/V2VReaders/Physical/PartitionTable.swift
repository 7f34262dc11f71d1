import V2VModel

/// What a disk's partition table says about how the machine booted, parsed from its first sectors without
/// I/O: MBR (with the 0x55AA signature) and GPT (`EFI PART` header and entries).
public struct PartitionTable: Sendable, Equatable {
  /// The scheme found.
  public enum Scheme: String, Sendable { case none, mbr, gpt }
  /// The partitioning scheme.
  public var scheme: Scheme
  /// Whether an EFI system partition exists (MBR type 0xEF, GPT type C12A7328-F81F-11D2-BA4B-00A0C93EC93B).
  public var hasEFISystemPartition: Bool
  /// Whether a GPT BIOS boot partition exists (21686148-6449-6E6F-744E-656564454649).
  public var hasBIOSBootPartition: Bool
  /// Number of used partition entries.
  public var partitionCount: Int

  /// Boot firmware the table implies: an ESP means UEFI; any other table means BIOS; none means unknown.
  public var impliedFirmware: Firmware {
    if hasEFISystemPartition { return .uefi }
    return scheme == .none ? .unknown : .bios
  }

  static let espGUID: [UInt8] = [0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b]
  static let biosBootGUID: [UInt8] = Array("Hah!IdontNeedEFI".utf8)

  /// Parses the table. `read(offset, count)` returns disk bytes (fewer at the end of the disk).
  public static func parse(read: (UInt64, Int) throws(ReaderError) -> [UInt8]) throws(ReaderError) -> PartitionTable {
    var t = PartitionTable(scheme: .none, hasEFISystemPartition: false, hasBIOSBootPartition: false, partitionCount: 0)
    let mbr = try read(0, 512)
    guard mbr.count == 512, mbr[510] == 0x55, mbr[511] == 0xaa else { return t }
    var protective = false
    for i in 0..<4 {
      let type = mbr[446 + i * 16 + 4]
      if type == 0 { continue }
      if type == 0xee { protective = true; continue }
      t.scheme = .mbr
      t.partitionCount += 1
      if type == 0xef { t.hasEFISystemPartition = true }
    }
    guard protective else { return t }
    for sector in [512, 4096] as [UInt64] {
      let h = try read(sector, 92)
      guard h.count == 92, Array(h[0..<8]) == Array("EFI PART".utf8) else { continue }
      let entriesLBA = le(h, 72, 8), count = min(le(h, 80, 4), 1024), size = le(h, 84, 4)
      guard size >= 56, size <= 4096, entriesLBA > 0, entriesLBA < 1 << 40 else { continue }
      t.scheme = .gpt
      t.partitionCount = 0
      let table = try read(entriesLBA * sector, Int(count * size))
      for i in 0..<Int(count) where (i + 1) * Int(size) <= table.count {
        let type = Array(table[i * Int(size)..<i * Int(size) + 16])
        if type.allSatisfy({ $0 == 0 }) { continue }
        t.partitionCount += 1
        if type == espGUID { t.hasEFISystemPartition = true }
        if type == biosBootGUID { t.hasBIOSBootPartition = true }
      }
      return t
    }
    return t
  }

  private static func le(_ b: [UInt8], _ at: Int, _ n: Int) -> UInt64 {
    (0..<n).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
  }
}
