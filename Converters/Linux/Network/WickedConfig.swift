/// SUSE's wicked (and the older sysconfig scripts): `/etc/sysconfig/network/ifcfg-NAME`, routes in
/// `/etc/sysconfig/network/routes` and `ifroute-NAME`.
///
/// The file name names the interface. `BOOTPROTO='dhcp'` is DHCPv4 and DHCPv6, `dhcp4`/`dhcp6` one of
/// them; `IPADDR='192.0.2.10/24'` and `IPADDR_SUFFIX=` (with `PREFIXLEN*`/`NETMASK*`) are static
/// addresses; `LLADDR=` SETS the MAC. Nothing binds to a MAC address.
enum WickedConfig {
  private typealias S = NetworkConfigSyntax

  /// The interface an `ifcfg-NAME` file configures; nil for `ifcfg-lo`, `ifcfg.template`, backups.
  static func nameFromFileName(_ base: String) -> String? {
    IfcfgConfig.nameFromFileName(base)
  }

  /// Parses one `ifcfg-NAME` file (`file` its guest path).
  static func parse(_ text: String, file: String) -> ConfiguredInterface? {
    guard let name = nameFromFileName(file) else { return nil }
    let vars = S.shellAssignments(text)
    var e = ConfiguredInterface(system: .wicked, file: file, name: name)
    func add(_ s: String) { if !e.settings.contains(s) { e.settings.append(s) } }
    e.assignedMAC = vars["LLADDR"].flatMap(S.normalizedMAC)

    for proto in S.words((vars["BOOTPROTO"] ?? "static").lowercased().replacingOccurrences(of: "+", with: " ")) {
      switch proto {
      case "dhcp": add("dhcp4"); add("dhcp6")
      case "dhcp4": add("dhcp4")
      case "dhcp6": add("dhcp6")
      case "static", "none": break
      default: add("bootproto \(proto)")
      }
    }
    // IPADDR, IPADDR_0, IPADDR_1, IPADDR_foo: each with its own PREFIXLEN/NETMASK suffix.
    for key in vars.keys.filter({ $0 == "IPADDR" || $0.hasPrefix("IPADDR_") }).sorted() {
      guard let a = vars[key], !a.isEmpty else { continue }
      let suffix = String(key.dropFirst("IPADDR".count))
      let prefix = vars["PREFIXLEN" + suffix].flatMap(S.prefixLength) ?? vars["NETMASK" + suffix].flatMap(S.prefixLength)
      add("static \(S.cidr(a, prefix: prefix))")
    }
    if let mode = vars["STARTMODE"], !mode.isEmpty, mode != "auto" { add("startmode \(mode)") }

    if IfcfgConfig.yes(vars["BONDING_MASTER"]) {
      e.kind = .bond
      for key in vars.keys.filter({ $0.hasPrefix("BONDING_SLAVE") }).sorted() {
        if let s = vars[key], !s.isEmpty, !e.lowerInterfaces.contains(s) { e.lowerInterfaces.append(s) }
      }
    }
    if IfcfgConfig.yes(vars["BRIDGE"]) {
      e.kind = .bridge
      e.lowerInterfaces = S.words(vars["BRIDGE_PORTS"] ?? "")
    }
    if let parent = vars["ETHERDEVICE"], !parent.isEmpty {
      e.kind = .vlan
      e.lowerInterfaces = [parent]
    }
    return e
  }

  /// Records the gateways of a routes file on `entries`: `ifroute-NAME` routes belong to NAME
  /// (`interface`); lines of `routes` name their interface in the fourth column, or (`-`) belong to the
  /// statically configured interface whose subnet holds the gateway.
  static func applyRoutes(_ text: String, interface: String?, to entries: inout [ConfiguredInterface]) {
    for line in text.split(separator: "\n") {
      let w = S.words(line)
      guard w.count >= 2, !w[0].hasPrefix("#") else { continue }
      let isDefault = w[0] == "default" || w[0] == "0.0.0.0" || w[0] == "0.0.0.0/0" || w[0] == "::/0"
      guard isDefault, w[1] != "-", w[1] != "0.0.0.0" else { continue }
      let gateway = w[1]
      var target = interface
      if target == nil, w.count >= 4, w[3] != "-" { target = w[3] }
      let index: Int?
      if let target {
        index = entries.firstIndex { $0.name == target }
      } else {
        index = entries.firstIndex { e in
          e.settings.contains { s in
            s.hasPrefix("static ") && S.ipv4(gateway, isIn: String(s.dropFirst("static ".count)))
          }
        }
      }
      if let index, !entries[index].settings.contains("gateway \(gateway)") {
        entries[index].settings.append("gateway \(gateway)")
      }
    }
  }
}
