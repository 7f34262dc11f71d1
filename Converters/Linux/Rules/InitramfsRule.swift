import Foundation
import V2VCore
import V2VModel
import V2VDrivers

/// Puts the virtio drivers into the chosen kernel's initramfs and rebuilds it.
///
/// Reason: a guest built on VMware or Xen boots from an initramfs holding only the drivers of its old disk
/// controller (mptspi, vmw_pvscsi, xen-blkfront); on virtio it cannot find its root disk and stops at the
/// initramfs shell. The tool is the guest's own: initramfs-tools (Debian, Ubuntu), dracut (RHEL 6+, Fedora,
/// SLES 12+), or the legacy mkinitrd (RHEL 5, SLES 11). Only the chosen kernel is rebuilt.
struct InitramfsRule: LinuxRule {
  static let reason = "the target's disk drivers in the initramfs, so the kernel finds its root disk"
  /// The virtio modules listed even when the guest's module index does not show them (a test tree, a kernel
  /// whose modules.dep is incomplete): the tool then reports them itself.
  static let alwaysListed: Set<String> = ["virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net"]
  /// initramfs-tools' list of extra modules.
  static let initramfsToolsModules = "/etc/initramfs-tools/modules"
  /// The dracut drop-in v2v writes.
  static let dracutConf = "/etc/dracut.conf.d/v2v-virtio.conf"

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    guard let kernel = plan.kernel else { return }
    let v = kernel.version
    // Only modules this kernel has: initramfs tools fail on a module they cannot find (built-in ones need no
    // mention, and a hardware driver the kernel lacks is simply not there to add).
    let modules = guest.drivers.initramfs.filter { Self.alwaysListed.contains($0) || kernel.modules.contains($0) }
    if guest.traits.usesInitramfsTools, try guest.hasTool("update-initramfs") {
      let old = try plan.text(Self.initramfsToolsModules) ?? ""
      let new = Self.appendingModules(modules, to: old)
      let added = modules.filter { !Self.listedModules(old).contains($0) }
      try plan.edit(
        Self.initramfsToolsModules, to: new, reason: Self.reason,
        summary: "\(Self.initramfsToolsModules): add \(added.joined(separator: " "))")
      // Append the drivers to the existing image (~10 s under TCG) rather than rebuild it (~90 s); the
      // script falls back to update-initramfs itself. See InitramfsAppendScript.
      plan.run(
        ["/bin/sh", "-c", InitramfsAppendScript.text, "v2v-initramfs", v] + modules, reason: Self.reason,
        summary: "append \(modules.joined(separator: " ")) to /boot/initrd.img-\(v) (fallback: update-initramfs -u -k \(v))")
    } else if try guest.hasTool("dracut") {
      try plan.edit(
        Self.dracutConf, to: Self.dracutConfContent(modules), reason: Self.reason,
        summary: "\(Self.dracutConf): add_drivers \(modules.joined(separator: " "))")
      plan.run(["dracut", "-f", "--kver", v, guest.traits.dracutImage(v)], reason: Self.reason)
    } else if try guest.hasTool("mkinitrd") {
      let loadable = modules.filter { kernel.modules.contains($0) }
      let image = guest.traits.mkinitrdImage(v)
      if guest.traits.family == .suse {
        plan.run(
          ["mkinitrd", "-k", "/boot/vmlinuz-\(v)", "-i", image, "-m", loadable.joined(separator: " ")],
          reason: Self.reason)
      } else {
        plan.run(["mkinitrd", "-f"] + loadable.map { "--with=\($0)" } + [image, v], reason: Self.reason)
      }
    } else {
      plan.warn(
        "no initramfs tool (update-initramfs, dracut, mkinitrd) found: the initramfs of \(v) was not rebuilt "
          + "and may lack the virtio drivers")
    }
  }

  /// `content` with a line for each of `modules` it does not list yet (comments and options kept).
  static func appendingModules(_ modules: [String], to content: String) -> String {
    let listed = listedModules(content)
    let missing = modules.filter { !listed.contains($0) }
    guard !missing.isEmpty else { return content }
    var out = content
    if !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
    if !out.contains("# Added by v2v") { out += "# Added by v2v: virtio drivers for KVM\n" }
    for m in missing { out += m + "\n" }
    return out
  }

  /// Module names listed in an initramfs-tools modules file (first word of each non-comment line).
  static func listedModules(_ content: String) -> Set<String> {
    var names = Set<String>()
    for line in content.split(separator: "\n") {
      let t = line.trimmingCharacters(in: .whitespaces)
      guard !t.isEmpty, !t.hasPrefix("#"), let first = t.split(separator: " ").first else { continue }
      names.insert(first.replacingOccurrences(of: "-", with: "_"))
    }
    return names
  }

  /// The dracut drop-in adding `modules`.
  static func dracutConfContent(_ modules: [String]) -> String {
    "# Added by v2v: virtio drivers for KVM\nadd_drivers+=\" \(modules.joined(separator: " ")) \"\n"
  }
}
