/// udev rules that name network interfaces: `/etc/udev/rules.d/70-persistent-net.rules` and any rule file
/// with `NAME=` on a `SUBSYSTEM=="net"` line.
///
/// `SUBSYSTEM=="net", ACTION=="add", ATTR{address}=="00:50:56:aa:bb:cc", NAME="eth0"` is a name ↔ MAC
/// record (a names-only entry). A rule matching by something else (`KERNELS=="0000:0b:00.0"`) gives the
/// name with the match as a setting.
enum UdevRulesConfig {
  private typealias S = NetworkConfigSyntax

  /// One `KEY op "value"` of a rule line.
  struct Term: Equatable {
    /// `SUBSYSTEM`, `ATTR{address}`, `NAME`.
    var key: String
    /// `==`, `!=`, `=`, `+=`, `:=`.
    var op: String
    /// The value without its quotes.
    var value: String
    /// Where the value (without quotes) lies in the line.
    var range: Range<String.Index>
  }

  /// The terms of one rule line (comma-separated `KEY op "value"`); malformed terms are skipped.
  static func terms(_ line: String) -> [Term] {
    var out: [Term] = []
    var i = line.startIndex
    while i < line.endIndex {
      // Key: up to an operator character.
      while i < line.endIndex, line[i] == " " || line[i] == "\t" || line[i] == "," { i = line.index(after: i) }
      let keyStart = i
      while i < line.endIndex, !"=!+-:".contains(line[i]) { i = line.index(after: i) }
      let key = line[keyStart..<i].trimmedBlanks()
      let opStart = i
      while i < line.endIndex, "=!+-:".contains(line[i]) { i = line.index(after: i) }
      let op = String(line[opStart..<i])
      while i < line.endIndex, line[i] == " " || line[i] == "\t" { i = line.index(after: i) }
      guard i < line.endIndex, line[i] == "\"" else {
        // Not a quoted value: skip to the next comma.
        while i < line.endIndex, line[i] != "," { i = line.index(after: i) }
        continue
      }
      let valueStart = line.index(after: i)
      guard let close = line[valueStart...].firstIndex(of: "\"") else { break }
      if !key.isEmpty, !op.isEmpty {
        out.append(Term(key: key, op: op, value: String(line[valueStart..<close]), range: valueStart..<close))
      }
      i = line.index(after: close)
    }
    return out
  }

  /// Whether a term binds the MAC address (`ATTR{address}==`, `ATTRS{address}==`).
  static func isAddressMatch(_ t: Term) -> Bool {
    (t.key == "ATTR{address}" || t.key == "ATTRS{address}") && t.op == "=="
  }

  /// Parses one rules file: a names-only entry per `NAME=` on a network rule.
  static func parse(_ text: String, file: String) -> [ConfiguredInterface] {
    var out: [ConfiguredInterface] = []
    for line in S.joinedLines(text) {
      let trimmed = line.trimmedBlanks()
      guard !trimmed.hasPrefix("#"), !trimmed.isEmpty else { continue }
      let ts = terms(trimmed)
      guard let name = ts.last(where: { $0.key == "NAME" && ($0.op == "=" || $0.op == ":=") })?.value,
        !name.isEmpty,
        ts.contains(where: { $0.key == "SUBSYSTEM" && $0.op == "==" && $0.value == "net" })
          || ts.contains(where: isAddressMatch)
      else { continue }
      var e = ConfiguredInterface(system: .udevRules, file: file, name: name, namesOnly: true)
      e.nameIsPattern = name.contains("%") || name.contains("$")
      e.mac = ts.first(where: isAddressMatch).flatMap { S.normalizedMAC($0.value) }
      if e.mac == nil {
        e.settings = ts.filter { $0.op == "==" && !["SUBSYSTEM", "ACTION"].contains($0.key) }
          .map { "match \($0.key)==\"\($0.value)\"" }
      }
      out.append(e)
    }
    return out
  }

  /// `text` with `ATTR{address}==` values mapped (old → new), in the file's spelling.
  static func rewritingMACs(in text: String, map: [String: String]) -> String {
    let fallback = S.textSpellsMACsUpper(text, default: false)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for i in lines.indices where !lines[i].trimmedBlanks().hasPrefix("#") {
      let line = lines[i]
      var out = ""
      var from = line.startIndex
      for t in terms(line).filter(isAddressMatch) {
        guard let v = S.replacingMAC(in: t.value, map: map, fallbackUpper: fallback) else { continue }
        out += line[from..<t.range.lowerBound] + v
        from = t.range.upperBound
      }
      lines[i] = out + line[from...]
    }
    return lines.joined(separator: "\n")
  }
}
