import V2VCore
import V2VModel

/// Converts Debian/Ubuntu, RHEL/Fedora and SUSE guests to boot on KVM with virtio devices.
///
/// `plan` only reads the guest (and may run read-only queries such as `rpm -qa`); the pipeline applies the
/// returned changes with ``ChangeApplier`` (or prints them for `--dry-run`). The rules run in this order,
/// because later ones depend on earlier edits:
/// 1. kernel choice (throws ``ConversionError/noVirtioKernel(_:)``),
/// 2. device names, 3. serial console, 4. persistent net rules, X.org driver, SELinux relabel (file edits),
/// 5. old hypervisor tools (optional), 6. initramfs of the chosen kernel (reads the edited fstab, resume and
/// modules files), 7. grub.cfg regeneration and its device-name fix-up, 8. warnings about network naming.
public struct LinuxConverter: GuestConverter {
  /// The rules, in the order they are planned and applied.
  let rules: [LinuxRule] = [
    KernelChoiceRule(), DeviceNameRule(), SerialConsoleRule(), PersistentNetRulesRule(), XorgDriverRule(),
    SELinuxRelabelRule(), HypervisorToolsRule(), InitramfsRule(), BootLoaderRule(), NetworkNamingWarningRule(),
  ]

  /// Creates the converter.
  public init() {}

  /// Linux guests of the Debian, Red Hat and SUSE families.
  public func handles(_ inspection: GuestInspection) -> Bool {
    inspection.type == "linux" && LinuxFamilyTraits.table[inspection.family] != nil
  }

  /// The changes that make the guest boot on KVM virtio, with the kernel chosen and warnings.
  public func plan(session: GuestSession, inspection: GuestInspection, context: ConversionContext) throws
    -> ConversionReport
  {
    guard handles(inspection), let traits = LinuxFamilyTraits.table[inspection.family] else {
      throw ConversionError.unsupportedGuest("\(inspection.type) \(inspection.distro) (no Linux converter for it)")
    }
    let guest = LinuxGuest(session: session, inspection: inspection, context: context, traits: traits)
    let plan = LinuxPlan(session: session)
    for rule in rules { try rule.apply(to: plan, guest: guest) }
    plan.report.serialConsole = try SerialConsoleRule.detect(plan, guest: guest)
    return plan.report
  }
}
