import Foundation

/// Warns about network configuration v2v leaves alone but that names interfaces the target will not have,
/// with `--nic-names leave` (by default ``NetworkPinRule`` pins the old names instead).
///
/// Reason: on KVM the NIC is virtio-net on another PCI slot, so predictable names change (ens192 → enp1s0)
/// and configuration pinned to a MAC address (ifcfg `HWADDR=`) applies only if the MAC is kept. Rewriting
/// network configuration guesses at intent; v2v reports it instead.
struct NetworkNamingWarningRule: LinuxRule {
  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    // With --nic-names pin (the default), NetworkPinRule gives the old names back and warns about the rest.
    guard guest.options.nicNames == .leave else { return }
    // Every configuration system the scanner reads (ifupdown, networkd, NetworkManager, ifcfg, netplan, wicked).
    let inventory = try NetworkConfigScanner.scan(guest.session)
    let newName = guest.isPhysical ? "the new machine's NIC (check it on first boot)" : "virtio (e.g. enp1s0)"
    var seen = Set<String>()
    for i in inventory.interfaces where !i.namesOnly && !i.nameIsPattern && i.system != .udevRules {
      guard let name = i.name, Self.isHardwareName(name), seen.insert("\(i.file) \(name)").inserted else { continue }
      plan.warn("\(i.file) configures interface \(name) (\(i.system.rawValue)), which will have another name on \(newName)")
    }
    for i in inventory.interfaces where i.system == .ifcfg || i.system == .wicked {
      guard let mac = i.mac, seen.insert("\(i.file) \(mac)").inserted else { continue }
      plan.warn("\(i.file) binds the interface to MAC \(mac): it applies only if the NIC keeps that MAC")
    }
  }

  /// Names derived from the NIC's bus position or driver order (eth0, ens192, enp11s0, eno1), not `lo`,
  /// bridges or bonds.
  static func isHardwareName(_ name: String) -> Bool {
    let base = name.split(separator: ":").first.map(String.init) ?? name
    for p in ["eth", "ens", "enp", "eno", "enx"] where base.hasPrefix(p) && base.count > p.count {
      return base.dropFirst(p.count).first?.isNumber == true || p == "enx"
    }
    return false
  }
}
