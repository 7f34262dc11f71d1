import V2VCore
import V2VModel

/// Facts that differ between Linux families: boot loader files, initramfs naming, package tools.
struct LinuxFamilyTraits: Sendable {
  /// The family these facts describe.
  var family: GuestFamily
  /// grub.cfg locations to look for, in order (the first that exists is regenerated).
  var grubConfigs: [String]
  /// grub config generators, in order of preference: program and its arguments before the output path
  /// (`update-grub` takes none: it always writes /boot/grub/grub.cfg).
  var grubGenerators: [(tool: String, takesOutput: Bool)]
  /// The EFI directory holding per-distribution grub.cfg files (`/boot/efi/EFI`).
  var efiDirectory = "/boot/efi/EFI"
  /// The initramfs image dracut writes for a kernel version.
  var dracutImage: @Sendable (String) -> String
  /// The initrd image the family's legacy `mkinitrd` writes for a kernel version.
  var mkinitrdImage: @Sendable (String) -> String
  /// Whether the family uses initramfs-tools (`/etc/initramfs-tools/modules`, `update-initramfs`).
  var usesInitramfsTools: Bool
  /// The command removing packages; package names are appended.
  var removePackages: [String]
  /// Whether installed packages are read from /var/lib/dpkg/status (else `rpm -qa`).
  var dpkgDatabase: Bool

  /// The traits of each supported family.
  static let table: [GuestFamily: LinuxFamilyTraits] = [
    .debian: LinuxFamilyTraits(
      family: .debian, grubConfigs: ["/boot/grub/grub.cfg"],
      grubGenerators: [("update-grub", false), ("grub-mkconfig", true)],
      dracutImage: { "/boot/initrd.img-\($0)" }, mkinitrdImage: { "/boot/initrd.img-\($0)" },
      usesInitramfsTools: true, removePackages: ["dpkg", "--purge"], dpkgDatabase: true),
    .redHat: LinuxFamilyTraits(
      family: .redHat, grubConfigs: ["/boot/grub2/grub.cfg", "/boot/grub/grub.cfg"],
      grubGenerators: [("grub2-mkconfig", true), ("grub-mkconfig", true)],
      dracutImage: { "/boot/initramfs-\($0).img" }, mkinitrdImage: { "/boot/initrd-\($0).img" },
      usesInitramfsTools: false, removePackages: ["rpm", "-e"], dpkgDatabase: false),
    .suse: LinuxFamilyTraits(
      family: .suse, grubConfigs: ["/boot/grub2/grub.cfg", "/boot/grub/grub.cfg"],
      grubGenerators: [("grub2-mkconfig", true), ("grub-mkconfig", true)],
      dracutImage: { "/boot/initrd-\($0)" }, mkinitrdImage: { "/boot/initrd-\($0)" },
      usesInitramfsTools: false, removePackages: ["rpm", "-e"], dpkgDatabase: false),
  ]
}
