/// Removes udev's MAC-pinned network interface rules.
///
/// Reason: 70-persistent-net.rules binds eth0 to the old NIC's MAC address; the virtio NIC (a new MAC, or
/// the same MAC on a different driver) then becomes eth1 and the configuration written for eth0 never
/// applies. The generator rule recreates the file at first boot on older udev and goes too. The file's
/// name↔MAC records are not lost: ``NetworkPinRule`` reads them (through the network inventory, which reads
/// the guest, not the plan) and pins the names of the NICs the target has, with their new MACs under
/// `--mac`; its own file replaces this one.
struct PersistentNetRulesRule: LinuxRule {
  static let reason = "interface names pinned to the old NICs' MAC addresses (v2v pins the names of the NICs the target has instead)"
  static let files = [
    "/etc/udev/rules.d/70-persistent-net.rules", "/etc/udev/rules.d/75-persistent-net-generator.rules",
  ]

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    for path in Self.files where try guest.session.exists(path) {
      plan.remove(path, reason: Self.reason, summary: "remove \(path)")
    }
  }
}
