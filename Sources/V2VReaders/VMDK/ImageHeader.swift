import Foundation

/// What the first bytes of a disk image say about it: format, virtual size, embedded descriptor, backing
/// file. Pure: works on bytes already read.
struct ImageHeader: Equatable {
  /// The image format the magic identifies.
  var format: Format
  /// Virtual size in bytes, when the header states it.
  var capacityBytes: UInt64?
  /// Where an embedded VMDK descriptor is (byte offset, length), for hosted sparse VMDKs.
  var embeddedDescriptor: (offset: UInt64, length: Int)?
  /// Where a qcow2 backing file name is (byte offset, length).
  var backingFileName: (offset: UInt64, length: Int)?

  /// Formats recognised by magic.
  enum Format: Equatable { case vmdkSparse, vmdkCOWD, vmdkDescriptor, qcow2, vdi, vhd, vhdx, raw }

  static func == (a: ImageHeader, b: ImageHeader) -> Bool {
    a.format == b.format && a.capacityBytes == b.capacityBytes
      && a.embeddedDescriptor?.offset == b.embeddedDescriptor?.offset
      && a.embeddedDescriptor?.length == b.embeddedDescriptor?.length
  }

  /// Identifies `bytes` (the first 512 or more bytes of an image).
  static func identify(_ b: [UInt8]) -> ImageHeader {
    func le(_ at: Int, _ n: Int) -> UInt64 {
      guard at + n <= b.count else { return 0 }
      return (0..<n).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
    }
    func be(_ at: Int, _ n: Int) -> UInt64 {
      guard at + n <= b.count else { return 0 }
      return (0..<n).reduce(UInt64(0)) { $0 << 8 | UInt64(b[at + $1]) }
    }
    func ascii(_ s: String, at: Int = 0) -> Bool {
      let u = Array(s.utf8)
      return b.count >= at + u.count && Array(b[at..<at + u.count]) == u
    }
    if ascii("KDMV") {
      let capacity = le(12, 8).multipliedReportingOverflow(by: 512)
      let descOffset = le(28, 8), descSize = le(36, 8)
      var embedded: (UInt64, Int)?
      if descOffset > 0, descSize > 0, descSize < 2048 {
        embedded = (descOffset &* 512, Int(descSize) * 512)
      }
      return ImageHeader(
        format: .vmdkSparse, capacityBytes: capacity.overflow ? nil : capacity.partialValue,
        embeddedDescriptor: embedded)
    }
    if ascii("COWD") {
      return ImageHeader(format: .vmdkCOWD, capacityBytes: le(8, 4) &* 512)
    }
    if b.count >= 4, b[0] == 0x51, b[1] == 0x46, b[2] == 0x49, b[3] == 0xfb {
      let off = be(8, 8), len = be(16, 4)
      return ImageHeader(
        format: .qcow2, capacityBytes: be(24, 8),
        backingFileName: off > 0 && len > 0 && len < 4096 ? (off, Int(len)) : nil)
    }
    if le(0x40, 4) == 0xbeda_107f {
      return ImageHeader(format: .vdi, capacityBytes: le(0x170, 8))
    }
    if ascii("conectix") { return ImageHeader(format: .vhd, capacityBytes: be(48, 8)) }
    if ascii("vhdxfile") { return ImageHeader(format: .vhdx) }
    if let text = String(bytes: b.prefix(1024).prefix { $0 != 0 }, encoding: .utf8),
      VMDKDescriptor.looksLike(text)
    {
      return ImageHeader(format: .vmdkDescriptor)
    }
    return ImageHeader(format: .raw)
  }
}
