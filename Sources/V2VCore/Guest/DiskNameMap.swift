import V2VModel

/// Builds the device-name map of a conversion: for each source disk, the names the guest may use for it
/// (from the disk's own target name, e.g. Xen's `xvda2` or libvirt's `sdb`) → the name the target platform
/// gives it (`/dev/vdb` on virtio-blk, `/dev/sdb` on virtio-scsi).
///
/// Rules, in order:
/// 1. A disk whose source names it like Linux does (`sda`, `hdc`, `xvdb`, `vda`) maps that name, partitions
///    included (`/dev/xvdb1` → `/dev/vdb1`).
/// 2. A partition-style name (`xvda2`: Xen hands the guest a whole image as if it were a partition) maps
///    only that exact name to the whole target disk (`/dev/xvda2` → `/dev/vdb`).
/// 3. For names no disk claimed, the usual guesses for disk *i* (`sd`, `hd`, `xvd` + letter *i*) map to
///    disk *i*, as guests on VMware (SCSI `sdX`), old IDE (`hdX`) and Xen (`xvdX`) name them.
/// Identity renames are kept out (on virtio-scsi `/dev/sda` stays `/dev/sda`). Pure.
public enum DiskNameMap {
  /// The map for `source` converted for `platform`.
  public static func build(source: SourceVM, platform: TargetPlatform) -> [DeviceRename] {
    var map: [DeviceRename] = []
    var claimed = Set<String>()
    func add(_ r: DeviceRename) {
      guard !claimed.contains(r.from) else { return }
      claimed.insert(r.from)
      if r.from != r.to { map.append(r) }
    }
    for (i, disk) in source.disks.enumerated() {
      guard let name = disk.targetName.flatMap(linuxName) else { continue }
      let target = platform.diskDevice(i)
      add(DeviceRename(from: "/dev/" + name.disk + name.partition, to: target, exact: !name.partition.isEmpty))
    }
    for i in source.disks.indices {
      let letter = DeviceNames.letters(i)
      for prefix in ["sd", "hd", "xvd", "vd"] { add(DeviceRename(from: "/dev/\(prefix)\(letter)", to: platform.diskDevice(i))) }
    }
    return map
  }

  /// Corrects libguestfs's mountpoints for partition-style disks. libguestfs reads `/dev/xvda2` in the
  /// guest's fstab as partition 2 of the first disk (`/dev/sda2`), but when the source hands disk *i* to the
  /// guest as `xvda2` that filesystem is the whole of appliance disk *i*. Other entries are kept.
  public static func applianceMountpoints(_ mountpoints: [String: String], source: SourceVM) -> [String: String] {
    var fix: [String: String] = [:]
    for (i, disk) in source.disks.enumerated() {
      guard let name = disk.targetName.flatMap(linuxName), !name.partition.isEmpty else { continue }
      let prefix = ["xvd", "sd", "hd", "vd"].first { name.disk.hasPrefix($0) }!
      let letters = name.disk.dropFirst(prefix.count)
      fix["/dev/sd\(letters)\(name.partition)"] = "/dev/sd\(DeviceNames.letters(i))"
    }
    guard !fix.isEmpty else { return mountpoints }
    return mountpoints.mapValues { fix[$0] ?? $0 }
  }

  /// Splits a Linux-style disk name (`xvda2` → (`xvda`, `2`), `sdb` → (`sdb`, ``)); nil for other names
  /// (`scsi0:1`, `ide0:0`, `c`).
  static func linuxName(_ raw: String) -> (disk: String, partition: String)? {
    let name = raw.hasPrefix("/dev/") ? String(raw.dropFirst(5)) : raw
    for prefix in ["xvd", "sd", "hd", "vd"] where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count)
      let letters = rest.prefix { $0 >= "a" && $0 <= "z" }
      let digits = rest.dropFirst(letters.count)
      guard DeviceNames.index(ofLetters: letters) != nil, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { continue }
      return (prefix + letters, String(digits))
    }
    return nil
  }
}
