/// Checked scaling of numbers read from a source into byte counts: a value that overflows, or does not fit
/// a signed 64-bit size (what qemu-img and `off_t` can hold), is an `invalidValue` naming where it was read,
/// never a silently wrapped number.
enum ByteCount {
  /// Largest byte count accepted.
  static let max = UInt64(Int64.max)

  /// `value × scale` bytes, refused when it overflows or exceeds `max`.
  /// - Parameter what: what the value is, e.g. `memSize of 9007199254740993 MiB`.
  static func scaled(_ value: UInt64, by scale: UInt64, at: SourceLocation, what: String) throws(ReaderError) -> UInt64 {
    let (r, overflow) = value.multipliedReportingOverflow(by: scale)
    guard !overflow, r <= max else { throw .invalidValue(at, "\(what) is too large: more than \(max) bytes") }
    return r
  }

  /// `a + b` bytes, refused when it overflows or exceeds `max`.
  static func sum(_ a: UInt64, _ b: UInt64, at: SourceLocation, what: String) throws(ReaderError) -> UInt64 {
    let (r, overflow) = a.addingReportingOverflow(b)
    guard !overflow, r <= max else { throw .invalidValue(at, "\(what) is too large: more than \(max) bytes") }
    return r
  }
}
