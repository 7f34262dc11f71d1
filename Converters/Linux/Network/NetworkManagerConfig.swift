/// NetworkManager keyfiles: `/etc/NetworkManager/system-connections/*.nmconnection` (and older files
/// without the suffix).
///
/// `[connection] interface-name=` names the device; `[ethernet] mac-address=` (or `[802-3-ethernet]`)
/// binds the profile to a MAC address, `cloned-mac-address=` SETS one. A profile with neither applies to
/// any device of its type (`*`); `[match] interface-name=` gives patterns. `[ipv4]`/`[ipv6]` `method=`,
/// `addressN=ADDR/PREFIX[,GATEWAY]`, `addresses=`, `gateway=`, `dns=a;b;`.
enum NetworkManagerConfig {
  private typealias S = NetworkConfigSyntax

  /// Sections whose `mac-address=` binds the profile.
  static let deviceSections: Set<String> = ["ethernet", "802-3-ethernet", "wifi", "802-11-wireless", "infiniband"]

  /// Whether NetworkManager reads a file of this name as a keyfile: `.nmconnection`, or a name without a
  /// suffix NetworkManager ignores (`~`, `.bak`, `.swp`, `.rpmnew`, ...).
  static func isKeyfileName(_ base: String) -> Bool {
    if base.hasPrefix(".") { return false }
    if base.hasSuffix(".nmconnection") { return true }
    let ignored = ["~", ".bak", ".orig", ".rej", ".swp", ".tmp", ".rpmnew", ".rpmsave", ".dpkg-old", ".dpkg-dist", ".dpkg-new", ".nmmeta"]
    return !ignored.contains { base.hasSuffix($0) }
  }

  /// Parses one keyfile (`file` its guest path); nothing for loopback profiles and files without a
  /// `[connection]` section.
  static func parse(_ text: String, file: String) -> [ConfiguredInterface] {
    let kv = S.keyFile(text)
    guard kv.contains(where: { $0.section == "connection" }) else { return [] }
    func value(_ section: String, _ key: String) -> String? {
      kv.last { $0.section == section && $0.key == key }?.value
    }
    let type = value("connection", "type") ?? ""
    guard type != "loopback", value("connection", "interface-name") != "lo" else { return [] }
    var e = ConfiguredInterface(system: .networkManager, file: file)
    func add(_ s: String) { if !e.settings.contains(s) { e.settings.append(s) } }

    switch type {
    case "ethernet", "802-3-ethernet": e.kind = .ethernet
    case "bond": e.kind = .bond
    case "bridge": e.kind = .bridge
    case "vlan": e.kind = .vlan
    case "wifi", "802-11-wireless": e.kind = .wifi
    case "": break
    default: e.kind = .other
    }
    for section in deviceSections {
      if let m = value(section, "mac-address").flatMap(S.normalizedMAC) { e.mac = m }
      if let m = value(section, "cloned-mac-address").flatMap(S.normalizedMAC) { e.assignedMAC = m }
    }
    if let parent = value("vlan", "parent"), !parent.isEmpty {
      e.lowerInterfaces = [parent]
      add("vlan \(value("vlan", "id") ?? "?") over \(parent)")
    }
    if let master = value("connection", "master") ?? value("connection", "controller"), !master.isEmpty {
      e.memberOf = master
      add("member of \(master)")
    }

    for family in ["ipv4", "ipv6"] {
      let v6 = family == "ipv6"
      switch value(family, "method")?.lowercased() {
      case "auto": add(v6 ? "auto6" : "dhcp4")
      case "dhcp": add("dhcp6")
      case "manual", nil: break
      case "disabled", "ignore": add("\(family) disabled")
      case let m?: add("\(family) \(m)")
      }
      // address1=ADDR/PREFIX,GW; address=; addresses=ADDR/PREFIX;ADDR/PREFIX; (older: addresses1=).
      for entry in kv where entry.section == family && isAddressKey(entry.key) {
        for item in entry.value.split(separator: ";").map({ $0.trimmedBlanks() }) where !item.isEmpty {
          let parts = item.split(separator: ",").map { $0.trimmedBlanks() }
          add("static \(parts[0])")
          if parts.count >= 2, !parts[1].isEmpty, parts[1] != "0.0.0.0", parts[1] != "::" { add("gateway \(parts[1])") }
        }
      }
      if let g = value(family, "gateway"), !g.isEmpty { add("gateway \(g)") }
      for d in (value(family, "dns") ?? "").split(separator: ";").map({ $0.trimmedBlanks() }) where !d.isEmpty {
        add("dns \(d)")
      }
    }

    // The names it applies to.
    if let name = value("connection", "interface-name"), !name.isEmpty {
      e.name = name
      return [e]
    }
    let patterns = (value("match", "interface-name") ?? "").split(separator: ";").map { $0.trimmedBlanks() }.filter { !$0.isEmpty }
    if !patterns.isEmpty {
      return patterns.map { p in
        var x = e
        x.name = p
        x.nameIsPattern = S.isGlob(p) || p.hasPrefix("!") || p.hasPrefix("~")
        return x
      }
    }
    if e.mac == nil {
      e.name = "*"
      e.nameIsPattern = true
    }
    return [e]
  }

  /// `address`, `addresses`, `address1`, `addresses2`.
  private static func isAddressKey(_ k: String) -> Bool {
    var rest = Substring(k)
    if rest.hasPrefix("addresses") {
      rest = rest.dropFirst(9)
    } else if rest.hasPrefix("address") {
      rest = rest.dropFirst(7)
    } else {
      return false
    }
    return rest.allSatisfy(\.isNumber)
  }

  /// `text` with `mac-address=` values of device sections mapped (old → new), in the file's spelling
  /// (decimal bytes stay decimal bytes); `cloned-mac-address=` (a set) is left alone.
  static func rewritingMACs(in text: String, map: [String: String]) -> String {
    S.rewritingKeyFile(text, map: map, fallbackUpper: true) { section, key in
      deviceSections.contains(section) && key == "mac-address"
    }
  }
}
