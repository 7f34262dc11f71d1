import V2VModel
/// Human-readable sizes.
public enum ByteFormat {
  /// `1.5 GiB`.
  public static func gib(_ bytes: UInt64) -> String { String(format1(Double(bytes) / 1_073_741_824)) + " GiB" }

  /// Picks a unit: `512 B`, `3.2 MiB`, `1.5 GiB`.
  public static func human(_ bytes: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(bytes)
    var u = 0
    while v >= 1024 && u < units.count - 1 {
      v /= 1024
      u += 1
    }
    return u == 0 ? "\(bytes) B" : "\(format1(v)) \(units[u])"
  }

  static func format1(_ v: Double) -> String {
    let tenths = Int((v * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
  }
}
