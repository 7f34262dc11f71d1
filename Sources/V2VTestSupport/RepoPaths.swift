import Foundation

/// Where the repository and its build products are, for tests.
public enum RepoPaths {
  /// The repository root (found from this file's location).
  public static let root: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  /// `Fixtures/` in the repository.
  public static var fixtures: String { root + "/Fixtures" }

  /// The built `v2v` binary next to the running test bundle (same build configuration), or `V2V_BINARY`.
  public static var v2vBinary: String {
    if let b = ProcessInfo.processInfo.environment["V2V_BINARY"] { return b }
    var url = Bundle.main.bundleURL
    for _ in 0..<4 {
      let candidate = url.appendingPathComponent("v2v").path
      if FileManager.default.isExecutableFile(atPath: candidate), !candidate.hasSuffix(".xctest/v2v") { return candidate }
      url.deleteLastPathComponent()
    }
    return root + "/.build/debug/v2v"
  }
}
