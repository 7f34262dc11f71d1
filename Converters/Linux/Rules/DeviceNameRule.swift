import V2VCore
import V2VModel

/// Renames disks in the guest's configuration to the names the target gives them (`/dev/sda1` →
/// `/dev/vda1`, `/dev/xvdb` → `/dev/vdb`), partition numbers kept.
///
/// Reason: on virtio the disks appear as /dev/vdX; a guest that mounts, decrypts, resumes or boots from
/// /dev/sdX, /dev/hdX or /dev/xvdX waits for a device that never comes. `UUID=`, `LABEL=` and `PARTUUID=`
/// references already survive the move and are left alone.
struct DeviceNameRule: LinuxRule {
  static let reason = "disks are named /dev/vdX on virtio"

  /// Files that name disks by device: mounts, encrypted volumes, kernel command lines, grub's device map,
  /// the resume device.
  static let files = [
    "/etc/fstab", "/etc/crypttab", "/etc/default/grub", "/boot/grub/device.map", "/boot/grub2/device.map",
    "/etc/initramfs-tools/conf.d/resume", "/etc/kernel/cmdline", "/boot/grub/menu.lst", "/boot/grub/grub.conf",
  ]
  /// Boot Loader Specification entries (RHEL 8+, Fedora): their `options` line is the kernel command line.
  static let blsEntries = "/boot/loader/entries"

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    // Physical hardware: StableDeviceNamesRule names filesystems by UUID instead.
    if case .physical = guest.context.platform { return }
    let map = guest.renames
    guard !map.isEmpty else { return }
    for path in Self.files + (try guest.files(in: Self.blsEntries, suffix: ".conf")) {
      var renamed: [DeviceRename] = []
      try plan.rewrite(path, reason: Self.reason, summary: { _ in "\(path): \(DeviceNameRewriter.describe(renamed))" }) {
        let r = DeviceNameRewriter.rewrite($0, map: map)
        renamed = r.renamed
        return r.text
      }
    }
  }
}
