/// Linux disk naming: the letters the kernel gives the N-th disk of a driver (`sda`, …, `sdz`, `sdaa`).
public enum DeviceNames {
  /// 0 → `a`, 25 → `z`, 26 → `aa`, 701 → `zz`, 702 → `aaa` (the kernel's sd naming; never wraps).
  public static func letters(_ index: Int) -> String {
    var i = index
    var s = ""
    repeat {
      s = String(UnicodeScalar(UInt8(97 + i % 26))) + s
      i = i / 26 - 1
    } while i >= 0
    return s
  }

  /// The index of a disk-letter suffix (`a` → 0, `aa` → 26), nil when `text` is not only `a`-`z`.
  public static func index(ofLetters text: Substring) -> Int? {
    guard !text.isEmpty, text.allSatisfy({ $0 >= "a" && $0 <= "z" }) else { return nil }
    var n = 0
    for c in text.unicodeScalars { n = n * 26 + Int(c.value - 96) }
    return n - 1
  }
}
