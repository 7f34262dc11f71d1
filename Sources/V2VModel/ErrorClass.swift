/// The classes of failure v2v tells apart, each with its exit code (docs/exit-codes.md). Every module's
/// error type says its class by conforming to ``ClassifiedError``, so the CLI (and `batch`) classify a
/// failure without knowing which module — or which C library — it came from.
public enum ExitClass: Int32, Sendable, Equatable, Codable, CaseIterable {
  /// An unexpected failure.
  case failure = 1
  /// The source could not be read or is invalid.
  case sourceInvalid = 3
  /// The source failed an integrity check (manifest mismatch, unsafe archive path).
  case sourceIntegrity = 4
  /// The conversion failed (no OS found, unsupported guest, a guest tool failed).
  case conversionFailed = 5
  /// Writing the output failed (disk full, existing output, libvirt refused).
  case outputFailed = 6
  /// The host is not ready (missing tools, the appliance does not launch).
  case hostNotReady = 7
  /// The converted guest did not pass `--verify-boot`.
  case bootFailed = 8
  /// Bad command-line usage: EX_USAGE, the code argument-parser itself uses on Linux.
  case usage = 64
  /// Interrupted by SIGINT/SIGTERM or cancelled (output removed).
  case interrupted = 130

  /// Whether retrying the same job may succeed (I/O trouble, a lost connection), as opposed to a failure
  /// that will repeat (bad input, unsupported guest, no space).
  public var isTransient: Bool { self == .failure }
}

/// An error that knows its ``ExitClass``.
public protocol ClassifiedError: Error, CustomStringConvertible {
  /// The class of this failure.
  var exitClass: ExitClass { get }
}

/// Any failure of a job, classified: what the CLI prints (`v2v: error: MESSAGE`) and exits with.
public struct V2VError: ClassifiedError, Equatable {
  /// The class and exit code.
  public var exitClass: ExitClass
  /// One line for the user, naming the file, key or device concerned.
  public var message: String

  /// Creates an error.
  public init(_ exitClass: ExitClass, _ message: String) {
    self.exitClass = exitClass
    self.message = message
  }

  /// Classifies any error: its own class when it has one, else ``ExitClass/failure``.
  public init(_ error: any Error) {
    if let e = error as? V2VError {
      self = e
    } else if let e = error as? any ClassifiedError {
      self.init(e.exitClass, e.description)
    } else {
      self.init(.failure, "\(error)")
    }
  }

  public var description: String { message }
}
