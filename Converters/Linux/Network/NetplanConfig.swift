import Yams

/// Ubuntu's netplan: `/etc/netplan/*.yaml`, `network:` with `ethernets`, `wifis`, `bonds`, `bridges`,
/// `vlans`, each a mapping of netplan ids to settings.
///
/// An ethernet without `match:` is the interface named by its id; with `match:` it is the interface matched
/// (`macaddress:` binds it, `name:` may be a glob), renamed by `set-name:` (a name ↔ MAC record when matched
/// by MAC). Bonds and bridges name their `interfaces:`, VLANs their `link:`, by netplan id. `macaddress:`
/// outside `match:` SETS the address. Scalars are read as written (YAML 1.1 would turn `52:54:00:12:34:56`
/// into a base-60 number).
enum NetplanConfig {
  private typealias S = NetworkConfigSyntax

  /// The sections of `network:` and the kind of interface each holds.
  static let sections: [(key: String, kind: InterfaceKind)] = [
    ("ethernets", .ethernet), ("wifis", .wifi), ("bonds", .bond), ("bridges", .bridge), ("vlans", .vlan),
  ]

  private static func truthy(_ n: Node?) -> Bool {
    ["true", "yes", "on", "y"].contains(n?.string?.lowercased() ?? "")
  }

  private static func strings(_ n: Node?) -> [String] {
    if let seq = n?.sequence { return seq.compactMap(\.string) }
    if let s = n?.string { return [s] }
    return []
  }

  /// The `network:` mapping of a document, nil when it has none or is not YAML.
  private static func network(_ text: String) -> Node? {
    guard let root = try? Yams.compose(yaml: text), let network = root["network"], network.mapping != nil else { return nil }
    return network
  }

  /// Parses one netplan file.
  static func parse(_ text: String, file: String) -> [ConfiguredInterface] { parse([(file, text)]) }

  /// Parses the netplan files of a guest together (a bond in one file may name ethernets of another).
  static func parse(_ docs: [(path: String, text: String)]) -> [ConfiguredInterface] {
    let networks = docs.compactMap { d in network(d.text).map { (path: d.path, node: $0) } }
    // Netplan ids → the interface names they stand for.
    var names: [String: String] = [:]
    for n in networks {
      for (section, _) in sections {
        for (k, v) in n.node[section]?.mapping ?? [:] {
          guard let id = k.string else { continue }
          if let set = v["set-name"]?.string {
            names[id] = set
          } else if let match = v["match"] {
            if let name = match["name"]?.string, !S.isGlob(name) { names[id] = name }
          } else {
            names[id] = id
          }
        }
      }
    }
    func resolve(_ id: String) -> String { names[id] ?? id }

    var out: [ConfiguredInterface] = []
    var memberOf: [String: String] = [:]
    var ids: [String?] = []
    for n in networks {
      for (section, kind) in sections {
        for (k, v) in n.node[section]?.mapping ?? [:] {
          guard let id = k.string else { continue }
          var e = ConfiguredInterface(system: .netplan, file: n.path)
          e.kind = kind
          func add(_ s: String) { if !e.settings.contains(s) { e.settings.append(s) } }
          let match = v["match"]
          e.mac = match?["macaddress"]?.string.flatMap(S.normalizedMAC)
          if let set = v["set-name"]?.string {
            e.name = set
          } else if let match {
            if let name = match["name"]?.string {
              e.name = name
              e.nameIsPattern = S.isGlob(name)
            } else if e.mac == nil {
              // Matched by driver or nothing: a class of interfaces.
              e.name = "*"
              e.nameIsPattern = true
              if let d = match["driver"]?.string { add("match driver \(d)") }
            }
          } else {
            e.name = id
          }
          e.assignedMAC = v["macaddress"]?.string.flatMap(S.normalizedMAC)
          if truthy(v["dhcp4"]) { add("dhcp4") }
          if truthy(v["dhcp6"]) { add("dhcp6") }
          for a in v["addresses"]?.sequence ?? [] {
            // `- 192.0.2.10/24` or `- "192.0.2.10/24": {lifetime: 0}`.
            if let s = a.string { add("static \(s)") } else if let key = a.mapping?.first?.key.string { add("static \(key)") }
          }
          for g in ["gateway4", "gateway6"] { if let gw = v[g]?.string { add("gateway \(gw)") } }
          for r in v["routes"]?.sequence ?? [] {
            let to = r["to"]?.string ?? ""
            if ["default", "0.0.0.0/0", "::/0"].contains(to), let via = r["via"]?.string { add("gateway \(via)") }
          }
          for d in strings(v["nameservers"]?["addresses"]) { add("dns \(d)") }
          if kind == .bond || kind == .bridge {
            e.lowerInterfaces = strings(v["interfaces"]).map(resolve)
            for m in strings(v["interfaces"]) { memberOf[m] = e.name ?? id }
            add("\(kind.rawValue) over \(e.lowerInterfaces.joined(separator: " "))")
          }
          if kind == .vlan, let link = v["link"]?.string {
            e.lowerInterfaces = [resolve(link)]
            add("vlan \(v["id"]?.string ?? "?") over \(resolve(link))")
          }
          if let set = v["set-name"]?.string, let mac = e.mac {
            // The rename itself: a name ↔ MAC record.
            out.append(ConfiguredInterface(system: .netplan, file: n.path, name: set, mac: mac, namesOnly: true))
            ids.append(nil)
          }
          out.append(e)
          ids.append(id)
        }
      }
    }
    for i in out.indices {
      if let id = ids[i], let m = memberOf[id] {
        out[i].memberOf = m
        if !out[i].settings.contains("member of \(m)") { out[i].settings.append("member of \(m)") }
      }
    }
    return out
  }

  /// `text` with `macaddress:` values under `match:` mapped (old → new), in the file's spelling; a
  /// `macaddress:` directly under an interface (a set) is left alone. Block and flow (`match: {macaddress:
  /// ...}`) styles.
  static func rewritingMACs(in text: String, map: [String: String]) -> String {
    let fallback = S.textSpellsMACsUpper(text, default: false)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var stack: [(indent: Int, key: String)] = []
    for i in lines.indices {
      let line = lines[i]
      let body = line.trimmedBlanks()
      if body.isEmpty || body.hasPrefix("#") { continue }
      // Indentation of the key, past any `- ` sequence markers.
      var indent = 0
      var idx = line.startIndex
      while idx < line.endIndex, line[idx] == " " || line[idx] == "-" || line[idx] == "\t" {
        indent += 1
        idx = line.index(after: idx)
      }
      let rest = line[idx...]
      guard let colon = rest.firstIndex(of: ":") else { continue }
      let key = S.unquoted(String(rest[..<colon]).trimmedBlanks())
      while let top = stack.last, top.indent >= indent { stack.removeLast() }
      if key == "macaddress", stack.last?.key == "match" {
        lines[i] = replacingValue(in: line, after: line.index(after: colon), map: map, fallback: fallback)
      } else if key == "match", let brace = rest[colon...].firstIndex(of: "{"),
        let mk = line.range(of: "macaddress", range: brace..<line.endIndex),
        let c = line[mk.upperBound...].firstIndex(of: ":")
      {
        lines[i] = replacingValue(in: line, after: line.index(after: c), map: map, fallback: fallback)
      }
      stack.append((indent, key))
    }
    return lines.joined(separator: "\n")
  }

  /// `line` with the MAC address that starts after `start` (blanks and a quote skipped) mapped.
  private static func replacingValue(in line: String, after start: String.Index, map: [String: String], fallback: Bool) -> String {
    var a = start
    while a < line.endIndex, line[a] == " " || line[a] == "\"" || line[a] == "'" { a = line.index(after: a) }
    var b = a
    while b < line.endIndex, line[b].isHexDigit || line[b] == ":" || line[b] == "-" { b = line.index(after: b) }
    guard let v = S.replacingMAC(in: String(line[a..<b]), map: map, fallbackUpper: fallback) else { return line }
    return String(line[..<a]) + v + String(line[b...])
  }
}
