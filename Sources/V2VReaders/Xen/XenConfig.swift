/// The syntax of a Xen xl/xm configuration file, parsed without I/O.
///
/// Python-like: `key = value` statements separated by newlines or `;`, values are strings in `'` or `"`,
/// numbers, or `[ … ]` lists that may span lines (trailing comma allowed); `#` starts a comment.
public struct XenConfig: Sendable, Equatable {
  /// A value.
  public indirect enum Value: Sendable, Equatable {
    /// A quoted string (escapes decoded) or a bare word.
    case string(String)
    /// A number, as written (`512`, `0x10`, `1.5`).
    case number(String)
    /// A list.
    case list([Value])

    /// The value as text when it is a string or number.
    public var text: String? {
      switch self {
      case .string(let s), .number(let s): return s
      case .list: return nil
      }
    }
  }

  /// One `key = value` statement.
  public struct Setting: Sendable, Equatable {
    /// The key as written.
    public var key: String
    /// The value.
    public var value: Value
    /// 1-based line of the key.
    public var line: Int
  }

  /// Settings by key (a later duplicate wins, with a warning).
  public private(set) var settings: [String: Setting] = [:]
  /// The file name used in errors.
  public let file: String
  /// Settings given more than once, each naming both lines.
  public private(set) var warnings: [ReaderWarning] = []

  /// Parses configuration text.
  public init(parsing text: String, file: String) throws(ReaderError) {
    self.file = file
    var s = XenScanner(text: text, file: file)
    while true {
      s.skipBlank(newlines: true, semicolons: true)
      guard let c = s.peek else { break }
      guard c.isIdentStart else { throw .syntax(s.here, "expected a setting name, found '\(c)'") }
      let line = s.line
      let key = s.identifier()
      s.skipBlank(newlines: false, semicolons: false)
      guard s.peek == "=" else { throw .syntax(s.here, "expected '=' after '\(key)'") }
      s.advance()
      s.skipBlank(newlines: false, semicolons: false)
      let value = try s.value(depth: 0)
      s.skipBlank(newlines: false, semicolons: false)
      if let c = s.peek, c != "\n", c != ";" { throw .syntax(s.here, "unexpected '\(c)' after the value of '\(key)'") }
      if let earlier = settings[key] {
        warnings.append(ReaderWarning(
          SourceLocation(file: file, line: line, context: key),
          "set again (first at \(file):\(earlier.line)); the value on line \(line) is used"))
      }
      settings[key] = Setting(key: key, value: value, line: line)
    }
    guard !settings.isEmpty else { throw .syntax(SourceLocation(file: file), "no settings: not a Xen configuration") }
  }

  /// The value of `key`.
  public subscript(key: String) -> Value? { settings[key]?.value }

  /// Where `key` is, for errors.
  public func location(_ key: String, item: Int? = nil) -> SourceLocation {
    SourceLocation(file: file, line: settings[key]?.line, context: item.map { "\(key)[\($0)]" } ?? key)
  }

  /// A string or number setting as text.
  public func string(_ key: String) throws(ReaderError) -> String? {
    guard let v = self[key] else { return nil }
    guard let t = v.text else { throw .invalidValue(location(key), "expected a string, found a list") }
    return t
  }

  /// An integer setting.
  public func int(_ key: String) throws(ReaderError) -> Int? {
    guard let t = try string(key) else { return nil }
    if let n = Int(t) { return n }
    if t.lowercased().hasPrefix("0x"), let n = Int(t.dropFirst(2), radix: 16) { return n }
    throw .invalidValue(location(key), "expected an integer, found '\(t.prefix(40))'")
  }

  /// A list setting's strings (a lone string counts as a one-item list).
  public func strings(_ key: String) throws(ReaderError) -> [String] {
    switch self[key] {
    case nil: return []
    case .string(let s)?, .number(let s)?: return [s]
    case .list(let items)?:
      var out: [String] = []
      for (i, item) in items.enumerated() {
        guard let t = item.text else { throw .invalidValue(location(key, item: i), "nested list where a string belongs") }
        out.append(t)
      }
      return out
    }
  }
}
