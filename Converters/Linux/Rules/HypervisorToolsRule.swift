import V2VCore
import V2VModel

/// Removes the old hypervisor's guest tools, and disables their services in case removal fails.
///
/// Reason: VMware Tools, Xen guest utilities and VirtualBox additions talk to a hypervisor that is gone:
/// on KVM their daemons fail at every boot, and some (vmtoolsd) slow down shutdown. Removal uses the guest's
/// package tool without network (`dpkg --purge`, `rpm -e`); dependent packages go in the same call. Both
/// changes are optional: a failure is reported as a warning, not a failed conversion.
struct HypervisorToolsRule: LinuxRule {
  static let reason = "the old hypervisor's guest tools do not work on KVM"
  static let physicalReason = "hypervisor agents have nothing to talk to on physical hardware"

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    let installed: Set<String>
    do {
      installed = try PackageInventory.installed(guest)
    } catch {
      plan.warn("could not list installed packages (\(error)): the old hypervisor's tools were not removed")
      installed = []
    }
    let remove = HypervisorTools.toRemove(installed: installed, source: guest.context.source.hypervisor, physical: guest.isPhysical)
    if !remove.isEmpty {
      plan.run(
        guest.traits.removePackages + remove, reason: guest.isPhysical ? Self.physicalReason : Self.reason,
        summary: "remove \(remove.joined(separator: ", "))", optional: true)
    }
    for wants in try Self.wantsDirectories(guest) {
      for unit in HypervisorTools.services + (guest.isPhysical ? HypervisorTools.kvmServices : []) {
        let link = "\(wants)/\(unit)"
        guard try guest.session.readLink(link) != nil || guest.session.exists(link) else { continue }
        plan.remove(link, reason: guest.isPhysical ? Self.physicalReason : Self.reason, summary: "disable \(unit) (\(wants))", optional: true)
      }
    }
    for path in HypervisorTools.unpackagedUninstallers where try guest.session.exists(path) {
      plan.warn("hypervisor tools installed outside the package manager (\(path)) were not removed")
    }
  }

  /// The `*.wants` directories under /etc/systemd/system.
  static func wantsDirectories(_ guest: LinuxGuest) throws -> [String] {
    try guest.session.list("/etc/systemd/system").filter { $0.hasSuffix(".wants") }.map { "/etc/systemd/system/\($0)" }
  }
}
