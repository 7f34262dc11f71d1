/// RHEL's initscripts format, `/etc/sysconfig/network-scripts/ifcfg-*` (read by initscripts and by
/// NetworkManager's ifcfg-rh plugin).
///
/// Shell-style `KEY=value` lines, values optionally quoted. `DEVICE=` names the interface (the file name
/// does when it is missing); `HWADDR=` binds the file to a MAC address; `MACADDR=` SETS one.
enum IfcfgConfig {
  private typealias S = NetworkConfigSyntax

  /// Keys that bind the configuration to a MAC address (rewritten when a MAC changes).
  static let boundKeys: Set<String> = ["HWADDR"]

  /// The interface name an `ifcfg-NAME` file name gives, nil for other files, `ifcfg-lo` and backups.
  static func nameFromFileName(_ path: String) -> String? {
    let base = path.split(separator: "/").last.map(String.init) ?? path
    guard base.hasPrefix("ifcfg-") else { return nil }
    let name = String(base.dropFirst("ifcfg-".count))
    let ignored = ["~", ".bak", ".orig", ".rpmnew", ".rpmorig", ".rpmsave", ".old", ".swp", ".tmp"]
    guard !name.isEmpty, name != "lo", !ignored.contains(where: { name.hasSuffix($0) }) else { return nil }
    return name
  }

  /// Whether `text` says yes (`yes`, `true`, `1`, `on`), case-insensitively.
  static func yes(_ v: String?) -> Bool { ["yes", "true", "1", "on", "y"].contains((v ?? "").lowercased()) }

  /// The IPv4 addresses of `vars` (`IPADDR`/`IPADDR0..N` with `PREFIX*`/`NETMASK*`), as `static A/P`.
  static func ipv4Settings(_ vars: [String: String], prefixKey: String = "PREFIX") -> [String] {
    var out: [String] = []
    let suffixes = [""] + (0...255).map(String.init)
    for sfx in suffixes {
      guard let a = vars["IPADDR" + sfx], !a.isEmpty else { continue }
      let prefix = vars[prefixKey + sfx].flatMap(S.prefixLength) ?? vars["NETMASK" + sfx].flatMap(S.prefixLength)
      let s = "static \(S.cidr(a, prefix: prefix))"
      if !out.contains(s) { out.append(s) }
    }
    return out
  }

  /// Parses one `ifcfg-*` file (`file` is its guest path); nil for `ifcfg-lo` and files that are not
  /// interface configuration.
  static func parse(_ text: String, file: String) -> ConfiguredInterface? {
    let vars = S.shellAssignments(text)
    let fromFile = nameFromFileName(file)
    let device = vars["DEVICE"].flatMap { $0.isEmpty ? nil : $0 }
    guard let name = device ?? fromFile, name != "lo" else {
      return nil
    }
    var e = ConfiguredInterface(system: .ifcfg, file: file, name: name)
    e.mac = vars["HWADDR"].flatMap(S.normalizedMAC)
    e.assignedMAC = vars["MACADDR"].flatMap(S.normalizedMAC)
    func add(_ s: String) { if !e.settings.contains(s) { e.settings.append(s) } }

    switch (vars["TYPE"] ?? "").lowercased() {
    case "ethernet": e.kind = .ethernet
    case "bond": e.kind = .bond
    case "bridge": e.kind = .bridge
    case "vlan": e.kind = .vlan
    case "wireless": e.kind = .wifi
    case "": break
    default: e.kind = .other
    }
    if yes(vars["VLAN"]) || vars["PHYSDEV"] != nil {
      e.kind = .vlan
      if let p = vars["PHYSDEV"] {
        e.lowerInterfaces = [p]
      } else if let dot = name.firstIndex(of: ".") {
        e.lowerInterfaces = [String(name[..<dot])]
      }
    }
    if vars["BONDING_OPTS"] != nil, e.kind == nil { e.kind = .bond }
    if let master = vars["MASTER"] ?? vars["BRIDGE"] ?? vars["TEAM_MASTER"], !master.isEmpty {
      e.memberOf = master
      add("member of \(master)")
    }

    switch (vars["BOOTPROTO"] ?? "none").lowercased() {
    case "dhcp", "bootp": add("dhcp4")
    case "none", "static", "": break
    case let other: add("bootproto \(other)")
    }
    for s in ipv4Settings(vars) { add(s) }
    for (k, g) in vars.sorted(by: { $0.key < $1.key }) where k == "GATEWAY" || (k.hasPrefix("GATEWAY") && k.dropFirst(7).allSatisfy(\.isNumber)) {
      add("gateway \(g)")
    }
    if yes(vars["IPV6INIT"]) || vars["IPV6ADDR"] != nil {
      if yes(vars["DHCPV6C"]) { add("dhcp6") }
      if yes(vars["IPV6_AUTOCONF"]) { add("slaac") }
      if let a = vars["IPV6ADDR"], !a.isEmpty { add("static \(a)") }
      for a in S.words(vars["IPV6ADDR_SECONDARIES"] ?? "") { add("static \(a)") }
      if let g = vars["IPV6_DEFAULTGW"], !g.isEmpty {
        add("gateway \(g.split(separator: "%").first.map(String.init) ?? g)")
      }
    }
    for i in 1...9 {
      if let d = vars["DNS\(i)"], !d.isEmpty { add("dns \(d)") }
    }
    return e
  }

  /// `text` with `HWADDR=` values mapped (old → new), upper-case as RHEL writes them unless the file
  /// spells them lower-case; `MACADDR=` (a set) is left alone.
  static func rewritingMACs(in text: String, map: [String: String]) -> String {
    S.rewritingShell(text, keys: boundKeys, map: map, fallbackUpper: true)
  }
}
