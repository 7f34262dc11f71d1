import V2VModel

/// Where in a source description a problem is: file, line/column when known, and the key, element or
/// XPath that named the thing.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
  /// The file (or device, or `archive/member`) being read.
  public var file: String
  /// 1-based line, when known.
  public var line: Int?
  /// 1-based column, when known.
  public var column: Int?
  /// The VMX key, Xen key, XML element/XPath or archive member concerned, when known.
  public var context: String?

  /// Creates a location.
  public init(file: String, line: Int? = nil, column: Int? = nil, context: String? = nil) {
    self.file = file
    self.line = line
    self.column = column
    self.context = context
  }

  /// `file:line:column: context` (absent parts left out).
  public var description: String {
    var s = file
    if let line { s += ":\(line)" }
    if let line = line, line > 0, let column { s += ":\(column)" }
    if let context { s += ": \(context)" }
    return s
  }
}

/// Everything a reader can refuse, each case saying what and where.
public enum ReaderError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file or device cannot be opened or read, is truncated, or is not the kind of file expected
  /// (a binary where text was expected).
  case unreadable(SourceLocation, String)
  /// The text is malformed (unbalanced quotes or brackets, not well-formed XML, a bad line).
  case syntax(SourceLocation, String)
  /// A value is impossible (negative memory, zero vCPUs, malformed MAC, a disk with no file).
  case invalidValue(SourceLocation, String)
  /// A disk or image the source names does not exist.
  case missingFile(SourceLocation, path: String)
  /// The source uses something v2v does not read (an unknown disk format, an encrypted archive).
  case unsupported(SourceLocation, String)
  /// The source failed an integrity check: a manifest digest mismatch, an archive member escaping the
  /// extraction directory, an XML entity declaration.
  case integrity(SourceLocation, String)

  /// Coarse classes the CLI maps to exit codes.
  public enum Category: String, Sendable, Equatable {
    /// The source is unreadable or invalid (exit code 3).
    case sourceInvalid
    /// The source failed an integrity or safety check (exit code 4).
    case sourceIntegrity
  }

  /// The class of this error.
  public var category: Category {
    if case .integrity = self { return .sourceIntegrity }
    return .sourceInvalid
  }

  /// Where the problem is.
  public var location: SourceLocation {
    switch self {
    case .unreadable(let l, _), .syntax(let l, _), .invalidValue(let l, _), .missingFile(let l, _),
      .unsupported(let l, _), .integrity(let l, _):
      return l
    }
  }

  /// The problem, without the location.
  public var problem: String {
    switch self {
    case .unreadable(_, let m), .syntax(_, let m), .invalidValue(_, let m), .unsupported(_, let m),
      .integrity(_, let m):
      return m
    case .missingFile(_, let path): return "disk file '\(path)' does not exist"
    }
  }

  /// One line: `FILE:LINE: context: problem`.
  public var description: String { "\(location): \(problem)" }
}

extension ReaderError: ClassifiedError {
  /// Integrity failures exit 4, every other reader failure 3.
  public var exitClass: ExitClass { category == .sourceIntegrity ? .sourceIntegrity : .sourceInvalid }
}
