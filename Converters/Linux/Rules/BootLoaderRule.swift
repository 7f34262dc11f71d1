import V2VCore
import V2VModel

/// Brings grub.cfg to the target: a text fix-up of its disk names when only those change, else a
/// regeneration with the guest's own generator followed by a rename of the devices it wrote.
///
/// Reason: grub.cfg holds the kernel command lines built from /etc/default/grub and the kernels found. When
/// the conversion changes neither (the default entry already boots the chosen kernel with its initramfs, and
/// /etc/default/grub changed at most in its disk names), renaming the source's disk names in grub.cfg gives
/// what the generator would write, in milliseconds instead of ~20 s of grub-mkconfig under emulation. The
/// generator runs when the command line or kernel must change, and wherever the text cannot be trusted
/// (``textFixupBlocker(_:guest:path:)``). Run inside the conversion appliance, grub-mkconfig probes the root
/// as the appliance sees it (`/dev/sda1`, `/dev/sdb1` in disk order) and writes that into `root=` when the
/// guest disables UUIDs: a second change renames those devices *after* the generator ran. Without a
/// generator, grub.cfg is edited in place.
struct BootLoaderRule: LinuxRule {
  static let reason = "the boot menu names the kernel, initramfs and root disk the guest boots on KVM"
  static let fixupReason = "grub-mkconfig wrote the conversion appliance's disk names into grub.cfg"
  static let textReason = "the boot menu names the root disk the guest boots from on the target; its kernel and command line stay"

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
      let blocker = try Self.textFixupBlocker(plan, guest: guest, path: path)
      if blocker == nil, let text = try guest.session.readText(path) {
        // Only disk names change: rename them where they are, as they were written on the source.
        let renamed = DeviceNameRewriter.rewrite(text, map: guest.renames).renamed
        let v = plan.kernel?.version ?? "?"
        plan.add(
          .rewriteDeviceNames(path: path, map: guest.renames), reason: Self.textReason,
          summary: "\(path): " + (renamed.isEmpty ? "no disk names to change" : DeviceNameRewriter.describe(renamed))
            + " (text fix-up, not regenerated: its default entry already boots \(v) and the kernel command line does not change)",
          touched: path)
        return
      }
      let why = blocker ?? "no grub.cfg to fix up"
      var argv = [generator.tool]
      if generator.takesOutput { argv += ["-o", path] } else if path != "/boot/grub/grub.cfg" {
        argv = ["grub-mkconfig", "-o", path]
      }
      plan.add(.run(argv: argv), reason: Self.reason, summary: "regenerate \(path) (\(why))", touched: path)
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

  /// Why grub.cfg must be regenerated rather than fixed up as text; nil when renaming its disk names is all
  /// the target needs. Whenever the text cannot be trusted to say what the generator would write, a reason
  /// is returned: the generator is then run, as before.
  static func textFixupBlocker(_ plan: LinuxPlan, guest: LinuxGuest, path: String) throws -> String? {
    if guest.isPhysical { return "physical hardware: the generator names the root by UUID for the machine" }
    let source = sourceFirmware(guest)
    if guest.targetFirmware != source {
      return "the firmware changes from \(source.rawValue) to \(guest.targetFirmware.rawValue)"
    }
    if plan.report.changes.contains(where: { if case .run(let argv) = $0.kind { return argv.first.map(isGrubInstall) ?? false } else { return false } }) {
      return "GRUB's boot code is installed for the target: its menu is generated with it"
    }
    // The generator's inputs: a change other than disk names is a new kernel command line.
    let inputs = ["/etc/default/grub"] + (try guest.files(in: "/etc/default/grub.d", suffix: ".cfg"))
    var originals: [String] = []
    for input in inputs {
      let old = try guest.session.readText(input)
      let new = try plan.text(input)
      originals.append(old ?? "")
      if old != new, new != old.map({ DeviceNameRewriter.rewrite($0, map: guest.renames).text }) {
        return "\(input) changed beyond disk names: the kernel command line changes"
      }
    }
    guard let text = try guest.session.readText(path) else { return "no \(path) to fix up" }
    if text.contains("blscfg") { return "grub.cfg reads Boot Loader Specification entries: left to the generator" }
    if ConsoleRewriter.kernelCommandLines(text) != text || text.contains("xen_hypervisor") || text.contains("multiboot") {
      return "grub.cfg boots through Xen or on the Xen console (hvc0/xvc0)"
    }
    for device in StableDeviceNamesRule.deviceTokens(text) where buildDevicePrefixes.contains(where: device.hasPrefix) {
      return "grub.cfg names \(device), a device of the machine that generated it"
    }
    let menu = GrubMenu.parse(text)
    guard menu.defaultIndex != nil else {
      return "grub.cfg's default entry is not fixed (set default=\"\(menu.defaults.last ?? "")\")"
    }
    guard let entry = menu.defaultEntry else { return "grub.cfg has no default entry" }
    guard !entry.isSubmenu else { return "grub.cfg's default entry is a submenu" }
    guard let kernel = plan.kernel else { return "no kernel was chosen" }
    guard let booted = entry.kernelVersion else { return "grub.cfg's default entry names no kernel image" }
    guard booted == kernel.version else {
      return "grub.cfg boots \(booted) by default, the guest is to boot \(kernel.version)"
    }
    guard entry.initrds.contains(where: { $0.contains(kernel.version) }) else {
      return "grub.cfg's default entry loads no initramfs of \(kernel.version)"
    }
    // Out of date on the source: /etc/default/grub asks for words the entry lacks.
    guard let words = GrubDefaults.commandLineWords(originals) else {
      return "/etc/default/grub computes the kernel command line in shell"
    }
    let have = Set(entry.commandLine.split(separator: " ").map(String.init))
    if let missing = words.first(where: { !have.contains($0) }) {
      return "grub.cfg is older than /etc/default/grub (its default entry lacks \(missing))"
    }
    // After the rename, every disk it names must be one of the target's.
    let fixed = DeviceNameRewriter.rewrite(text, map: guest.renames).text
    for device in StableDeviceNamesRule.deviceTokens(fixed) where StableDeviceNamesRule.isDiskName(device) {
      if !guest.context.targetDisks.contains(where: { isDisk(device, or: $0) }) {
        return "grub.cfg names \(device), which is no disk of the target"
      }
    }
    return nil
  }

  /// Device names only a build or conversion host has (loop devices, network block devices).
  static let buildDevicePrefixes = ["/dev/loop", "/dev/nbd", "/dev/mapper/loop"]

  /// Whether `argv0` installs GRUB's boot code.
  static func isGrubInstall(_ argv0: String) -> Bool {
    let base = argv0.split(separator: "/").last.map(String.init) ?? argv0
    return base == "grub-install" || base == "grub2-install"
  }

  /// Whether `device` is `disk` or one of its partitions (`/dev/vda1`, `/dev/nvme0n1p2`).
  static func isDisk(_ device: String, or disk: String) -> Bool {
    guard device.hasPrefix(disk) else { return false }
    var rest = device.dropFirst(disk.count)
    if rest.first == "p", disk.last?.isNumber == true { rest = rest.dropFirst() }
    return rest.allSatisfy(\.isNumber)
  }

  /// The firmware the source booted with: what its configuration said, else what inspection found, else BIOS.
  static func sourceFirmware(_ guest: LinuxGuest) -> Firmware {
    if guest.context.source.firmware != .unknown { return guest.context.source.firmware }
    if guest.inspection.firmware != .unknown { return guest.inspection.firmware }
    return .bios
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
