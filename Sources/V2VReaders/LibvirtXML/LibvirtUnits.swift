/// libvirt's scaled-integer units (`<memory unit="KiB">`), also used for OVF-like capacities.
enum LibvirtUnits {
  /// `value` × `unit` in bytes; libvirt's default unit for memory is KiB.
  static func bytes(_ value: String, unit: String?, at: SourceLocation) throws(ReaderError) -> UInt64 {
    guard let n = UInt64(value.trimmingCharacters(in: " \t\n")) else {
      throw .invalidValue(at, "expected a non-negative integer, found '\(value.prefix(40))'")
    }
    let scale: UInt64
    switch (unit ?? "KiB").lowercased() {
    case "b", "bytes": scale = 1
    case "kb": scale = 1000
    case "k", "kib": scale = 1 << 10
    case "mb": scale = 1_000_000
    case "m", "mib": scale = 1 << 20
    case "gb": scale = 1_000_000_000
    case "g", "gib": scale = 1 << 30
    case "tb": scale = 1_000_000_000_000
    case "t", "tib": scale = 1 << 40
    case "pb": scale = 1_000_000_000_000_000
    case "p", "pib": scale = 1 << 50
    case "eb": scale = 1_000_000_000_000_000_000
    case "e", "eib": scale = 1 << 60
    case let u: throw .invalidValue(at, "unknown unit '\(u)'")
    }
    return try ByteCount.scaled(n, by: scale, at: at, what: "\(n) \(unit ?? "KiB")")
  }
}
