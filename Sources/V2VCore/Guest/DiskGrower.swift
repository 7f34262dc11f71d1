import V2VModel

/// One partition of a guest disk, in bytes.
public struct DiskPartition: Sendable, Equatable {
  /// Partition number (1-based; 5+ are logical partitions on an MBR disk).
  public var number: Int
  /// First byte.
  public var start: UInt64
  /// Last byte (inclusive).
  public var end: UInt64

  /// Creates a partition.
  public init(number: Int, start: UInt64, end: UInt64) {
    self.number = number
    self.start = start
    self.end = end
  }
}

/// What the appliance can do to a guest's partitions and volumes (libguestfs in production, a fake in tests).
/// Device names are the appliance's (`/dev/sda`, `/dev/sda3`).
public protocol DiskEditor: AnyObject {
  /// `gpt`, `msdos`, or another label; throws when the disk has none.
  func partitionTableType(_ disk: String) throws -> String
  /// The disk's partitions.
  func partitions(_ disk: String) throws -> [DiskPartition]
  /// Moves the GPT backup header to the end of a grown disk.
  func expandGPT(_ disk: String) throws
  /// Moves the end of partition `number` to `endSector`.
  func resizePartition(_ disk: String, number: Int, endSector: Int64) throws
  /// Device size in bytes.
  func deviceSize(_ device: String) throws -> Int64
  /// Logical sector size in bytes.
  func sectorSize(_ device: String) throws -> Int
  /// The last sector a partition may use: GPT's "last usable LBA" from its header (sgdisk aligns it when it
  /// moves the backup), the last sector of the disk for MBR.
  func lastUsableSector(_ disk: String) throws -> Int64
  /// The filesystem (or signature) type on `device`: `ext4`, `xfs`, `swap`, `LVM2_member`.
  func filesystemType(_ device: String) throws -> String
  /// Grows an unmounted ext2/3/4 filesystem to fill its device (checked first, as resize2fs requires).
  func growExtFilesystem(_ device: String) throws
  /// Grows an LVM physical volume to fill its partition.
  func growPhysicalVolume(_ device: String) throws
  /// Gives a logical volume all of its group's free space.
  func growLogicalVolume(_ lv: String) throws
  /// Whether `device` is a logical volume.
  func isLogicalVolume(_ device: String) throws -> Bool
}

/// Fits converted disks to larger targets (`-o physical` onto a bigger disk). Every resized disk gets its GPT
/// backup header moved to the new end (a GPT whose backup sits mid-disk is reported as damaged by firmware
/// and tools); with `--grow` the last partition is extended to the end and what it holds is grown: an ext
/// filesystem, or an LVM PV and then the logical volume holding root and its filesystem. Runs in the
/// conversion's appliance before the guest's filesystems are mounted.
public enum DiskGrower {
  /// One step, in the order they run.
  public enum Step: Sendable, Equatable {
    /// Move the GPT backup header to the end of the disk.
    case expandGPT(disk: String)
    /// Extend partition `number` of `disk` to `endSector` (`fromBytes` → `toBytes` long).
    case resizePartition(disk: String, number: Int, endSector: Int64, fromBytes: UInt64, toBytes: UInt64)
    /// Grow the ext filesystem on `device`.
    case growExt(device: String)
    /// Grow the LVM PV on `device`.
    case growPV(device: String)
    /// Give the LV all free space of its group.
    case growLV(lv: String)

    /// One line for the report.
    public var summary: String {
      switch self {
      case .expandGPT(let d): return "\(d): move the GPT backup header to the end of the larger target"
      case .resizePartition(let d, let n, _, let from, let to):
        return "\(d): grow partition \(n) from \(ByteFormat.human(from)) to \(ByteFormat.human(to))"
      case .growExt(let d): return "\(d): grow the ext filesystem to fill it (e2fsck -f, resize2fs)"
      case .growPV(let d): return "\(d): grow the LVM physical volume (pvresize)"
      case .growLV(let lv): return "\(lv): give the logical volume holding root the free space (lvresize)"
      }
    }
  }

  /// The steps for `disks` (appliance names of the disks that were enlarged), and warnings for what cannot be
  /// grown. `root` is the guest's root device (inspection's), used to pick the LV to grow.
  public static func plan(editor: DiskEditor, disks: [String], grow: Bool, root: String) throws -> (steps: [Step], warnings: [String]) {
    var steps: [Step] = []
    var warnings: [String] = []
    for disk in disks {
      guard let label = try? editor.partitionTableType(disk) else {
        if grow { warnings.append("\(disk): no partition table, nothing grown (a bare filesystem disk)") }
        continue
      }
      if label == "gpt" { steps.append(.expandGPT(disk: disk)) }
      guard grow else { continue }
      let parts = try editor.partitions(disk)
      // The partition reaching furthest; a logical partition ending with its extended one wins.
      guard let last = parts.max(by: { ($0.end, $0.number) < ($1.end, $1.number) }) else {
        warnings.append("\(disk): no partitions, nothing grown")
        continue
      }
      let ss = Int64(try editor.sectorSize(disk))
      let sectors = try editor.deviceSize(disk) / ss
      // GPT keeps its backup entries in the last 33 sectors; MBR can use every sector.
      let endSector = label == "gpt" ? sectors - 34 : sectors - 1
      let newEnd = UInt64(endSector * ss + ss - 1)
      guard newEnd > last.end + UInt64(ss) else {
        warnings.append("\(disk): the target is not larger than the data; nothing to grow")
        continue
      }
      let device = disk + (disk.last?.isNumber == true ? "p" : "") + String(last.number)
      let type = (try? editor.filesystemType(device)) ?? "unknown"
      var fsSteps: [Step] = []
      switch type {
      case "ext2", "ext3", "ext4": fsSteps = [.growExt(device: device)]
      case "LVM2_member":
        fsSteps = [.growPV(device: device)]
        if (try? editor.isLogicalVolume(root)) == true {
          fsSteps.append(.growLV(lv: root))
          let rootType = (try? editor.filesystemType(root)) ?? "unknown"
          if rootType.hasPrefix("ext") {
            fsSteps.append(.growExt(device: root))
          } else {
            warnings.append("--grow: \(root) (\(rootType)) was given the space but its filesystem was not grown; grow it from the running system")
          }
        } else {
          warnings.append("--grow: the PV on \(device) was grown; its free space is left in the volume group (root is not a logical volume)")
        }
      case "swap":
        warnings.append("--grow: the last partition of \(disk) is swap (\(device)); nothing was grown. Move swap or grow root by hand")
        continue
      default:
        warnings.append("--grow: \(device) holds \(type), which v2v does not grow offline; the partition was extended, grow its filesystem from the running system (xfs_growfs /, btrfs filesystem resize max /)")
      }
      // A logical partition lives inside the extended one: that grows first.
      if label == "msdos", last.number >= 5,
        let ext = parts.first(where: { $0.number <= 4 && $0.start <= last.start && $0.end >= last.end })
      {
        steps.append(.resizePartition(disk: disk, number: ext.number, endSector: endSector, fromBytes: ext.end - ext.start + 1, toBytes: newEnd - ext.start + 1))
      }
      steps.append(.resizePartition(disk: disk, number: last.number, endSector: endSector, fromBytes: last.end - last.start + 1, toBytes: newEnd - last.start + 1))
      steps += fsSteps
    }
    return (steps, warnings)
  }

  /// Runs `steps` in order.
  public static func apply(_ steps: [Step], editor: DiskEditor) throws {
    for s in steps {
      do {
        switch s {
        case .expandGPT(let d): try editor.expandGPT(d)
        case .resizePartition(let d, let n, let end, _, _):
          try editor.resizePartition(d, number: n, endSector: min(end, try editor.lastUsableSector(d)))
        case .growExt(let d): try editor.growExtFilesystem(d)
        case .growPV(let d): try editor.growPhysicalVolume(d)
        case .growLV(let lv): try editor.growLogicalVolume(lv)
        }
      } catch {
        throw ConversionError.guestCommandFailed(s.summary, "\(error)")
      }
    }
  }
}

/// A ``DiskGrower/Step`` as a typed guest change, so reports and `--dry-run` list it with the others. The
/// pipeline runs these itself, before the guest is mounted.
public struct DiskLayoutOperation: GuestOperation {
  /// Why disks are fitted.
  public static let reason = "the target is larger than the disk: firmware expects the GPT backup at its end, and --grow fills it"
  /// The step.
  public var step: DiskGrower.Step
  public var kind: String { "disk-layout" }
  public var detail: String { step.summary }
  public func apply(to session: GuestSession) throws {
    guard let editor = session as? DiskEditor else { throw ConversionError.guestCommandFailed(step.summary, "no partition editor") }
    try DiskGrower.apply([step], editor: editor)
  }
}
