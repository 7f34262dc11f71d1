import Foundation
import V2VCore
import V2VModel

/// Pins each NIC's old interface name to its MAC address in the converted guest, and leaves the guest's
/// network configuration as it is.
///
/// Reason: on the new hardware a NIC gets another name (VMware's `ens192` becomes `enp1s0` on KVM's q35; a
/// physical machine's `eno1` is whatever the new board calls it), so every configuration that names the
/// interface (ifupdown, networkd, NetworkManager, ifcfg, netplan, wicked, firewall rules, scripts) stops
/// applying and the guest comes up without its addresses. Giving the NIC its old name back keeps all of it
/// working without rewriting any of it. Which name belongs to which NIC comes from ``NICNameMap``.
///
/// Writes `/etc/systemd/network/10-v2v-NAME.link` on guests whose udev applies `.link` files (systemd 209
/// and later), else `/etc/udev/rules.d/70-v2v-net-names.rules`. With `--mac OLD:NEW` (V2P onto a machine's
/// own NICs) the configuration files bound to OLD (`HWADDR=`, `mac-address=`, `MACAddress=`, netplan
/// `macaddress:`) are rewritten to NEW: that is the only configuration change. `--nic-names leave` turns the
/// rule off (``NetworkNamingWarningRule`` then warns as before).
struct NetworkPinRule: LinuxRule {
  /// The udev rules file written when `.link` files do not apply.
  static let udevRulesFile = "/etc/udev/rules.d/70-v2v-net-names.rules"
  /// Where the `.link` files go.
  static let linkDirectory = "/etc/systemd/network"
  /// The rule that makes udev apply `.link` files, where systemd ships it.
  static let setupLinkRules = ["/lib/udev/rules.d/80-net-setup-link.rules", "/usr/lib/udev/rules.d/80-net-setup-link.rules"]
  /// systemd's default `.link` file, where systemd ships it.
  static let defaultLinks = ["/lib/systemd/network/99-default.link", "/usr/lib/systemd/network/99-default.link"]

  /// Reads the guest's network configuration (the scanner; tests give an inventory directly).
  var scan: @Sendable (GuestSession) throws -> NetworkInventory = { try NetworkConfigScanner.scan($0) }

  /// One warning per interface name that two configuration systems both configure (ifupdown and a
  /// NetworkManager keyfile for `ens192`): after the move both would try to manage the NIC, and which wins
  /// depends on service order. v2v changes neither; the user must choose.
  static func competingConfigurations(_ inventory: NetworkInventory) -> [String] {
    var systems: [String: [(NetworkConfigSystem, String)]] = [:]
    var order: [String] = []
    for i in inventory.interfaces where !i.namesOnly && !i.nameIsPattern && i.system != .udevRules {
      guard let name = i.name, !i.settings.isEmpty, i.settings != ["manual"] else { continue }
      if systems[name] == nil { order.append(name) }
      if !(systems[name] ?? []).contains(where: { $0.0 == i.system }) { systems[name, default: []].append((i.system, i.file)) }
    }
    return order.compactMap { name in
      guard let s = systems[name], s.count > 1 else { return nil }
      return "\(name) is configured by \(s.map { "\($0.0.rawValue) (\($0.1))" }.joined(separator: " and ")): "
        + "after the move they would both manage it; v2v changes neither, keep one of them"
    }
  }

  /// The `.link` file that pins `name`.
  static func linkFile(_ name: String) -> String { "\(linkDirectory)/10-v2v-\(name).link" }

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    let source = guest.context.source
    guard guest.options.nicNames == .pin else {
      // Names are left alone, but a physical source's virtual machine still needs its NICs.
      guard source.hypervisor == .physical && source.nics.isEmpty && !guest.isPhysical else { return }
      let map = NICNameMap.build(NICNameMap.Input(
        nics: [], hypervisor: .physical, physicalTarget: false, inventory: try scan(guest.session)))
      plan.report.addedNICs = map.addedNICs
      if !map.addedNICs.isEmpty {
        plan.warn(
          "the physical source describes no NICs: the target gets \(map.addedNICs.joined(separator: ", ")) "
            + "(no interface name pinned: --nic-names leave)")
      }
      return
    }
    let inventory = try scan(guest.session)
    for note in inventory.notes { plan.warn(note) }
    for w in Self.competingConfigurations(inventory) { plan.warn(w) }
    var macMap = guest.options.macMap
    if !guest.isPhysical && !macMap.isEmpty {
      plan.warn("--mac is for -o physical (the new machine's own NICs); a KVM target keeps the source's MAC addresses, so it is ignored")
      macMap = [:]
    }
    let map = NICNameMap.build(NICNameMap.Input(
      nics: source.nics, hypervisor: source.hypervisor, physicalTarget: guest.isPhysical,
      macMap: macMap, inventory: inventory))
    for w in map.ambiguities + map.warnings { plan.warn(w) }
    plan.report.addedNICs = map.addedNICs

    // --mac: configuration bound to an old MAC follows the NIC to its new one.
    if !macMap.isEmpty {
      var done = Set<String>()
      for i in inventory.interfaces where i.mac.map({ macMap[$0] != nil }) == true && done.insert(i.file).inserted {
        let used = macMap.filter { old, _ in inventory.interfaces.contains { $0.file == i.file && $0.mac == old } }
        try plan.rewrite(
          i.file, reason: "the NIC's MAC address changes on the new machine (--mac); the configuration is bound to the old one",
          summary: { _ in "\(i.file): " + used.sorted(by: { $0.key < $1.key }).map { "\($0.key) -> \($0.value)" }.joined(separator: ", ") }
        ) { NetworkConfigScanner.rewritingMACs(in: $0, system: i.system, map: macMap) }
      }
    }

    guard !map.pins.isEmpty else {
      warnUnpinned(plan, inventory: inventory, pinned: [], why: map.ambiguities.isEmpty ? nil : "the mapping is ambiguous")
      return
    }
    let useLink = try Self.linkFilesApply(guest.session)
    // The udev rules file grows by one rule per pin, one change each, so that each pin has its own summary.
    var rules = "# Written by v2v: the names these NICs had before the conversion, bound to their MAC addresses.\n"
    for pin in map.pins {
      let summary = "pin \(pin.name) to \(pin.mac) (\(Self.describe(pin, inventory: inventory)))"
      let reason = "keep the name the guest's configuration knows this NIC by (\(pin.evidence)); on the new hardware it would be named otherwise"
      if useLink {
        let text = """
          # Written by v2v: this NIC was \(pin.name) before the conversion (\(pin.evidence)).
          [Match]
          MACAddress=\(pin.mac)

          [Link]
          Name=\(pin.name)

          """
        try plan.edit(Self.linkFile(pin.name), to: text, reason: reason, summary: summary)
      } else {
        rules += "# \(pin.evidence)\n" + Self.udevRule(pin) + "\n"
        try plan.edit(Self.udevRulesFile, to: rules, reason: reason, summary: summary)
      }
    }
    warnUnpinned(plan, inventory: inventory, pinned: Set(map.pins.map(\.name)), why: nil)
  }

  /// The udev rule that names the NIC with `pin.mac` `pin.name` (hardware Ethernet devices with a driver only:
  /// not the VLANs and bonds that take the NIC's MAC).
  static func udevRule(_ pin: NICPin) -> String {
    "SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", ATTR{address}==\"\(pin.mac)\", ATTR{type}==\"1\", NAME=\"\(pin.name)\""
  }

  /// Whether the guest's udev applies `.link` files: systemd 209 and later ship `80-net-setup-link.rules`
  /// (which runs the `net_setup_link` builtin) and `99-default.link`; a guest that masked the rules file in
  /// /etc (a link to /dev/null or an empty file, to turn predictable names off) applies none.
  static func linkFilesApply(_ session: GuestSession) throws -> Bool {
    let mask = "/etc/udev/rules.d/80-net-setup-link.rules"
    if try session.readLink(mask) == "/dev/null" { return false }
    if try session.exists(mask) {
      let text = try session.readText(mask) ?? ""
      if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return false }
    }
    for p in setupLinkRules + defaultLinks where try session.exists(p) { return true }
    return false
  }

  /// What the guest configures on the pinned NIC, for the change's summary: `ifupdown: static
  /// 192.0.2.10/24, gateway 192.0.2.1`; several systems joined by `; `.
  static func describe(_ pin: NICPin, inventory: NetworkInventory) -> String {
    var parts: [String] = []
    for i in inventory.interfaces where !i.namesOnly {
      let byName = i.name.map { !i.nameIsPattern && ($0 == pin.name || NICNameMap.baseName($0) == pin.name) } ?? false
      let byMAC = i.mac == pin.sourceMAC
      let system = i.system.rawValue
      if byName || byMAC {
        let label = i.name.flatMap { $0 == pin.name ? nil : $0 }.map { "\(system) \($0)" } ?? system
        parts.append("\(label): " + (i.settings.isEmpty ? "configured" : i.settings.joined(separator: ", ")))
      } else if i.lowerInterfaces.contains(pin.name) {
        parts.append("\(system): under \(i.name ?? "another interface")")
      }
    }
    var seen = Set<String>()
    parts = parts.filter { seen.insert($0).inserted }
    return parts.isEmpty ? "the guest configures nothing on it" : parts.joined(separator: "; ")
  }

  /// Warns about hardware interface names the guest configures that no NIC will carry after the move.
  func warnUnpinned(_ plan: LinuxPlan, inventory: NetworkInventory, pinned: Set<String>, why: String?) {
    var warned = Set<String>()
    for i in inventory.interfaces where !i.namesOnly {
      for n in [i.name].compactMap({ $0 }) + i.lowerInterfaces {
        let base = NICNameMap.baseName(n)
        guard !(i.nameIsPattern && n == i.name), NICNameMap.isHardwareName(base), !pinned.contains(base),
          warned.insert("\(i.file) \(base)").inserted
        else { continue }
        let bound = i.mac.map { " (\(Self.bindingKey(i.system))\($0))" } ?? ""
        plan.warn(
          "\(i.file) configures interface \(n)\(bound), which no NIC will be named after the move"
            + (why.map { " (\($0))" } ?? " (no NIC of the source is known by that name)"))
      }
    }
  }

  /// How `system` spells a MAC binding, for messages (`HWADDR=`).
  static func bindingKey(_ system: NetworkConfigSystem) -> String {
    switch system {
    case .ifcfg, .wicked: return "HWADDR="
    case .networkManager: return "mac-address="
    case .networkd: return "MACAddress="
    case .netplan: return "macaddress: "
    case .udevRules: return "ATTR{address}=="
    case .ifupdown: return "MAC "
    }
  }
}
