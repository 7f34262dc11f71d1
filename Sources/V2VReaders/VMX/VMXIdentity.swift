/// VMX identity values: the BIOS UUID and the generation ID.
extension VMXMapper {
  /// `56 4d 54 59 5d 0c 51 8d-d3 40 38 4f fe bf e4 5d` → `564d5459-5d0c-518d-d340-384ffebfe45d`.
  static func biosUUID(_ text: String, at: SourceLocation) throws(ReaderError) -> String {
    let hex = text.lowercased().filter { $0 != " " && $0 != "-" }
    guard hex.count == 32, hex.allSatisfy(\.isHexDigit) else {
      throw .invalidValue(at, "malformed UUID '\(text)'")
    }
    let c = Array(hex)
    return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(c[$0]) }.joined(separator: "-")
  }

  /// `vm.genid` and `vm.genidX` (signed 64-bit decimals) → the VM generation ID as a UUID string, laid
  /// out as VMware and Hyper-V present it: the low word's 32/16/16-bit fields, then the high word's bytes
  /// in little-endian order.
  static func genid(low: String, high: String, at: SourceLocation) throws(ReaderError) -> String {
    guard let lo = Int64(low).map(UInt64.init(bitPattern:)) ?? UInt64(low),
      let hi = Int64(high).map(UInt64.init(bitPattern:)) ?? UInt64(high)
    else { throw .invalidValue(at, "vm.genid/vm.genidX are not 64-bit numbers") }
    func hex(_ v: UInt64, _ digits: Int) -> String {
      let s = String(v, radix: 16)
      return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
    let swapped = hi.byteSwapped
    return "\(hex(lo & 0xffff_ffff, 8))-\(hex((lo >> 32) & 0xffff, 4))-\(hex(lo >> 48, 4))-"
      + "\(hex(swapped >> 48, 4))-\(hex(swapped & 0xffff_ffff_ffff, 12))"
  }
}
