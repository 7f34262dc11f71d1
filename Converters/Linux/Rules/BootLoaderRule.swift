import V2VCore
import V2VModel

/// Regenerates grub.cfg with the guest's own generator, then renames the devices it wrote.
///
/// Reason: grub.cfg holds the kernel command lines built from /etc/default/grub (just rewritten) and the
/// kernels found (the initramfs just rebuilt). Run inside the conversion appliance, grub-mkconfig probes the
/// root as the appliance sees it (`/dev/sda1`, `/dev/sdb1` in disk order) and writes that into `root=` when
/// the guest disables UUIDs: the converted guest then waits for a disk that does not exist. A second change
/// renames those devices *after* the generator ran. Without a generator, grub.cfg is edited in place.
struct BootLoaderRule: LinuxRule {
  static let reason = "the boot menu names the kernel, initramfs and root disk the guest boots on KVM"
  static let fixupReason = "grub-mkconfig wrote the conversion appliance's disk names into grub.cfg"

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    let config = try Self.configPath(guest)
    let hasDefaults = try guest.session.exists("/etc/default/grub")
    guard let path = config ?? (hasDefaults ? guest.traits.grubConfigs.first : nil) else {
      if try guest.session.exists("/boot/grub/menu.lst") || guest.session.exists("/boot/grub/grub.conf") {
        plan.warn("legacy GRUB configuration edited in place (no grub.cfg)")
      } else {
        plan.warn("no GRUB configuration found: the boot loader was not changed")
      }
      return
    }
    if let generator = try Self.generator(guest) {
      var argv = [generator.tool]
      if generator.takesOutput { argv += ["-o", path] } else if path != "/boot/grub/grub.cfg" {
        argv = ["grub-mkconfig", "-o", path]
      }
      plan.add(.run(argv: argv), reason: Self.reason, summary: "regenerate \(path)", touched: path)
      let shown = guest.applianceRenames.prefix(guest.targetDiskCount).filter { $0.from != $0.to }
      plan.add(
        .rewriteDeviceNames(path: path, map: guest.applianceRenames), reason: Self.fixupReason,
        summary: "\(path): appliance disk names -> target names ("
          + (shown.isEmpty ? "the same names on this bus" : DeviceNameRewriter.describe(Array(shown))) + ")")
    } else {
      // No generator: the existing grub.cfg was written on the source, with the source's names.
      var what: [String] = []
      try plan.rewrite(path, reason: Self.reason, summary: { _ in "\(path): \(what.joined(separator: ", "))" }) {
        let r = DeviceNameRewriter.rewrite($0, map: guest.renames)
        if !r.renamed.isEmpty { what.append(DeviceNameRewriter.describe(r.renamed)) }
        let consoled = ConsoleRewriter.kernelCommandLines(r.text)
        if consoled != r.text { what.append("console hvc0/xvc0 -> ttyS0") }
        return consoled
      }
      plan.warn("no grub-mkconfig in the guest: \(path) was edited in place")
    }
  }

  /// The grub.cfg the guest boots from: the family's usual place, else a full (not a stub) config under
  /// /boot/efi/EFI/<distro>/.
  static func configPath(_ guest: LinuxGuest) throws -> String? {
    for p in guest.traits.grubConfigs where try guest.session.exists(p) { return p }
    let efi = guest.traits.efiDirectory
    for distro in try guest.session.list(efi) {
      let p = "\(efi)/\(distro)/grub.cfg"
      // RHEL 9 / Fedora 34+ keep a stub there that loads /boot/grub2/grub.cfg: not the one to regenerate.
      if let text = try guest.session.readText(p), !text.contains("configfile") { return p }
    }
    return nil
  }

  /// The first grub config generator the guest has.
  static func generator(_ guest: LinuxGuest) throws -> (tool: String, takesOutput: Bool)? {
    for g in guest.traits.grubGenerators where try guest.hasTool(g.tool) { return g }
    return nil
  }
}
