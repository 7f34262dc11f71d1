import Foundation
import V2VCore
import V2VModel

/// Checks every fstab, crypttab and swap entry against the disks being converted, and on request marks the
/// missing ones `nofail` or comments them out (`--missing-mounts`).
///
/// Reason: converting only some of a machine's disks is common (the system disk now, the data disks later).
/// An fstab line whose device is on none of the converted disks makes systemd wait 90 s for it and then stop
/// in emergency mode: the guest "boots" but never comes up. The check runs on the planned fstab (after the
/// device renames), before anything slow; the warning names the entry and the two fixes.
///
/// An entry counts as missing when it names, by UUID, LABEL, PARTUUID, PARTLABEL, `/dev/disk/by-*` or device
/// path, nothing on the converted disks: a device path must be on a target disk (`/dev/vdb1` when only
/// `/dev/vda` is converted is missing), an LVM volume must exist, a `/dev/mapper` name of a crypttab entry
/// follows that entry. Left alone: `noauto` and `nofail` entries (they do not hold the boot), network and
/// pseudo filesystems, bind mounts, and names v2v cannot check (`/dev/disk/by-id`, `by-path`).
struct MountTableRule: LinuxRule {
  static let fstab = "/etc/fstab"
  static let crypttab = "/etc/crypttab"
  static let reason = "the entry names a device on none of the converted disks; the boot would stop in emergency mode"

  /// Filesystem types that are not on a local block device.
  static let nonLocalTypes: Set<String> = [
    "proc", "sysfs", "tmpfs", "devpts", "devtmpfs", "debugfs", "securityfs", "cgroup", "cgroup2", "pstore",
    "efivarfs", "hugetlbfs", "mqueue", "configfs", "fusectl", "binfmt_misc", "autofs", "none", "bind",
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "glusterfs", "ceph", "fuse.sshfs", "sshfs", "9p", "virtiofs", "davfs",
    "fuse", "overlay", "squashfs", "iso9660", "udf", "auto",
  ]

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    guard let identities = try guest.session.blockDeviceIdentities(), !identities.isEmpty else { return }
    let present = Presence(identities: identities, context: guest.context)
    let mode = guest.options.missingMounts

    // crypttab first: a /dev/mapper/NAME in fstab is there only if its crypttab entry is.
    var missingMappers = Set<String>()
    if let text = try plan.text(Self.crypttab) {
      var missing: [MountEntry] = []
      for entry in MountEntry.parse(text, kind: .crypttab) where !entry.holdsNoBoot {
        if present.contains(entry.spec) == false {
          missing.append(entry)
          missingMappers.insert("/dev/mapper/" + entry.target)
        }
      }
      try fix(missing, in: Self.crypttab, text: text, plan: plan, mode: mode)
    }
    if let text = try plan.text(Self.fstab) {
      var missing: [MountEntry] = []
      for entry in MountEntry.parse(text, kind: .fstab) where !entry.holdsNoBoot && !Self.nonLocal(entry) {
        if missingMappers.contains(entry.spec) || present.contains(entry.spec) == false { missing.append(entry) }
      }
      try fix(missing, in: Self.fstab, text: text, plan: plan, mode: mode)
    }
  }

  /// Warns about each missing entry of `path` and plans the fix `mode` asks for.
  func fix(_ missing: [MountEntry], in path: String, text: String, plan: LinuxPlan, mode: LinuxOptions.MissingMounts) throws {
    guard !missing.isEmpty else { return }
    for e in missing {
      let what = "\(path): '\(e.summary)' names a device on none of the converted disks"
      switch mode {
      case .warn:
        plan.warn(
          "\(what): the guest would stop in emergency mode at boot; convert its disk too, or use --missing-mounts nofail "
            + "(boot without it) or --missing-mounts comment (comment the entry out)")
      case .nofail: plan.warn("\(what): marked nofail (--missing-mounts nofail), the guest boots without it")
      case .comment: plan.warn("\(what): commented out (--missing-mounts comment)")
      }
    }
    guard mode != .warn else { return }
    let lines = missing.map(\.lineIndex)
    let new = Self.fixing(text, lines: Set(lines), mode: mode)
    try plan.edit(
      path, to: new, reason: Self.reason,
      summary: "\(path): \(mode == .nofail ? "nofail on" : "comment out") \(missing.map { "'\($0.summary)'" }.joined(separator: ", "))")
  }

  /// `text` with the entries on `lines` (0-based line numbers) marked `nofail` or commented out.
  static func fixing(_ text: String, lines: Set<Int>, mode: LinuxOptions.MissingMounts) -> String {
    var out: [String] = []
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).enumerated() {
      guard lines.contains(i) else { out.append(line); continue }
      switch mode {
      case .comment:
        out.append("# v2v: commented out, its device is on none of the converted disks (--missing-mounts comment)")
        out.append("#" + line)
      case .nofail: out.append(addingOption("nofail", to: line))
      case .warn: out.append(line)
      }
    }
    return out.joined(separator: "\n")
  }

  /// The line with `option` added to its options field (the 4th field; `defaults` when it had none), the
  /// spacing between fields kept.
  static func addingOption(_ option: String, to line: String) -> String {
    // Runs of blanks and of other characters, alternating.
    var runs: [String] = []
    for c in line {
      let blank = c == " " || c == "\t"
      if let last = runs.last, let l = last.first, (l == " " || l == "\t") == blank {
        runs[runs.count - 1].append(c)
      } else {
        runs.append(String(c))
      }
    }
    let fieldRuns = runs.indices.filter { !(runs[$0].first == " " || runs[$0].first == "\t") }
    guard fieldRuns.count >= 3 else { return line }
    if fieldRuns.count == 3 { return line + "\tdefaults," + option }
    let i = fieldRuns[3]
    let opts = runs[i].split(separator: ",").map(String.init)
    if opts.contains(option) { return line }
    runs[i] += "," + option
    return runs.joined()
  }

  /// Whether an fstab entry is not a local block device (pseudo, network, bind).
  static func nonLocal(_ e: MountEntry) -> Bool {
    if nonLocalTypes.contains(e.type) || e.options.contains("bind") || e.options.contains("rbind") { return true }
    if e.spec.hasPrefix("//") || (e.spec.contains(":") && !e.spec.hasPrefix("/") && !e.spec.contains("=")) { return true }
    // `tmpfs /tmp tmpfs`, `proc /proc proc`, `none /dev/shm ...`: a spec that names no device.
    return !(e.spec.hasPrefix("/") || e.spec.contains("="))
  }
}

/// One line of fstab or crypttab.
struct MountEntry: Equatable {
  enum Kind { case fstab, crypttab }
  /// 0-based line number in the file.
  var lineIndex: Int
  /// The device field (fstab's first, crypttab's second): `UUID=…`, `/dev/vdb1`, `LABEL=data`.
  var spec: String
  /// fstab: the mount point (`none` for swap); crypttab: the mapper name.
  var target: String
  /// fstab: the filesystem type; crypttab: empty.
  var type: String
  /// The options field, split at commas.
  var options: [String]

  /// Whether the entry cannot hold the boot: `noauto` (not mounted at boot) or already `nofail`.
  var holdsNoBoot: Bool { options.contains("noauto") || options.contains("nofail") }

  /// How the entry is shown to the user: `UUID=… /srv ext4`.
  var summary: String { type.isEmpty ? "\(target) \(spec)" : "\(spec) \(target) \(type)" }

  /// The entries of an fstab or crypttab text (comments and blank lines skipped).
  static func parse(_ text: String, kind: Kind) -> [MountEntry] {
    var out: [MountEntry] = []
    for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      guard !line.isEmpty, !line.hasPrefix("#") else { continue }
      let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      switch kind {
      case .fstab:
        guard f.count >= 2 else { continue }
        out.append(
          MountEntry(
            lineIndex: i, spec: LinuxRootFacts.unquote(f[0]), target: f[1], type: f.count > 2 ? f[2] : "",
            options: f.count > 3 ? f[3].split(separator: ",").map(String.init) : []))
      case .crypttab:
        guard f.count >= 2 else { continue }
        out.append(
          MountEntry(
            lineIndex: i, spec: LinuxRootFacts.unquote(f[1]), target: f[0], type: "",
            options: f.count > 3 ? f[3].split(separator: ",").map(String.init) : []))
      }
    }
    return out
  }
}

/// What is on the converted disks, by every name an fstab line can use.
struct Presence {
  let identities: [BlockDeviceIdentity]
  let context: ConversionContext

  /// Whether `spec` names something on the converted disks; nil when v2v cannot tell (`/dev/disk/by-id/…`).
  func contains(_ spec: String) -> Bool? {
    func eq(_ a: String?, _ b: String) -> Bool { a?.lowercased() == b.lowercased() }
    if let v = value(spec, "UUID") { return identities.contains { eq($0.uuid, v) } }
    if let v = value(spec, "LABEL") { return identities.contains { $0.label == v } }
    if let v = value(spec, "PARTUUID") { return identities.contains { eq($0.partUUID, v) } }
    if let v = value(spec, "PARTLABEL") { return identities.contains { $0.partLabel == v } }
    for (dir, key) in [("by-uuid", "UUID"), ("by-label", "LABEL"), ("by-partuuid", "PARTUUID"), ("by-partlabel", "PARTLABEL")] {
      let prefix = "/dev/disk/\(dir)/"
      if spec.hasPrefix(prefix) { return contains("\(key)=\(BlockDeviceIdentity.udevUnescape(String(spec.dropFirst(prefix.count))))") }
    }
    if spec.hasPrefix("/dev/disk/") { return nil }
    if spec.hasPrefix("/dev/mapper/") { return mapper(String(spec.dropFirst("/dev/mapper/".count))) }
    if let onDisk = targetDevice(spec) { return onDisk }
    // /dev/VG/LV
    let parts = spec.split(separator: "/")
    if parts.count == 3, parts[0] == "dev" { return identities.contains { $0.device == spec } ? true : lvmNamed(spec) }
    return nil
  }

  /// `UUID=x` → x for `key` UUID.
  func value(_ spec: String, _ key: String) -> String? {
    spec.hasPrefix(key + "=") ? String(spec.dropFirst(key.count + 1)) : nil
  }

  /// A device path on one of the target disks (`/dev/vda1`, `/dev/sdb`): whether that disk is converted and
  /// has that partition. Nil when the path is not a disk name (`/dev/vg0/root`, `/dev/md0`).
  func targetDevice(_ spec: String) -> Bool? {
    let disk: String
    let number: String
    if let m = spec.wholeMatch(of: /\/dev\/((?:sd|vd|hd|xvd)[a-z]+)([0-9]*)/) {
      disk = "/dev/" + m.1
      number = String(m.2)
    } else if let m = spec.wholeMatch(of: /\/dev\/(nvme[0-9]+n[0-9]+)(?:p([0-9]+))?/) {
      disk = "/dev/" + m.1
      number = m.2.map { String($0) } ?? ""
    } else {
      return nil
    }
    guard let i = context.targetDisks.firstIndex(of: disk) else { return false }
    // The identities carry libguestfs's API names: disk i is /dev/sd<letter i> there, whatever the target
    // calls it (nvme0n1p1 is sda1) and whatever the appliance kernel named it (that order varies by boot).
    return identities.contains { $0.device == "/dev/sd" + DeviceNames.letters(i) + number }
  }

  /// A `/dev/mapper` name: an LVM volume (`vg0-root`, `--` for a dash in a name) or something v2v cannot
  /// check from here (a crypttab mapping is checked through its entry): nil then.
  func mapper(_ name: String) -> Bool? {
    identities.contains { $0.mapperName == name } ? true : nil
  }

  /// An `/dev/VG/LV` path that is not a logical volume here: missing (its volume group is elsewhere or the
  /// volume is gone), except for directories that are not LVM (`/dev/md/…`, `/dev/zvol/…`): nil then.
  func lvmNamed(_ spec: String) -> Bool? {
    let dir = spec.split(separator: "/")[1]
    return ["md", "zvol", "bcache", "drbd", "vx", "cdrom", "input", "net", "shm", "pts", "hugepages"].contains(dir) ? nil : false
  }
}
