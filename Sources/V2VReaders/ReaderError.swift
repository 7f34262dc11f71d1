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

  /// One line: `FILE:LINE: context: problem`, control characters (a newline inside a value continued over
  /// two lines) escaped so the message stays one line.
  public var description: String { OneLine.escape("\(location): \(problem)") }
}

/// Something a reader accepted but that looks wrong (a key set twice, `maxmem` below `memory`, two
/// archive members of one name): it names both places. Readers log each through `readerLog` at warning
/// level (the CLI prints them as `v2v: warning: …`) and collect them for callers that ask.
public struct ReaderWarning: Sendable, Equatable, CustomStringConvertible {
  /// Where the later (used, or conflicting) definition is.
  public var location: SourceLocation
  /// What is wrong, naming the other place.
  public var message: String

  /// Creates a warning.
  public init(_ location: SourceLocation, _ message: String) {
    self.location = location
    self.message = message
  }

  /// One line: `FILE:LINE: context: message`.
  public var description: String { OneLine.escape("\(location): \(message)") }
}

/// Makes text safe for a one-line message.
public enum OneLine {
  /// `text` with newlines, carriage returns, tabs and other control characters written as escapes
  /// (`\n`, `\r`, `\t`, `\u{1B}`), so a value read from a file cannot break a message into several lines.
  public static func escape(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
    var out = ""
    for u in text.unicodeScalars {
      switch u {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.properties.generalCategory == .control {
          out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out
  }
}

extension ReaderError: ClassifiedError {
  /// Integrity failures exit 4, every other reader failure 3.
  public var exitClass: ExitClass { category == .sourceIntegrity ? .sourceIntegrity : .sourceInvalid }
}
