import V2VCore
import V2VModel

/// Installs GRUB's boot code on the boot disk for BIOS firmware when the guest did not boot from its disk.
///
/// Reason: a Xen PV guest is started by its host (pygrub reads grub.cfg from outside, or the host names a
/// kernel in the config), so nothing is in its disk's boot sector; under KVM's BIOS the converted guest
/// never starts and the serial console stays blank. The guest's own `grub-install` (`grub2-install`) writes
/// the boot code and core.img for BIOS. It runs when the source was booted by its host or when the boot
/// disk's boot code is all zeros; a disk that already boots is left alone, and UEFI guests are the
/// ``RemovableBootPathRule``'s. A boot disk that is a bare filesystem (Xen's partition-style `xvda1`) has
/// no room to embed core.img: GRUB then uses block lists (`--force`), which work until core.img moves.
struct BootCodeRule: LinuxRule {
  static let reason = "the source was booted by its host (or has no boot code); KVM's BIOS boots from the disk's boot sector"
  static let physicalReason = "a machine's BIOS starts the boot code of its first disk; GRUB is reinstalled for it, as a restore does"
  /// Where GRUB keeps its BIOS modules, by family.
  static let biosModuleDirectories = ["/usr/lib/grub/i386-pc", "/usr/lib/grub2/i386-pc"]

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    guard guest.targetFirmware != .uefi else { return }
    let (disk, apiDisk, bareFilesystem) = Self.bootDisk(guest)
    let pv = guest.context.source.paravirtBoot
    let hostBooted = pv?.bootloader != nil || pv?.kernel != nil
    // Physical hardware: always reinstalled for the machine's BIOS (as a restore does), and only where GRUB's
    // core image has room: after the MBR, or in a BIOS boot partition on GPT.
    if guest.isPhysical, !bareFilesystem, try Self.isGPTWithoutBIOSBootPartition(apiDisk, guest) {
      throw ConversionError.noBootLoader(
        "BIOS firmware on a GPT disk needs a BIOS boot partition (1 MiB, type EF02) for GRUB's core image, and \(disk) has none"
          + (guest.inspection.mountpoints["/boot/efi"] != nil ? "; the guest has an EFI system partition: use --firmware uefi" : "; convert for a UEFI machine or add the partition in the source"))
    }
    let needed = try guest.isPhysical || hostBooted || Self.bootCodeIsEmpty(apiDisk, guest)
    guard needed else { return }
    let why =
      hostBooted
      ? "the source was booted by its Xen host (\(pv?.bootloader ?? pv?.kernel ?? "?"))"
      : guest.isPhysical ? "reinstalled for the machine's BIOS" : "\(disk) has no boot code"
    var tool: String?
    for t in ["grub-install", "grub2-install"] where try guest.hasTool(t) { tool = t; break }
    var modules = false
    for d in Self.biosModuleDirectories where try guest.session.exists(d + "/boot.img") { modules = true; break }
    guard let tool, modules else {
      throw ConversionError.noBootLoader(
        "\(why), and the guest has no GRUB for BIOS (\(tool == nil ? "no grub-install" : "no i386-pc modules")): "
          + "install grub-pc (Debian, Ubuntu) or grub2-pc (RHEL, SUSE) in the guest and convert again")
    }
    var argv = [tool, "--target=i386-pc"]
    if bareFilesystem { argv.append("--force") }
    argv.append(disk)
    let target = guest.context.applianceRenames.first { $0.from == disk }?.to ?? disk
    if let first = guest.context.applianceDiskNames?.first, first != disk {
      plan.warn(
        "the guest boots from \(target), not the first disk: GRUB is installed there, but the target's firmware "
          + "starts from the first disk; list the boot disk first in the source configuration")
    }
    plan.add(
      .run(argv: argv), reason: guest.isPhysical ? Self.physicalReason : Self.reason,
      summary: "install GRUB boot code on \(target) (\(why))" + (bareFilesystem ? "; block lists: the disk is a bare filesystem" : ""))
  }

  /// The disk the guest boots from (the disk holding /boot, else /): its appliance KERNEL name (what
  /// grub-install, run in the appliance, must be given), its libguestfs API name (what device reads take),
  /// and whether that disk is a bare filesystem rather than a partitioned disk. Inspection names devices by
  /// API name (`/dev/sda1` = the first disk); the appliance's kernel may call that disk `/dev/sdb`. LVM or
  /// RAID roots without a separate /boot fall back to the first disk.
  static func bootDisk(_ guest: LinuxGuest) -> (kernel: String, api: String, bare: Bool) {
    var names = guest.context.applianceRenames.map(\.from)
    if names.isEmpty { names = ["/dev/sda"] }
    func api(_ i: Int) -> String { "/dev/sd" + DeviceNames.letters(i) }
    func partition(of disk: String, _ device: String) -> Bool {
      guard device.hasPrefix(disk) else { return false }
      let rest = device.dropFirst(disk.count)
      return !rest.isEmpty && rest.allSatisfy(\.isNumber)
    }
    let device = guest.inspection.mountpoints["/boot"] ?? guest.inspection.mountpoints["/"] ?? api(0)
    for i in names.indices {
      if device == api(i) { return (names[i], api(i), true) }
      if partition(of: api(i), device) { return (names[i], api(i), false) }
    }
    // A device named by the kernel's name (older callers).
    for (i, d) in names.enumerated() {
      if device == d { return (d, api(i), true) }
      if partition(of: d, device) { return (d, api(i), false) }
    }
    return (names[0], api(0), false)
  }

  /// Whether `disk` has a GPT without a BIOS boot partition. The partition type GUID
  /// 21686148-6449-6E6F-744E-656564454649, stored in GPT's mixed-endian layout, reads "Hah!IdontNeedEFI".
  static func isGPTWithoutBIOSBootPartition(_ disk: String, _ guest: LinuxGuest) throws -> Bool {
    let header = try guest.session.readDevice(disk, offset: 512, count: 8)
    guard header == Array("EFI PART".utf8) else { return false }
    let entries = try guest.session.readDevice(disk, offset: 1024, count: 128 * 128)
    let marker = Array("Hah!IdontNeedEFI".utf8)
    for i in stride(from: 0, to: entries.count - 127, by: 128) where Array(entries[i..<i + 16]) == marker { return false }
    return true
  }

  /// Whether the first 440 bytes of `disk` (the MBR's boot code) are all zeros. Unknown (nothing read)
  /// counts as not empty: the rule then changes nothing unless the host booted the guest.
  static func bootCodeIsEmpty(_ disk: String, _ guest: LinuxGuest) throws -> Bool {
    let code = try guest.session.readDevice(disk, offset: 0, count: 440)
    return code.count == 440 && code.allSatisfy { $0 == 0 }
  }
}
