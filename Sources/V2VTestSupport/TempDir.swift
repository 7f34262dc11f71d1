import Foundation

/// A temporary directory removed when the value is released.
public final class TempDir: Sendable {
  /// Its absolute path.
  public let path: String

  /// Creates `$TMPDIR/v2v-test-<uuid>`.
  public init(prefix: String = "v2v-test") throws {
    path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }
}
