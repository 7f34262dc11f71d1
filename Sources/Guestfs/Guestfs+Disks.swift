import CGuestfs
import Glibc

/// Partitions, filesystems and volumes: what V2P needs to fit a converted disk to its target (`--grow`) and
/// to name filesystems by UUID. Each method wraps one `guestfs_*` call.
extension Guestfs {
  /// One partition as `guestfs_part_list` reports it (bytes).
  public struct Partition: Sendable, Equatable {
    /// Partition number (1-based).
    public var number: Int
    /// First byte.
    public var start: UInt64
    /// Last byte (inclusive).
    public var end: UInt64
    /// Size in bytes.
    public var size: UInt64
  }

  /// Every partition on every disk (`/dev/sda1`, …; `guestfs_list_partitions`).
  public func listPartitions() throws -> [String] { try strings(guestfs_list_partitions(handle), "guestfs_list_partitions") }

  /// Every whole disk (`/dev/sda`, …; `guestfs_list_devices`).
  public func listDevices() throws -> [String] { try strings(guestfs_list_devices(handle), "guestfs_list_devices") }

  /// The filesystem type of `device` (`ext4`, `xfs`, `swap`, `LVM2_member`, `vfat`; `guestfs_vfs_type`).
  public func vfsType(_ device: String) throws -> String { try string(guestfs_vfs_type(handle, device), "guestfs_vfs_type") }

  /// The filesystem UUID of `device`, empty when it has none (`guestfs_vfs_uuid`).
  public func vfsUUID(_ device: String) throws -> String { try string(guestfs_vfs_uuid(handle, device), "guestfs_vfs_uuid") }

  /// `msdos`, `gpt` or another parted label name (`guestfs_part_get_parttype`).
  public func partitionTableType(_ disk: String) throws -> String {
    try string(guestfs_part_get_parttype(handle, disk), "guestfs_part_get_parttype")
  }

  /// The partitions of `disk`, in table order (`guestfs_part_list`).
  public func partitions(_ disk: String) throws -> [Partition] {
    guard let list = guestfs_part_list(handle, disk) else { throw fail("guestfs_part_list") }
    defer { guestfs_free_partition_list(list) }
    return (0..<Int(list.pointee.len)).map { i in
      let p = list.pointee.val[i]
      return Partition(number: Int(p.part_num), start: p.part_start, end: p.part_end, size: p.part_size)
    }
  }

  /// The GPT partition type GUID of partition `number` of `disk` (`guestfs_part_get_gpt_type`).
  public func gptType(_ disk: String, number: Int) throws -> String {
    try string(guestfs_part_get_gpt_type(handle, disk, Int32(number)), "guestfs_part_get_gpt_type")
  }

  /// Moves a GPT's backup header to the end of a grown disk (`guestfs_part_expand_gpt`).
  public func expandGPT(_ disk: String) throws { try check(guestfs_part_expand_gpt(handle, disk), "guestfs_part_expand_gpt") }

  /// Moves the end of partition `number` to sector `endSector` (`guestfs_part_resize`).
  public func resizePartition(_ disk: String, number: Int, endSector: Int64) throws {
    try check(guestfs_part_resize(handle, disk, Int32(number), endSector), "guestfs_part_resize")
  }

  /// The size of a device in bytes (`guestfs_blockdev_getsize64`).
  public func deviceSize(_ device: String) throws -> Int64 {
    let n = guestfs_blockdev_getsize64(handle, device)
    if n == -1 { throw fail("guestfs_blockdev_getsize64") }
    return n
  }

  /// The logical sector size of a device (`guestfs_blockdev_getss`).
  public func sectorSize(_ device: String) throws -> Int { Int(try check(guestfs_blockdev_getss(handle, device), "guestfs_blockdev_getss")) }

  /// Forces a check of an ext2/3/4 filesystem, as resize2fs requires (`guestfs_e2fsck_f`).
  public func e2fsckForce(_ device: String) throws { try check(guestfs_e2fsck_f(handle, device), "guestfs_e2fsck_f") }

  /// Grows an ext2/3/4 filesystem to its device (`guestfs_resize2fs`).
  public func resize2fs(_ device: String) throws { try check(guestfs_resize2fs(handle, device), "guestfs_resize2fs") }

  /// Grows an LVM physical volume to its device (`guestfs_pvresize`).
  public func pvresize(_ device: String) throws { try check(guestfs_pvresize(handle, device), "guestfs_pvresize") }

  /// Grows a logical volume by `percent` of its group's free space (`guestfs_lvresize_free`).
  public func lvresizeFree(_ lv: String, percent: Int) throws {
    try check(guestfs_lvresize_free(handle, lv, Int32(percent)), "guestfs_lvresize_free")
  }

  /// Whether `device` is a logical volume (`guestfs_is_lv`).
  public func isLV(_ device: String) throws -> Bool { try check(guestfs_is_lv(handle, device), "guestfs_is_lv") == 1 }

  /// The partition number of a partition device (`guestfs_part_to_partnum`).
  public func partitionNumber(_ partition: String) throws -> Int {
    Int(try check(guestfs_part_to_partnum(handle, partition), "guestfs_part_to_partnum"))
  }

  /// The whole disk of a partition device (`guestfs_part_to_dev`).
  public func partitionDisk(_ partition: String) throws -> String {
    try string(guestfs_part_to_dev(handle, partition), "guestfs_part_to_dev")
  }
}

extension Guestfs {
  /// What blkid reports for `device` (`TYPE`, `UUID`, `LABEL`, `PART_ENTRY_UUID`, `PART_ENTRY_NAME`, …;
  /// `guestfs_blkid`). Throws when blkid finds nothing there.
  public func blkid(_ device: String) throws -> [String: String] {
    var out: [String: String] = [:]
    for (k, v) in pairs(try strings(guestfs_blkid(handle, device), "guestfs_blkid")) { out[k] = v }
    return out
  }

  /// The logical volumes, as `/dev/VG/LV` (`guestfs_lvs`).
  public func lvs() throws -> [String] { try strings(guestfs_lvs(handle), "guestfs_lvs") }
}
