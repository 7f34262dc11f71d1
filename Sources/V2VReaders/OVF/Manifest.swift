/// An OVF manifest (`.mf`): `SHA1(file)= hex` or `SHA256(file)= hex` lines, parsed without I/O.
struct Manifest: Equatable {
  /// One digest line.
  struct Entry: Equatable {
    /// `sha1` or `sha256`.
    var algorithm: String
    /// The file the digest covers.
    var file: String
    /// Lower-case hex digest.
    var digest: String
    /// 1-based line.
    var line: Int
  }

  /// The entries in file order.
  var entries: [Entry]

  /// Parses manifest text; `file` names it in errors.
  init(parsing text: String, file: String) throws(ReaderError) {
    entries = []
    var n = 0
    for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      n += 1
      let line = raw.trimmingCharacters(in: " \t\r")
      if line.isEmpty { continue }
      let at = SourceLocation(file: file, line: n)
      guard let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")"), open < close,
        let eq = line[close...].firstIndex(of: "=")
      else { throw .syntax(at, "expected 'SHA256(file)= digest'") }
      let algorithm = line[..<open].trimmingCharacters(in: " ").lowercased()
      let name = String(line[line.index(after: open)..<close])
      let digest = line[line.index(after: eq)...].trimmingCharacters(in: " ").lowercased()
      guard algorithm == "sha1" || algorithm == "sha256" else {
        throw .unsupported(at, "unsupported manifest digest '\(algorithm)'")
      }
      guard digest.count == (algorithm == "sha1" ? 40 : 64), digest.allSatisfy(\.isHexDigit) else {
        throw .syntax(at, "malformed \(algorithm) digest for '\(name)'")
      }
      entries.append(Entry(algorithm: algorithm, file: name, digest: digest, line: n))
    }
  }
}
