/// Debian's ifupdown: `/etc/network/interfaces` and the files it includes.
///
/// `iface NAME inet|inet6 METHOD` starts a stanza whose indented options follow (`address`, `netmask`,
/// `gateway`, `dns-nameservers`, `hwaddress`, `bond-slaves`, `bridge_ports`, `vlan-raw-device`);
/// `auto`, `allow-*`, `mapping`, `source`, `source-directory` end it. Stanzas for one name in one file are
/// one entry. `hwaddress` SETS the MAC: ifupdown binds nothing to a MAC address.
enum IfupdownConfig {
  /// What one file says.
  struct Parsed: Equatable {
    /// The interfaces, in file order.
    var interfaces: [ConfiguredInterface] = []
    /// `source` arguments (paths or globs), in order.
    var sources: [String] = []
    /// `source-directory` arguments, in order.
    var sourceDirectories: [String] = []
  }

  /// Parses one interfaces file (`file` is its guest path, recorded on each entry).
  static func parse(_ text: String, file: String) -> Parsed {
    typealias S = NetworkConfigSyntax
    var parsed = Parsed()
    var order: [String] = []
    var byName: [String: ConfiguredInterface] = [:]
    var current: String?
    var family = "inet"
    var pendingNetmask: (index: Int, address: String)?

    func update(_ name: String, _ body: (inout ConfiguredInterface) -> Void) {
      var e = byName[name] ?? ConfiguredInterface(system: .ifupdown, file: file, name: name)
      if byName[name] == nil { order.append(name) }
      body(&e)
      byName[name] = e
    }
    func add(_ setting: String) {
      guard let current else { return }
      update(current) { if !$0.settings.contains(setting) { $0.settings.append(setting) } }
    }

    for line in S.joinedLines(text) {
      let w = S.words(line)
      guard let keyword = w.first, !keyword.hasPrefix("#") else { continue }
      switch keyword {
      case "iface":
        pendingNetmask = nil
        guard w.count >= 2, w[1] != "lo" else {
          current = nil
          continue
        }
        let name = w[1]
        current = name
        family = w.count >= 3 ? w[2] : "inet"
        let method = w.count >= 4 ? w[3] : "manual"
        update(name) { e in
          if let dot = name.firstIndex(of: "."), name[name.index(after: dot)...].allSatisfy(\.isNumber) {
            e.kind = .vlan
            let parent = String(name[..<dot])
            if !e.lowerInterfaces.contains(parent) { e.lowerInterfaces.append(parent) }
          } else if let colon = name.firstIndex(of: ":") {
            e.kind = .alias
            let base = String(name[..<colon])
            if !e.lowerInterfaces.contains(base) { e.lowerInterfaces.append(base) }
          }
        }
        switch (family, method) {
        case ("inet", "dhcp"), ("inet", "bootp"): add("dhcp4")
        case ("inet6", "dhcp"): add("dhcp6")
        case ("inet6", "auto"): add("slaac")
        case (_, "manual"): add("manual")
        case (_, "static"), (_, "v4tunnel"), (_, "6to4"), (_, "loopback"): break
        default: add("\(family) \(method)")
        }
      case "auto", "allow-hotplug", "allow-auto", "mapping", "no-auto-down", "no-scripts", "rename":
        current = nil
        pendingNetmask = nil
        if keyword == "rename" {
          // `rename OLD=NEW`: ifupdown renames by name, still a name the guest relies on.
          for pair in w.dropFirst() {
            let p = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if p.count == 2 {
              update(p[1]) { e in
                e.namesOnly = e.settings.isEmpty
                if !e.lowerInterfaces.contains(p[0]) { e.lowerInterfaces.append(p[0]) }
              }
            }
          }
        }
      case "source":
        current = nil
        parsed.sources += w.dropFirst()
      case "source-directory", "source-dir":
        current = nil
        parsed.sourceDirectories += w.dropFirst()
      default:
        guard let name = current, w.count >= 2 else { continue }
        let args = Array(w.dropFirst())
        switch keyword {
        case "address":
          let address = args[0]
          add("static \(address)")
          if !address.contains("/") {
            let idx = byName[name]!.settings.firstIndex(of: "static \(address)")!
            pendingNetmask = (idx, address)
          }
        case "netmask":
          if let p = pendingNetmask, let prefix = S.prefixLength(netmask: args[0]) {
            update(name) { $0.settings[p.index] = "static \(p.address)/\(prefix)" }
            pendingNetmask = nil
          }
        case "gateway": add("gateway \(args[0])")
        case "dns-nameservers", "dns-nameserver":
          for a in args { add("dns \(a)") }
        case "hwaddress":
          let mac = args.count >= 2 && args[0] == "ether" ? args[1] : args[0]
          if let m = S.normalizedMAC(mac) { update(name) { $0.assignedMAC = m } }
        case "bond-slaves", "slaves", "bond_slaves":
          update(name) { e in
            e.kind = .bond
            for s in args where s != "none" && !e.lowerInterfaces.contains(s) { e.lowerInterfaces.append(s) }
          }
        case "bridge_ports", "bridge-ports":
          update(name) { e in
            e.kind = .bridge
            // `all`, `none` and `regex RE` are not names.
            guard args.first != "regex" else { return }
            for s in args where s != "none" && s != "all" && !e.lowerInterfaces.contains(s) { e.lowerInterfaces.append(s) }
          }
        case "vlan-raw-device", "vlan_raw_device", "vlan-dev":
          update(name) { e in
            e.kind = .vlan
            e.lowerInterfaces = [args[0]]
          }
        case "bond-master", "bond_master":
          update(name) { $0.memberOf = args[0] }
        default: break
        }
      }
    }
    parsed.interfaces = order.map { byName[$0]! }
    return parsed
  }
}
