import ArgumentParser
import Foundation

/// v2v's exit codes, one per failure class (docs/exit-codes.md).
enum V2VExit: Int32 {
  /// Success.
  case ok = 0
  /// An unexpected failure.
  case failure = 1
  /// Bad command-line usage: EX_USAGE, the code argument-parser itself uses on Linux.
  case usage = 64
  /// The source could not be read or is invalid.
  case sourceInvalid = 3
  /// The source failed an integrity check (manifest mismatch, unsafe archive path).
  case sourceIntegrity = 4
  /// The conversion failed (no OS found, unsupported guest, a guest tool failed).
  case conversionFailed = 5
  /// Writing the output failed (disk full, existing output, libvirt refused).
  case outputFailed = 6
  /// The host is not ready (missing tools, appliance does not launch).
  case hostNotReady = 7
  /// The converted guest did not pass `--verify-boot`.
  case bootFailed = 8
  /// Interrupted by SIGINT/SIGTERM (output removed).
  case interrupted = 130

  /// The argument-parser exit carrying this code.
  var exit: ExitCode { ExitCode(rawValue) }
}

/// Prints one `v2v: error: …` line to stderr and exits with `code` (no stack trace).
func fail(_ message: String, _ code: V2VExit) -> ExitCode {
  Console.err("v2v: error: \(message)")
  return code.exit
}
