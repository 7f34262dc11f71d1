import V2VModel

/// The guest agents of other hypervisors: packages to remove and the services they start.
enum HypervisorTools {
  /// A package name, or a prefix when it ends in `*`, with the sources it is removed from (nil: any).
  struct Package: Sendable {
    /// `open-vm-tools`, `vmware-tools*`.
    var pattern: String
    /// Removed only when the source was one of these (nil: whatever the source).
    var onlyFrom: Set<Hypervisor>?

    /// Whether `name` is this package.
    func matches(_ name: String) -> Bool {
      pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
    }
  }

  /// Packages that only make sense on VMware, Xen or VirtualBox.
  static let packages: [Package] = [
    Package(pattern: "open-vm-tools"),
    Package(pattern: "open-vm-tools-desktop"),
    Package(pattern: "open-vm-tools-sdmp"),
    Package(pattern: "vmware-tools*"),
    Package(pattern: "xe-guest-utilities"),
    // xenstore tools may be used by scripts on other hypervisors' guests too: only on Xen sources.
    Package(pattern: "xenstore-utils", onlyFrom: [.xen]),
    Package(pattern: "xen-tools-domU", onlyFrom: [.xen]),
    Package(pattern: "virtualbox-guest-*"),
  ]

  /// KVM's own agents: removed only when the target is physical hardware (V2P), where nothing answers them.
  static let kvmPackages = ["qemu-guest-agent", "spice-vdagent", "spice-webdavd"]

  /// systemd units of KVM's agents.
  static let kvmServices = ["qemu-guest-agent.service", "spice-vdagentd.service", "spice-vdagentd.socket"]

  /// systemd units those packages install.
  static let services = [
    "vmtoolsd.service", "open-vm-tools.service", "vgauth.service", "xe-linux-distribution.service",
    "vboxadd.service", "vboxadd-service.service",
  ]

  /// Installers that bypass the package manager: their tools stay, with a warning.
  static let unpackagedUninstallers = ["/usr/bin/vmware-uninstall-tools.pl", "/opt/VBoxGuestAdditions"]

  /// Of `installed`, the names to remove for a guest coming from `source`, sorted.
  static func toRemove(installed: Set<String>, source: Hypervisor, physical: Bool = false) -> [String] {
    installed.filter { name in
      packages.contains { $0.matches(name) && ($0.onlyFrom?.contains(source) ?? true) } || (physical && kvmPackages.contains(name))
    }.sorted()
  }
}
