import V2VCore
import V2VDrivers
import V2VModel

/// Converts Debian/Ubuntu, RHEL/Fedora and SUSE guests for a target platform (KVM on virtio-blk,
/// virtio-scsi or SATA; physical hardware): its drivers in the initramfs, its disk names, its console.
///
/// `plan` only reads the guest (and may run read-only queries such as `rpm -qa`); the pipeline applies the
/// returned changes with ``ChangeApplier`` (or prints them for `--dry-run`). The rules run in this order,
/// because later ones depend on earlier edits:
/// 1. kernel choice (throws ``ConversionError/noKernelForBus(_:_:)``),
/// 2. device names (KVM: renamed for the bus; physical hardware: filesystems by UUID), 3. serial console, and
/// on hardware both consoles, the generic initramfs policy and no VM-only options, 4. persistent net rules,
/// X.org driver, SELinux relabel (file edits), 5. other hypervisors' tools (optional; on hardware KVM's agents
/// too), 6. initramfs of the chosen kernel (reads the edited fstab, resume and modules files), 7. GRUB boot
/// code for BIOS when the source did not boot from its disk (Xen PV) or the target is a physical machine
/// (refused on GPT without a BIOS boot partition), the UEFI removable-media boot path when missing (refused
/// without an ESP when UEFI is asked for), 8. grub.cfg regeneration and its device-name fix-up, 9. warnings
/// about network naming.
public struct LinuxConverter: GuestConverter {
  /// The rules, in the order they are planned and applied.
  let rules: [LinuxRule] = [
    KernelChoiceRule(), DeviceNameRule(), StableDeviceNamesRule(), MountTableRule(), SerialConsoleRule(), HardwareBootRule(),
    PersistentNetRulesRule(), NetworkPinRule(), XorgDriverRule(), SELinuxRelabelRule(), HypervisorToolsRule(), InitramfsRule(), BootCodeRule(), RemovableBootPathRule(), BootLoaderRule(),
    NetworkNamingWarningRule(),
  ]

  /// The user's Linux choices (`--nic-names`, `--mac`, `--missing-mounts`).
  public let options: LinuxOptions

  /// Creates the converter.
  public init(options: LinuxOptions = LinuxOptions()) { self.options = options }

  /// Linux guests of the Debian, Red Hat and SUSE families.
  public func handles(_ inspection: GuestInspection) -> Bool {
    inspection.osType == .linux && LinuxFamilyTraits.table[inspection.family] != nil
  }

  /// The changes that make the guest boot on KVM virtio, with the kernel chosen and warnings.
  public func plan(session: GuestSession, inspection: GuestInspection, context: ConversionContext) throws
    -> ConversionReport
  {
    guard handles(inspection), let traits = LinuxFamilyTraits.table[inspection.family] else {
      throw ConversionError.unsupportedGuest("\(inspection.osType.rawValue) \(inspection.distro) (no Linux converter for it)")
    }
    let guest = LinuxGuest(session: session, inspection: inspection, context: context, traits: traits, options: options)
    let plan = LinuxPlan(session: session)
    for rule in rules { try rule.apply(to: plan, guest: guest) }
    plan.report.capabilities = Self.capabilities(kernel: plan.kernel, guest: guest)
    plan.report.serialConsole = try SerialConsoleRule.detect(plan, guest: guest)
    return plan.report
  }

  /// What the converted guest can use: the buses and NIC models its boot kernel has drivers for (the
  /// initramfs gets them all), the platform's bus first; UTC clock; virtio RNG and balloon when the kernel
  /// has their drivers.
  static func capabilities(kernel: InstalledKernel?, guest: LinuxGuest) -> GuestCapabilities {
    guard let k = kernel else { return GuestCapabilities() }
    var nics = NICModel.allCases.filter(k.canDrive)
    if let wanted = guest.nicModel, let i = nics.firstIndex(of: wanted) { nics.insert(nics.remove(at: i), at: 0) }
    return GuestCapabilities(
      blockBuses: k.bootBuses(preferring: guest.diskBus), nicModels: nics.isEmpty ? [.e1000e] : nics,
      virtioRNG: k.provides("virtio_rng"), virtioBalloon: k.provides("virtio_balloon"), clock: .utc,
      installedDrivers: guest.drivers.initramfs)
  }
}
