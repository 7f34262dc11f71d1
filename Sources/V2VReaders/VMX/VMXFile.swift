/// The syntax of a VMware `.vmx` file: `key = "value"` lines, parsed without I/O.
///
/// Keys are case-insensitive (stored lower-cased); values may be quoted (with VMware's `|XX` hex escapes)
/// or bare; `#` starts a comment; CRLF line ends are tolerated. A later duplicate key wins, with a warning
/// naming both lines.
public struct VMXFile: Sendable, Equatable {
  /// One `key = value` line.
  public struct Entry: Sendable, Equatable {
    /// The key as written.
    public var key: String
    /// The unquoted, unescaped value.
    public var value: String
    /// 1-based line number.
    public var line: Int
  }

  /// Entries by lower-cased key.
  public private(set) var entries: [String: Entry] = [:]
  /// The file name used in errors.
  public let file: String
  /// Keys set more than once, each naming both lines.
  public private(set) var warnings: [ReaderWarning] = []

  /// Parses VMX text.
  public init(parsing text: String, file: String) throws(ReaderError) {
    self.file = file
    var lineNo = 0
    for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      lineNo += 1
      let line = raw.trimmingCharacters(in: " \t\r")
      if line.isEmpty || line.hasPrefix("#") { continue }
      let at = SourceLocation(file: file, line: lineNo)
      guard let eq = line.firstIndex(of: "=") else {
        throw .syntax(at, "expected 'key = \"value\"', found '\(line.prefix(40))'")
      }
      let key = line[..<eq].trimmingCharacters(in: " \t")
      guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "._:-[]".contains($0) }) else {
        throw .syntax(at, "malformed key '\(key.prefix(40))'")
      }
      let value = try Self.parseValue(line[line.index(after: eq)...], at: SourceLocation(file: file, line: lineNo, context: key))
      if let earlier = entries[key.lowercased()] {
        warnings.append(ReaderWarning(
          SourceLocation(file: file, line: lineNo, context: key),
          "set again (first at \(file):\(earlier.line)); the value on line \(lineNo) is used"))
      }
      entries[key.lowercased()] = Entry(key: key, value: value, line: lineNo)
    }
    guard !entries.isEmpty else { throw .syntax(SourceLocation(file: file), "no 'key = value' lines: not a VMX file") }
  }

  /// How the raw bytes of a VMX say they are encoded: `.encoding = "UTF-8"` (what VMware writes today) makes
  /// invalid UTF-8 an error; no `.encoding`, or a legacy one (`windows-1252`), allows Latin-1.
  static func encoding(of bytes: [UInt8]) -> FileAccess.Encoding {
    for raw in bytes.split(separator: 10) {
      let line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: " \t\r")
      guard line.lowercased().hasPrefix(".encoding"), let eq = line.firstIndex(of: "=") else { continue }
      let value = line[line.index(after: eq)...].trimmingCharacters(in: " \t\"").lowercased()
      return value == "utf-8" || value == "utf8" ? .utf8 : .legacy8Bit
    }
    return .legacy8Bit
  }

  /// The value of `key` (any case), or nil.
  public subscript(key: String) -> String? { entries[key.lowercased()]?.value }

  /// Where `key` is, for errors.
  public func location(_ key: String) -> SourceLocation {
    let e = entries[key.lowercased()]
    return SourceLocation(file: file, line: e?.line, context: e?.key ?? key)
  }

  /// `TRUE`/`FALSE` (any case, also `yes`/`no`, `1`/`0`) as a Bool; nil when absent.
  public func bool(_ key: String) throws(ReaderError) -> Bool? {
    guard let v = self[key] else { return nil }
    switch v.lowercased() {
    case "true", "yes", "1", "on": return true
    case "false", "no", "0", "off", "": return false
    default: throw .invalidValue(location(key), "expected TRUE or FALSE, found '\(v)'")
    }
  }

  /// An integer value; nil when absent.
  public func int(_ key: String) throws(ReaderError) -> Int? {
    guard let v = self[key] else { return nil }
    guard let n = Int(v.trimmingCharacters(in: " ")) else {
      throw .invalidValue(location(key), "expected a number, found '\(v.prefix(40))'")
    }
    return n
  }

  private static func parseValue(_ s: Substring, at: SourceLocation) throws(ReaderError) -> String {
    let v = s.drop { $0 == " " || $0 == "\t" }
    guard v.first == "\"" else {
      // Bare value up to a comment.
      let bare = v.prefix { $0 != "#" }.trimmingCharacters(in: " \t")
      if bare.contains("\"") { throw .syntax(at, "unbalanced quote") }
      return unescape(bare)
    }
    let body = v.dropFirst()
    guard let close = body.firstIndex(of: "\"") else { throw .syntax(at, "unbalanced quote") }
    let after = body[body.index(after: close)...].trimmingCharacters(in: " \t")
    guard after.isEmpty || after.hasPrefix("#") else {
      throw .syntax(at, "unexpected text after the closing quote: '\(after.prefix(20))'")
    }
    return unescape(String(body[..<close]))
  }

  /// Decodes VMware's `|XX` escapes (`|22` is a quote, `|7C` a bar).
  static func unescape(_ s: String) -> String {
    guard s.contains("|") else { return s }
    var out: [UInt8] = []
    let u = Array(s.utf8)
    var i = 0
    while i < u.count {
      if u[i] == UInt8(ascii: "|"), i + 2 < u.count + 0, i + 2 <= u.count - 1,
        let b = UInt8(String(decoding: u[i + 1...i + 2], as: UTF8.self), radix: 16)
      {
        out.append(b)
        i += 3
      } else {
        out.append(u[i])
        i += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
