import ArgumentParser
import Foundation
import V2VModel
import V2VReaders

/// v2v's exit codes: the library's error classes (docs/exit-codes.md), one code each.
typealias V2VExit = ExitClass

extension ExitClass {
  /// The argument-parser exit carrying this code.
  var exit: ExitCode { ExitCode(rawValue) }
}

/// Prints one `v2v: error: …` line to stderr and exits with `code` (no stack trace). Newlines and other
/// control characters in `message` (a tool's multi-line output, a value read from a file) are escaped.
func fail(_ message: String, _ code: V2VExit) -> ExitCode {
  Console.err("v2v: error: \(OneLine.escape(message))")
  return code.exit
}
