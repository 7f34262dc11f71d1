import V2VModel
import Foundation

/// Quoting for generated shell scripts and qemu option strings.
public enum ShellQuote {
  /// `s` as one bash word: unchanged when it only has safe characters, else in single quotes with each
  /// `'` written as `'\''`.
  public static func quote(_ s: String) -> String {
    let safe = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:,=+@%"
    if !s.isEmpty && s.allSatisfy({ safe.contains($0) }) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// A value inside a qemu `-drive`/`-device` option list: commas are doubled so `a,b` stays one value.
  public static func qemuValue(_ s: String) -> String {
    s.replacingOccurrences(of: ",", with: ",,")
  }
}
