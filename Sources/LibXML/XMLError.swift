/// A libxml2 parse or XPath failure, with where it happened.
public struct XMLError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What went wrong, in libxml2's words (trimmed) or ours.
  public var message: String
  /// 1-based line of the problem, 0 when unknown.
  public var line: Int
  /// 1-based column of the problem, 0 when unknown.
  public var column: Int
  /// What kind of failure this is.
  public var kind: Kind

  /// Failure kinds.
  public enum Kind: String, Sendable, Equatable {
    /// The text is not well-formed XML.
    case malformed
    /// The document declares entities (`<!ENTITY …>`), which untrusted input must not do (XXE, billion laughs).
    case entityDeclaration
    /// An XPath expression could not be compiled or evaluated.
    case xpath
    /// The file could not be read.
    case io
  }

  /// Creates an error.
  public init(message: String, line: Int = 0, column: Int = 0, kind: Kind = .malformed) {
    self.message = message
    self.line = line
    self.column = column
    self.kind = kind
  }

  /// `line L, column C: message`.
  public var description: String {
    guard line > 0 else { return message }
    return column > 0 ? "line \(line), column \(column): \(message)" : "line \(line): \(message)"
  }
}
