/// Small pieces of syntax the network configuration parsers share: MAC addresses, netmasks, key files,
/// shell-style assignments, globs. Pure functions; nothing here throws.
enum NetworkConfigSyntax {
  // MARK: MAC addresses

  /// `mac` in lower-case colon form (`00:50:56:aa:bb:cc`), nil when it is not a MAC address. Accepts
  /// colons or dashes between hex pairs, any case, surrounding quotes, and NetworkManager's old keyfile form
  /// of decimal bytes (`0;80;86;170;187;204;`). Six bytes (Ethernet) or twenty (InfiniBand).
  static func normalizedMAC(_ mac: String) -> String? {
    let t = unquoted(mac.trimmedBlanks())
    if t.contains(";") {
      let parts = t.split(separator: ";").map { $0.trimmedBlanks() }.filter { !$0.isEmpty }
      guard parts.count == 6 || parts.count == 20 else { return nil }
      var bytes: [String] = []
      for p in parts {
        guard let v = Int(p), (0...255).contains(v) else { return nil }
        bytes.append(hexByte(v))
      }
      return bytes.joined(separator: ":")
    }
    let parts = t.split(separator: ":", omittingEmptySubsequences: false).count > 1
      ? t.split(separator: ":", omittingEmptySubsequences: false)
      : t.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 6 || parts.count == 20 else { return nil }
    var out: [String] = []
    for p in parts {
      guard p.count == 2, p.allSatisfy(\.isHexDigit) else { return nil }
      out.append(p.lowercased())
    }
    return out.joined(separator: ":")
  }

  private static func hexByte(_ v: Int) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[v / 16], digits[v % 16]])
  }

  /// `new` (lower-case colon form) written the way `old` was: the same separator, the same letter case
  /// (`fallbackUpper` when `old` has no letters, e.g. VMware's `00:50:56:12:34:56`), or decimal bytes.
  static func spelledLike(_ old: String, _ new: String, fallbackUpper: Bool) -> String {
    if old.contains(";") {
      let bytes = new.split(separator: ":").compactMap { Int($0, radix: 16) }.map(String.init)
      return bytes.joined(separator: ";") + (old.hasSuffix(";") ? ";" : "")
    }
    let separator = old.contains("-") && !old.contains(":") ? "-" : ":"
    let letters = old.filter(\.isLetter)
    let upper = letters.isEmpty ? fallbackUpper : letters.allSatisfy(\.isUppercase)
    let v = new.replacingOccurrences(of: ":", with: separator)
    return upper ? v.uppercased() : v.lowercased()
  }

  /// `value` with every MAC address found in `map` (keys and values lower-case colon form) replaced, in
  /// `value`'s spelling; quotes and anything around the address are kept. Nil when nothing changed.
  static func replacingMAC(in value: String, map: [String: String], fallbackUpper: Bool) -> String? {
    // The address is the whole value, possibly quoted and padded.
    let lead = value.prefix { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" }
    let rest = value.dropFirst(lead.count)
    let trail = String(rest.reversed().prefix { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "'" || $0 == "\r" }.reversed())
    let core = String(rest.dropLast(trail.count))
    guard let mac = normalizedMAC(core), let new = normalizedMap(map)[mac] else { return nil }
    return String(lead) + spelledLike(core, new, fallbackUpper: fallbackUpper) + trail
  }

  /// `map` with keys and values in lower-case colon form (entries that are not MAC addresses dropped).
  static func normalizedMap(_ map: [String: String]) -> [String: String] {
    var out: [String: String] = [:]
    for (k, v) in map {
      if let k = normalizedMAC(k), let v = normalizedMAC(v) { out[k] = v }
    }
    return out
  }

  /// Whether any MAC address in `text` is written with upper-case letters (how the file spells them).
  static func textSpellsMACsUpper(_ text: String, default def: Bool) -> Bool {
    var sawLower = false
    var sawUpper = false
    var run = ""
    func check() {
      if normalizedMAC(run) != nil {
        if run.contains(where: { $0.isLetter && $0.isUppercase }) { sawUpper = true }
        if run.contains(where: { $0.isLetter && $0.isLowercase }) { sawLower = true }
      }
      run = ""
    }
    for c in text {
      if c.isHexDigit || c == ":" || c == "-" { run.append(c) } else { check() }
    }
    check()
    if sawUpper != sawLower { return sawUpper }
    return def
  }

  // MARK: addresses

  /// The prefix length of a dotted IPv4 netmask (`255.255.255.0` → 24) or a plain number (`24`, `64`);
  /// nil when it is neither or not contiguous.
  static func prefixLength(netmask: String) -> Int? {
    let t = unquoted(netmask.trimmedBlanks())
    if let n = Int(t), (0...128).contains(n) { return n }
    let octets = t.split(separator: ".")
    guard octets.count == 4 else { return nil }
    var bits: UInt32 = 0
    for o in octets {
      guard let v = UInt32(o), v <= 255 else { return nil }
      bits = bits << 8 | v
    }
    let ones = bits.nonzeroBitCount
    guard bits == (ones == 0 ? 0 : ~UInt32(0) << (32 - UInt32(ones))) else { return nil }
    return ones
  }

  /// `address/prefix`, or `address` when neither the address nor `prefix` gives one.
  static func cidr(_ address: String, prefix: Int?) -> String {
    if address.contains("/") || prefix == nil { return address }
    return "\(address)/\(prefix!)"
  }

  /// Whether `address` is IPv6 (has a colon).
  static func isIPv6(_ address: String) -> Bool { address.contains(":") }

  /// The 32-bit value of a dotted IPv4 address, nil when it is not one.
  static func ipv4(_ address: String) -> UInt32? {
    let octets = address.split(separator: ".", omittingEmptySubsequences: false)
    guard octets.count == 4 else { return nil }
    var v: UInt32 = 0
    for o in octets {
      guard let b = UInt32(o), b <= 255, !o.isEmpty else { return nil }
      v = v << 8 | b
    }
    return v
  }

  /// Whether IPv4 `address` lies in the subnet of `cidr` (`192.0.2.10/24`).
  static func ipv4(_ address: String, isIn cidr: String) -> Bool {
    let parts = cidr.split(separator: "/")
    guard parts.count == 2, let net = ipv4(String(parts[0])), let p = Int(parts[1]), (0...32).contains(p),
      let a = ipv4(address)
    else { return false }
    let mask: UInt32 = p == 0 ? 0 : ~UInt32(0) << UInt32(32 - p)
    return net & mask == a & mask
  }

  // MARK: text

  /// `s` without one pair of surrounding single or double quotes.
  static func unquoted(_ s: String) -> String {
    guard s.count >= 2, let f = s.first, f == "\"" || f == "'", s.last == f else { return s }
    return String(s.dropFirst().dropLast())
  }

  /// Whether the bytes look like a text file (no NUL byte, valid UTF-8).
  static func isText(_ bytes: [UInt8]) -> Bool {
    !bytes.contains(0) && String(validating: bytes, as: UTF8.self) != nil
  }

  /// Lines of `text` with backslash-newline continuations joined (as ifupdown and udev read them).
  static func joinedLines(_ text: String) -> [String] {
    var out: [String] = []
    var pending = ""
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var line = String(raw)
      if line.hasSuffix("\r") { line.removeLast() }
      if line.hasSuffix("\\") {
        pending += line.dropLast() + " "
        continue
      }
      out.append(pending + line)
      pending = ""
    }
    if !pending.isEmpty { out.append(pending) }
    return out
  }

  /// Words of a line, split on blanks.
  static func words(_ line: some StringProtocol) -> [String] {
    String(line).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
  }

  /// Whether a name is a glob (`en*`, `eth[01]`, `e?s0`).
  static func isGlob(_ name: String) -> Bool { name.contains { "*?[".contains($0) } }

  /// Whether `name` matches the shell glob `pattern` (`*`, `?`, `[abc]`, `[a-z]`, `[!a]`).
  static func glob(_ pattern: String, matches name: String) -> Bool {
    let p = Array(pattern)
    let n = Array(name)
    func match(_ i: Int, _ j: Int) -> Bool {
      if i == p.count { return j == n.count }
      switch p[i] {
      case "*":
        for k in j...n.count where match(i + 1, k) { return true }
        return false
      case "?":
        return j < n.count && match(i + 1, j + 1)
      case "[":
        guard j < n.count, let close = p[(i + 1)...].dropFirst().firstIndex(of: "]") else {
          return j < n.count && n[j] == "[" && match(i + 1, j + 1)
        }
        var set = Array(p[(i + 1)..<close])
        let negate = set.first == "!" || set.first == "^"
        if negate { set.removeFirst() }
        var hit = false
        var k = 0
        while k < set.count {
          if k + 2 < set.count, set[k + 1] == "-" {
            if set[k] <= n[j] && n[j] <= set[k + 2] { hit = true }
            k += 3
          } else {
            if set[k] == n[j] { hit = true }
            k += 1
          }
        }
        return hit != negate && match(close + 1, j + 1)
      default:
        return j < n.count && p[i] == n[j] && match(i + 1, j + 1)
      }
    }
    return match(0, 0)
  }

  // MARK: key files (systemd units, NetworkManager keyfiles)

  /// One `key=value` line of a key file.
  struct KeyFileEntry: Equatable {
    /// The section (`Match`, `ipv4`), as written.
    var section: String
    /// The key, as written.
    var key: String
    /// The value, trimmed.
    var value: String
    /// The line's index in the file.
    var line: Int
  }

  /// Entries of an INI-style file; lines starting with `#` or `;` are comments; lines that are neither a
  /// section header nor `key=value` are ignored.
  static func keyFile(_ text: String) -> [KeyFileEntry] {
    var out: [KeyFileEntry] = []
    var section = ""
    for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmedBlanks()
      if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
      if line.hasPrefix("[") {
        if let close = line.firstIndex(of: "]") {
          section = String(line[line.index(after: line.startIndex)..<close]).trimmedBlanks()
        }
        continue
      }
      guard let eq = line.firstIndex(of: "=") else { continue }
      let key = String(line[..<eq]).trimmedBlanks()
      let value = String(line[line.index(after: eq)...]).trimmedBlanks()
      out.append(KeyFileEntry(section: section, key: key, value: value, line: i))
    }
    return out
  }

  /// Rewrites the values of the key file lines for which `isBound(section, key)` holds, through `map`.
  static func rewritingKeyFile(
    _ text: String, map: [String: String], fallbackUpper: Bool, isBound: (String, String) -> Bool
  ) -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let fallback = textSpellsMACsUpper(text, default: fallbackUpper)
    for e in keyFile(text) where isBound(e.section, e.key) {
      let line = lines[e.line]
      guard let eq = line.firstIndex(of: "=") else { continue }
      let value = String(line[line.index(after: eq)...])
      // A value may hold several addresses (`MACAddress=a b`, NetworkManager's `;` list is one address).
      var changed = false
      var words: [String] = []
      if value.contains(";") {
        if let v = replacingMAC(in: value, map: map, fallbackUpper: fallback) {
          words = [v]
          changed = true
        }
      } else {
        for w in value.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
          if let v = replacingMAC(in: w, map: map, fallbackUpper: fallback) {
            words.append(v)
            changed = true
          } else {
            words.append(w)
          }
        }
      }
      if changed { lines[e.line] = String(line[...eq]) + words.joined(separator: " ") }
    }
    return lines.joined(separator: "\n")
  }

  // MARK: shell-style assignments (ifcfg, wicked)

  /// `KEY=value` assignments of a shell-style file, last one wins, quotes removed; comments and other lines
  /// ignored. Keys keep their case.
  static func shellAssignments(_ text: String) -> [String: String] {
    var out: [String: String] = [:]
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      guard let (key, value) = shellAssignment(raw) else { continue }
      out[key] = value
    }
    return out
  }

  /// One `KEY=value` line (optionally `export KEY=value`), value unquoted and without a trailing comment.
  static func shellAssignment(_ raw: Substring) -> (String, String)? {
    var line = raw.trimmedBlanks()
    if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmedBlanks() }
    guard !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { return nil }
    let key = String(line[..<eq])
    guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
    var value = String(line[line.index(after: eq)...])
    if let q = value.first, q == "\"" || q == "'" {
      if let end = value.dropFirst().firstIndex(of: q) {
        value = String(value[value.index(after: value.startIndex)..<end])
      } else {
        value = String(value.dropFirst())
      }
    } else if let hash = value.range(of: " #") {
      value = String(value[..<hash.lowerBound])
    }
    return (key, value.trimmedBlanks())
  }

  /// Rewrites the value of every assignment to one of `keys` through `map`, keeping quotes and spelling.
  static func rewritingShell(_ text: String, keys: Set<String>, map: [String: String], fallbackUpper: Bool) -> String {
    let fallback = textSpellsMACsUpper(text, default: fallbackUpper)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for i in lines.indices {
      guard let (key, _) = shellAssignment(Substring(lines[i])), keys.contains(key),
        let eq = lines[i].firstIndex(of: "=")
      else { continue }
      let value = String(lines[i][lines[i].index(after: eq)...])
      // Keep a trailing comment out of the value.
      var body = value
      var comment = ""
      if let hash = value.range(of: " #") {
        body = String(value[..<hash.lowerBound])
        comment = String(value[hash.lowerBound...])
      }
      if let v = replacingMAC(in: body, map: map, fallbackUpper: fallback) {
        lines[i] = String(lines[i][...eq]) + v + comment
      }
    }
    return lines.joined(separator: "\n")
  }
}

extension StringProtocol {
  /// The string without leading and trailing blanks (spaces, tabs, carriage returns).
  func trimmedBlanks() -> String {
    let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
    guard let first = firstIndex(where: { !blank($0) }) else { return "" }
    let last = lastIndex(where: { !blank($0) })!
    return String(self[first...last])
  }
}
