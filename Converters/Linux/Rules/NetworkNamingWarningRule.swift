import Foundation

/// Warns about network configuration v2v leaves alone but that names interfaces the target will not have,
/// with `--nic-names leave` (by default ``NetworkPinRule`` pins the old names instead).
///
/// Reason: on KVM the NIC is virtio-net on another PCI slot, so predictable names change (ens192 → enp1s0)
/// and configuration pinned to a MAC address (ifcfg `HWADDR=`) applies only if the MAC is kept. Rewriting
/// network configuration guesses at intent; v2v reports it instead.
struct NetworkNamingWarningRule: LinuxRule {
  /// Files whose interface names are checked, with how they name interfaces.
  static let debianInterfaces = "/etc/network/interfaces"
  static let ifcfgDirectories = ["/etc/sysconfig/network-scripts", "/etc/sysconfig/network"]

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    // With --nic-names pin (the default), NetworkPinRule gives the old names back and warns about the rest.
    guard guest.options.nicNames == .leave else { return }
    let ifaceFiles = [Self.debianInterfaces] + (try guest.files(in: "/etc/network/interfaces.d"))
    for path in ifaceFiles {
      for line in try guest.session.lines(path) {
        let w = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard w.count >= 2, w[0] == "iface" || w[0] == "auto" || w[0] == "allow-hotplug" else { continue }
        let name = String(w[1])
        if Self.isHardwareName(name) {
          plan.warn("\(path) configures interface \(name), which will have another name on \(guest.isPhysical ? "the new machine's NIC (check it on first boot)" : "virtio (e.g. enp1s0)")")
        }
      }
    }
    for dir in Self.ifcfgDirectories {
      for path in try guest.files(in: dir) where path.split(separator: "/").last!.hasPrefix("ifcfg-") {
        let lines = try guest.session.lines(path)
        if let hw = lines.first(where: { $0.hasPrefix("HWADDR=") }) {
          plan.warn("\(path) pins the interface to \(hw): it applies on KVM only if the NIC keeps that MAC")
        }
      }
    }
    for path in try guest.files(in: "/etc/NetworkManager/system-connections", suffix: ".nmconnection") {
      for line in try guest.session.lines(path) where line.hasPrefix("interface-name=") {
        let name = String(line.dropFirst("interface-name=".count))
        if Self.isHardwareName(name) {
          plan.warn("\(path) is bound to interface \(name), which will have another name on \(guest.isPhysical ? "the new machine's NIC" : "virtio")")
        }
      }
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
