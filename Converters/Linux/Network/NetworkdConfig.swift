/// systemd-networkd: `/etc/systemd/network/*.network` (configuration) and `*.link` (naming).
///
/// A `.network` file applies to the interfaces its `[Match]` selects: `Name=` (space-separated, globs,
/// `!` negations), `MACAddress=`/`PermanentMACAddress=` (the binding), or other keys (`Driver=`, `Type=`,
/// `Path=`); an empty `[Match]` matches every interface. A `.link` file names the interface it matches
/// (`[Link] Name=`); its `[Link] MACAddress=` SETS the address.
enum NetworkdConfig {
  private typealias S = NetworkConfigSyntax

  /// Match keys that bind to a MAC address (and are rewritten when a MAC changes).
  static let boundKeys: Set<String> = ["MACAddress", "PermanentMACAddress"]

  /// What `[Match]` says.
  private struct Match {
    var names: [String] = []
    var macs: [String] = []
    var other: [String] = []
    var originalNames: [String] = []
  }

  private static func match(_ entries: [S.KeyFileEntry]) -> Match {
    var m = Match()
    for e in entries where e.section == "Match" {
      let values = S.words(e.value)
      switch e.key {
      case "Name":
        // An empty assignment resets the list.
        if values.isEmpty { m.names = [] } else { m.names += values }
      case "MACAddress", "PermanentMACAddress":
        if values.isEmpty { m.macs = [] } else { m.macs += values.compactMap(S.normalizedMAC) }
      case "OriginalName":
        m.originalNames += values
      default:
        if !e.value.isEmpty { m.other.append("match \(e.key)=\(e.value)") }
      }
    }
    return m
  }

  /// Entries for `names` × `macs`, each carrying `body`'s settings.
  private static func entries(_ m: Match, file: String, _ template: ConfiguredInterface) -> [ConfiguredInterface] {
    var out: [ConfiguredInterface] = []
    let names: [String?] = m.names.isEmpty ? [nil] : m.names
    let macs: [String?] = m.macs.isEmpty ? [nil] : m.macs
    for n in names {
      for mac in macs {
        var e = template
        e.name = n
        e.mac = mac
        if let n { e.nameIsPattern = S.isGlob(n) || n.hasPrefix("!") }
        if n == nil && mac == nil {
          // Matched by something else, or by everything.
          e.name = "*"
          e.nameIsPattern = true
        }
        e.settings = m.other + template.settings
        out.append(e)
      }
    }
    return out
  }

  /// Parses a `.network` file.
  static func parseNetwork(_ text: String, file: String) -> [ConfiguredInterface] {
    let kv = S.keyFile(text)
    var t = ConfiguredInterface(system: .networkd, file: file)
    func add(_ s: String) { if !t.settings.contains(s) { t.settings.append(s) } }
    for e in kv {
      switch (e.section, e.key) {
      case ("Network", "DHCP"):
        switch e.value.lowercased() {
        case "yes", "true", "both", "on", "1": add("dhcp4"); add("dhcp6")
        case "ipv4", "v4": add("dhcp4")
        case "ipv6", "v6": add("dhcp6")
        default: break
        }
      case ("Network", "Address"), ("Address", "Address"):
        for a in S.words(e.value) { add("static \(a)") }
      case ("Network", "Gateway"), ("Route", "Gateway"):
        for g in S.words(e.value) where g != "_dhcp4" && g != "_ipv6ra" { add("gateway \(g)") }
      case ("Network", "DNS"):
        for d in S.words(e.value) { add("dns \(d)") }
      case ("Network", "Bond"), ("Network", "Bridge"), ("Network", "VRF"):
        t.memberOf = e.value
        add("member of \(e.value)")
      case ("Network", "VLAN"), ("Network", "MACVLAN"), ("Network", "IPVLAN"):
        for v in S.words(e.value) { add("carries \(v)") }
      case ("Network", "LinkLocalAddressing"):
        break
      case ("Network", "IPv6AcceptRA"):
        if ["yes", "true", "1", "on"].contains(e.value.lowercased()) { add("slaac") }
      case ("Link", "MACAddress"):
        t.assignedMAC = S.normalizedMAC(e.value)
      default: break
      }
    }
    return entries(match(kv), file: file, t)
  }

  /// Parses a `.link` file: a names-only entry when it gives a `Name=`, else nothing.
  static func parseLink(_ text: String, file: String) -> [ConfiguredInterface] {
    let kv = S.keyFile(text)
    guard let name = kv.last(where: { $0.section == "Link" && $0.key == "Name" })?.value, !name.isEmpty else {
      return []
    }
    let m = match(kv)
    var out: [ConfiguredInterface] = []
    let macs: [String?] = m.macs.isEmpty ? [nil] : m.macs
    for mac in macs {
      var e = ConfiguredInterface(system: .networkd, file: file, name: name, mac: mac, namesOnly: true)
      e.settings = m.other + m.originalNames.map { "match OriginalName=\($0)" }
      if let set = kv.last(where: { $0.section == "Link" && $0.key == "MACAddress" }) {
        e.assignedMAC = S.normalizedMAC(set.value)
      }
      out.append(e)
    }
    return out
  }

  /// Parses a file by its suffix (`.network`, `.link`; anything else gives nothing).
  static func parse(_ text: String, file: String) -> [ConfiguredInterface] {
    if file.hasSuffix(".network") { return parseNetwork(text, file: file) }
    if file.hasSuffix(".link") { return parseLink(text, file: file) }
    return []
  }

  /// `text` with `[Match] MACAddress=`/`PermanentMACAddress=` values mapped (old → new); `[Link]
  /// MACAddress=` (a set) is left alone.
  static func rewritingMACs(in text: String, map: [String: String]) -> String {
    S.rewritingKeyFile(text, map: map, fallbackUpper: false) { section, key in
      section == "Match" && boundKeys.contains(key)
    }
  }
}
