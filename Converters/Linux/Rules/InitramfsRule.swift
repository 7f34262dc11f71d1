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
      // Debian's dracut ships no update-initramfs, so a Debian guest that replaced initramfs-tools with dracut
      // lands here; its image keeps the Debian name (the family traits).
      try plan.edit(
        Self.dracutConf, to: Self.dracutConfContent(modules), reason: Self.reason,
        summary: "\(Self.dracutConf): add_drivers \(modules.joined(separator: " "))")
      for w in try Self.dracutOmissions(guest: guest, modules: modules) { plan.warn(w) }
      let image = guest.traits.dracutImage(v)
      // Append the drivers to the existing image rather than rebuild it (measured in real conversions under
      // TCG: see DracutAppendScript); the script falls back to the guest's dracut itself.
      plan.run(
        Self.dracutCommand(version: v, image: image, modules: modules), reason: Self.reason,
        summary: "append \(modules.joined(separator: " ")) to \(image) (fallback: "
          + "\(Self.dracutRebuild(version: v, image: image, modules: modules).joined(separator: " ")))")
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

  /// The guest command for a dracut guest: ``DracutAppendScript`` with its version, image and modules.
  static func dracutCommand(version: String, image: String, modules: [String]) -> [String] {
    ["/bin/sh", "-c", DracutAppendScript.text, "v2v-dracut", version, image] + modules
  }

  /// The rebuild ``DracutAppendScript`` falls back to (as it runs it; shown in the change's summary):
  /// `--add-drivers` is installed whatever the hostonly setting and wins over an `omit_drivers` entry of the
  /// same name; `--no-hostonly-cmdline` keeps the appliance's view of the disks out of the image.
  static func dracutRebuild(version: String, image: String, modules: [String]) -> [String] {
    ["dracut", "--force", "--no-hostonly-cmdline", "--add-drivers", modules.joined(separator: " "), "--kver", version, image]
  }

  /// Where dracut reads its configuration (`/etc/dracut.conf`, then the drop-ins; the distribution's
  /// `/usr/lib/dracut/dracut.conf.d` as well).
  static let dracutConfigDirectories = ["/usr/lib/dracut/dracut.conf.d", "/etc/dracut.conf.d"]

  /// Warnings for `omit_drivers` entries of the guest's dracut configuration that may drop one of `modules`
  /// from its next rebuild. dracut ignores an entry that names an added driver exactly (`add_drivers`, which
  /// v2v's drop-in and the fallback's `--add-drivers` set), but other entries are regular expressions (059
  /// anchors them, older versions do not): `virtio.*`, or `virtio` in an older dracut, still drops them. The
  /// image v2v appends to has the drivers; the guest's next rebuild (a kernel update) might not.
  static func dracutOmissions(guest: LinuxGuest, modules: [String]) throws -> [String] {
    var files = ["/etc/dracut.conf"]
    for d in dracutConfigDirectories where try guest.session.isDirectory(d) {
      files += try guest.session.list(d).filter { $0.hasSuffix(".conf") }.sorted().map { d + "/" + $0 }
    }
    var out: [String] = []
    for f in files {
      guard let text = try guest.session.readText(f) else { continue }
      for (entry, hit) in omittedModules(text, modules: modules) {
        out.append(
          "\(f): omit_drivers \"\(entry)\" matches \(hit): the converted initramfs has it, but the guest's next dracut "
            + "rebuild (a kernel update) may leave it out and the guest would then not find its disk; remove that entry")
      }
    }
    return out
  }

  /// The `omit_drivers` entries of a dracut configuration file that match (anywhere, as older dracut
  /// matches) one of `modules` without naming it exactly, each with the first module it matches.
  static func omittedModules(_ config: String, modules: [String]) -> [(entry: String, module: String)] {
    var out: [(String, String)] = []
    for raw in config.split(separator: "\n") {
      let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
      let t = line.trimmingCharacters(in: .whitespaces)
      guard t.hasPrefix("omit_drivers"), let eq = t.firstIndex(of: "=") else { continue }
      let key = t[..<eq].trimmingCharacters(in: .whitespaces)
      guard key == "omit_drivers" || key == "omit_drivers+" else { continue }
      let value = t[t.index(after: eq)...].trimmingCharacters(in: CharacterSet(charactersIn: "\"' \t"))
      for e in value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map({ $0.replacingOccurrences(of: "-", with: "_") }) {
        guard !modules.contains(e), let re = try? NSRegularExpression(pattern: e) else { continue }
        if let m = modules.first(where: { re.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }) {
          out.append((e, m))
        }
      }
    }
    return out
  }

  /// The dracut drop-in adding `modules`.
  static func dracutConfContent(_ modules: [String]) -> String {
    "# Added by v2v: virtio drivers for KVM\nadd_drivers+=\" \(modules.joined(separator: " ")) \"\n"
  }
}
