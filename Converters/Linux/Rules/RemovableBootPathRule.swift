import V2VCore
import V2VModel

/// Gives a UEFI guest the removable-media boot path (`EFI/BOOT/BOOTX64.EFI`) when it lacks one.
///
/// Reason: a UEFI machine boots its OS through an NVRAM entry naming `EFI/<distro>/shimx64.efi` or
/// `grubx64.efi`; NVRAM belongs to the machine, not the disk, so the converted guest starts with an empty
/// variable store and the firmware finds nothing to boot. Firmware always tries the removable-media path,
/// so the distribution's own loader is copied there: shim as `BOOTX64.EFI` with GRUB (and MokManager)
/// beside it when the guest boots through shim, else GRUB itself; the `grub.cfg` stub next to the loader is
/// copied too. A guest that already has the path is not touched.
struct RemovableBootPathRule: LinuxRule {
  static let reason = "a new machine has no NVRAM boot entry; UEFI firmware always tries EFI/BOOT/BOOT<arch>.EFI"

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    guard guest.targetFirmware == .uefi else { return }
    let efi = guest.traits.efiDirectory
    guard try guest.session.isDirectory(efi) else {
      if guest.isPhysical || guest.context.platform.requestedFirmware == .uefi {
        throw ConversionError.noBootLoader(
          "UEFI firmware needs an EFI system partition mounted at /boot/efi, and the guest has none (it was installed for BIOS): "
            + "convert with --firmware bios, or add an ESP to the source first")
      }
      plan.warn("UEFI guest without \(efi) (is the EFI system partition in fstab?): the removable-media boot path was not checked")
      return
    }
    let suffix = guest.inspection.arch == .aarch64 ? "AA64" : "X64"
    let loaderName = "BOOT\(suffix).EFI"
    let entries = try guest.session.list(efi)
    // FAT is case-insensitive; the directory may be spelled BOOT or boot.
    let bootDirName = entries.first { $0.uppercased() == "BOOT" }
    if let b = bootDirName {
      for f in try guest.session.list("\(efi)/\(b)") where f.uppercased() == loaderName { return }
    }
    let lower = suffix.lowercased()
    var source: (dir: String, shim: Bool)?
    for d in entries.sorted() where d.uppercased() != "BOOT" {
      let files = Set(try guest.session.list("\(efi)/\(d)").map { $0.lowercased() })
      if files.contains("shim\(lower).efi") && files.contains("grub\(lower).efi") { source = ("\(efi)/\(d)", true); break }
      if source == nil && files.contains("grub\(lower).efi") { source = ("\(efi)/\(d)", false) }
    }
    if source == nil, try guest.hasTool("grub-install"), try guest.session.exists("/usr/lib/grub/x86_64-efi/core.efi") || guest.session.exists("/usr/lib/grub/x86_64-efi/modinfo.sh") {
      // No EFI loader yet (a BIOS guest with an ESP moving to UEFI): GRUB installs itself on the fallback path.
      plan.run(
        ["grub-install", "--target=x86_64-efi", "--efi-directory=/boot/efi", "--removable", "--no-nvram"], reason: Self.reason,
        summary: "install GRUB for UEFI at \(efi)/BOOT/BOOT\(suffix).EFI (the guest had no EFI loader)")
      return
    }
    guard let source else {
      plan.warn("UEFI guest: no \(efi)/*/grub\(lower).efi to copy to the removable-media path; the converted guest may not boot without an NVRAM entry")
      return
    }
    let bootDir = "\(efi)/\(bootDirName ?? "BOOT")"
    if bootDirName == nil {
      plan.add(.makeDirectory(path: bootDir, mode: nil, owner: nil), reason: Self.reason, summary: "create \(bootDir)")
    }
    var copies: [(String, String)] = []
    if source.shim {
      copies = [("shim\(lower).efi", loaderName), ("grub\(lower).efi", "grub\(lower).efi"), ("mm\(lower).efi", "mm\(lower).efi")]
    } else {
      copies = [("grub\(lower).efi", loaderName)]
    }
    copies.append(("grub.cfg", "grub.cfg"))
    let present = try guest.session.list(source.dir)
    for (from, to) in copies {
      guard let actual = present.first(where: { $0.lowercased() == from.lowercased() }),
        let bytes = try guest.session.readFile("\(source.dir)/\(actual)")
      else { continue }
      plan.add(
        .writeFile(path: "\(bootDir)/\(to)", bytes: bytes, mode: nil), reason: Self.reason,
        summary: "\(bootDir)/\(to) <- \(source.dir)/\(actual)")
    }
  }
}
