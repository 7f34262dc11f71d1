/// Character scanner for `XenConfig`: tracks line and column for errors.
struct XenScanner {
  private let chars: [Character]
  private var pos = 0
  private(set) var line = 1
  private var column = 1
  let file: String

  init(text: String, file: String) {
    chars = Array(text)
    self.file = file
  }

  var peek: Character? { pos < chars.count ? chars[pos] : nil }
  var here: SourceLocation { SourceLocation(file: file, line: line, column: column) }

  mutating func advance() {
    guard pos < chars.count else { return }
    if chars[pos] == "\n" || chars[pos] == "\r\n" {
      line += 1
      column = 1
    } else {
      column += 1
    }
    pos += 1
  }

  /// Skips spaces, comments, and optionally newlines and semicolons.
  mutating func skipBlank(newlines: Bool, semicolons: Bool) {
    while let c = peek {
      if c == " " || c == "\t" || c == "\r" || (c == "\\" && pos + 1 < chars.count && chars[pos + 1].isNewline) {
        advance()
      } else if c == "#" {
        while let d = peek, !d.isNewline { _ = d; advance() }
      } else if (newlines && c.isNewline) || (semicolons && c == ";") {
        advance()
      } else {
        return
      }
    }
  }

  mutating func identifier() -> String {
    var s = ""
    while let c = peek, c.isIdentStart || c.isNumber || c == "-" || c == "." { s.append(c); advance() }
    return s
  }

  mutating func value(depth: Int) throws(ReaderError) -> XenConfig.Value {
    guard depth < 16 else { throw .syntax(here, "lists nested too deeply") }
    guard let c = peek else { throw .syntax(here, "missing value at end of file") }
    switch c {
    case "'", "\"": return .string(try quoted())
    case "[": return .list(try list(depth: depth))
    case "(": throw .syntax(here, "tuples are not supported in Xen configurations")
    default:
      if c.isNumber || c == "-" || c == "+" {
        var s = ""
        while let d = peek, d.isLetter || d.isNumber || d == "." || d == "-" || d == "+" { s.append(d); advance() }
        guard Double(s) != nil || (s.lowercased().hasPrefix("0x") && Int(s.dropFirst(2), radix: 16) != nil) else {
          throw .syntax(here, "malformed number '\(s)'")
        }
        return .number(s)
      }
      if c.isIdentStart { return .string(identifier()) }
      throw .syntax(here, "unexpected '\(c)' where a value belongs")
    }
  }

  private mutating func quoted() throws(ReaderError) -> String {
    let start = here
    let q = peek!
    advance()
    var s = ""
    while true {
      guard let c = peek, !c.isNewline else { throw .syntax(start, "unbalanced quote: string not closed on its line") }
      advance()
      if c == q { return s }
      if c == "\\", let e = peek {
        advance()
        switch e {
        case "n": s.append("\n")
        case "t": s.append("\t")
        default: s.append(e)
        }
      } else {
        s.append(c)
      }
    }
  }

  private mutating func list(depth: Int) throws(ReaderError) -> [XenConfig.Value] {
    let start = here
    advance()
    var items: [XenConfig.Value] = []
    while true {
      skipBlank(newlines: true, semicolons: false)
      guard let c = peek else { throw .syntax(start, "unbalanced '[': list not closed") }
      if c == "]" { advance(); return items }
      items.append(try value(depth: depth + 1))
      skipBlank(newlines: true, semicolons: false)
      guard let d = peek else { throw .syntax(start, "unbalanced '[': list not closed") }
      if d == "," { advance() } else if d != "]" { throw .syntax(here, "expected ',' or ']' in list, found '\(d)'") }
    }
  }
}

extension Character {
  var isIdentStart: Bool { isLetter || self == "_" }
}
