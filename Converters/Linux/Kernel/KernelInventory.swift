import V2VCore
import V2VModel

/// Finds the kernels installed in a guest and what each can drive.
///
/// A kernel counts when `/lib/modules/VER` has a matching `/boot/vmlinuz-VER` (a modules tree without an
/// image is a leftover of a removed kernel and will not boot). Module lists come from `modules.dep` and
/// `modules.builtin`, two small text files, rather than a walk of the tree (every directory listing is a
/// round trip to the appliance); only when `modules.dep` is missing are the directories holding the virtio
/// drivers listed.
enum KernelInventory {
  /// Where the module trees are.
  static let modulesRoot = "/lib/modules"
  /// Kernel image names in /boot, by prefix.
  static let imagePrefixes = ["vmlinuz-", "vmlinux-"]
  /// The directories, under a modules tree, listed when modules.dep is missing.
  static let driverDirectories = [
    "kernel/drivers/virtio", "kernel/drivers/block", "kernel/drivers/net", "kernel/drivers/scsi",
  ]

  /// Installed kernels, oldest first.
  static func scan(_ session: GuestSession) throws -> [InstalledKernel] {
    var found: [InstalledKernel] = []
    for version in try session.list(modulesRoot) where try session.isDirectory("\(modulesRoot)/\(version)") {
      var hasImage = false
      for p in imagePrefixes where try session.exists("/boot/\(p)\(version)") { hasImage = true }
      guard hasImage else { continue }
      found.append(try kernel(version, session))
    }
    return found.sorted { KernelVersionOrder.older($0.version, $1.version) }
  }

  /// Reads one kernel's module lists.
  static func kernel(_ version: String, _ session: GuestSession) throws -> InstalledKernel {
    let dir = "\(modulesRoot)/\(version)"
    var modules = Set<String>()
    if let dep = try session.readText("\(dir)/modules.dep") {
      for line in dep.split(separator: "\n") {
        guard let first = line.split(separator: " ").first, let m = InstalledKernel.moduleName(ofPath: first) else {
          continue
        }
        modules.insert(m)
      }
    } else {
      for sub in driverDirectories {
        for name in try session.list("\(dir)/\(sub)") {
          if let m = InstalledKernel.moduleName(ofPath: Substring(name)) { modules.insert(m) }
        }
      }
    }
    var builtin = Set<String>()
    for line in try session.lines("\(dir)/modules.builtin") {
      if let m = InstalledKernel.moduleName(ofPath: Substring(line)) { builtin.insert(m) }
    }
    return InstalledKernel(version: version, modules: modules, builtin: builtin)
  }

  /// The version the guest boots by default, when the guest says: the `/vmlinuz` or `/boot/vmlinuz` link
  /// (Debian, Ubuntu, SUSE), else grubenv's `saved_entry` (RHEL, Fedora; a BLS id or title containing the
  /// version). nil when neither names an installed kernel.
  static func defaultVersion(_ session: GuestSession, among versions: [String]) throws -> String? {
    for link in ["/vmlinuz", "/boot/vmlinuz"] {
      guard let target = try session.readLink(link) else { continue }
      let base = target.split(separator: "/").last.map(String.init) ?? target
      for p in imagePrefixes where base.hasPrefix(p) {
        let v = String(base.dropFirst(p.count))
        if versions.contains(v) { return v }
      }
    }
    for env in ["/boot/grub2/grubenv", "/boot/grub/grubenv"] {
      for line in try session.lines(env) where line.hasPrefix("saved_entry=") {
        let entry = line.dropFirst("saved_entry=".count)
        // The longest version the entry contains (5.14.0-362.el9 rather than 5.14.0-36).
        let hits = versions.filter { entry.contains($0) }
        if let best = hits.max(by: { $0.count < $1.count }) { return best }
      }
    }
    return nil
  }
}
