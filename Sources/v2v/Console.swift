import Foundation

/// Unbuffered writes to stdout/stderr (so stage lines appear as they happen, even through a pipe).
enum Console {
  /// Writes a line to stdout.
  static func out(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
  /// Writes a line to stderr.
  static func err(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
}
