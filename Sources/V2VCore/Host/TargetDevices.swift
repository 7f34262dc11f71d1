import Foundation
import V2VModel
import V2VProcess

/// A physical target as v2v found it before writing (`-o physical -os PATH`).
public struct PhysicalTarget: Sendable, Equatable {
  /// The path as given.
  public var path: String
  /// A block device (else an image file).
  public var isBlockDevice: Bool
  /// Whether it exists (an image file that does not is created, sparse, of the disk's size).
  public var exists: Bool
  /// Its size in bytes (0 when it does not exist yet).
  public var sizeBytes: UInt64
  /// What `wipefs` found on it (`gpt`, `PMBR`, `dos`, `ext4`, `LVM2_member`): overwritten only with `--force`.
  public var signatures: [String]

  /// Creates a target description.
  public init(path: String, isBlockDevice: Bool, exists: Bool, sizeBytes: UInt64, signatures: [String]) {
    self.path = path
    self.isBlockDevice = isBlockDevice
    self.exists = exists
    self.sizeBytes = sizeBytes
    self.signatures = signatures
  }

  /// `block device, 10.0 GiB` / `new image file` / `image file, 8.0 GiB`.
  public var summary: String {
    if !exists { return "new image file" }
    return (isBlockDevice ? "block device, " : "image file, ") + ByteFormat.human(sizeBytes)
  }
}

/// A physical target v2v refuses to write (exit 6). `--force` overrides only ``Kind/hasData``.
public struct PhysicalTargetError: Error, ClassifiedError, Equatable {
  /// Why.
  public enum Kind: String, Sendable, Equatable {
    /// Mounted, swap, or held by device-mapper/LVM/md (or an image attached to a loop device).
    case inUse
    /// Smaller than the disk.
    case tooSmall
    /// Holds a partition table or filesystem and `--force` was not given.
    case hasData
    /// A partition, not a whole disk.
    case partition
    /// One of the conversion's own source disks.
    case isSource
    /// Not a block device or a regular file, or its directory is missing.
    case notADisk
    /// Not writable by this user.
    case notWritable
    /// Fewer or more targets than disks.
    case count
  }

  /// The target.
  public var path: String
  /// The class.
  public var kind: Kind
  /// One line.
  public var message: String

  /// Creates an error.
  public init(path: String, kind: Kind, message: String) {
    self.path = path
    self.kind = kind
    self.message = message
  }

  public var exitClass: ExitClass { .outputFailed }
  public var description: String { "\(path): \(message)" }
}

/// The safety checks on a physical target, made before anything slow and again right before writing.
///
/// Always refused, whatever `--force` says: a target that is mounted (even read-only) or holds a mounted
/// partition, is swap, is held by device-mapper, LVM or md, is smaller than the disk, is a partition, or is
/// one of the source's own disks. Refused unless `--force`: a target holding a partition table or a
/// filesystem signature (named in the message).
public enum TargetDevices {
  /// Everything that uses the block device `name` (and its partitions and holders): mounts of any kind,
  /// swap, and holders (device-mapper, LVM, md), one phrase each.
  public static func uses(of name: String, sysfs: BlockSysfs, mounts: [MountEntry], swapDevices: [String]) -> [String] {
    var out: [String] = []
    let stack = sysfs.stack(of: name)
    let partitions = Set(stack.flatMap { sysfs.partitions(of: $0) })
    for n in stack {
      let shown = sysfs.displayName(n)
      if let number = sysfs.devNumber(n) {
        for m in mounts where m.device == number {
          out.append("\(shown) is mounted on \(m.mountPoint) (\(m.fsType)\(m.isWritable ? "" : ", read-only"))")
        }
        if swapDevices.contains(number) { out.append("\(shown) is in use as swap") }
      }
      if n != name, !partitions.contains(n) {
        let kind = n.hasPrefix("dm-") ? "device-mapper/LVM" : n.hasPrefix("md") ? "md RAID" : "a holder"
        out.append("\(shown) (\(kind)) is built on it")
      }
    }
    var unique: [String] = []
    for u in out where !unique.contains(u) { unique.append(u) }
    return unique
  }

  /// Signature types on `path` from `wipefs --no-act --json` (partition tables and filesystems).
  public static func signatures(_ path: String) -> [String] {
    guard let r = try? ProcessRunner.run(["wipefs", "--no-act", "--json", path], timeout: 60), r.succeeded,
      let data = r.stdout.data(using: .utf8), !r.stdout.isEmpty,
      let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let sigs = obj["signatures"] as? [[String: Any]]
    else { return [] }
    var out: [String] = []
    for s in sigs { if let t = s["type"] as? String, !out.contains(t) { out.append(t) } }
    return out
  }

  /// Checks `path` as the target of a disk of `needBytes`, reading nothing but metadata; `sources` are the
  /// conversion's source disks (a target may not be one of them).
  public static func check(
    _ path: String, needBytes: UInt64, force: Bool, sources: [Disk], sysfs: BlockSysfs = .host
  ) throws(PhysicalTargetError) -> PhysicalTarget {
    func refuse(_ kind: PhysicalTargetError.Kind, _ message: String) -> PhysicalTargetError {
      PhysicalTargetError(path: path, kind: kind, message: message)
    }
    var st = stat()
    guard stat(path, &st) == 0 else {
      let dir = (path as NSString).deletingLastPathComponent
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: dir.isEmpty ? "." : dir, isDirectory: &isDir), isDir.boolValue else {
        throw refuse(.notADisk, "neither a block device nor an image file, and its directory does not exist")
      }
      guard access(dir.isEmpty ? "." : dir, W_OK) == 0 else { throw refuse(.notWritable, "cannot create an image file here (permission denied)") }
      return PhysicalTarget(path: path, isBlockDevice: false, exists: false, sizeBytes: 0, signatures: [])
    }
    let type = st.st_mode & S_IFMT
    guard type == S_IFBLK || type == S_IFREG else {
      let what = type == S_IFDIR ? "a directory" : type == S_IFCHR ? "a character device" : "not a disk"
      throw refuse(.notADisk, "\(what): give a whole-disk block device (/dev/sdX) or an image file path")
    }
    guard access(path, W_OK) == 0 else { throw refuse(.notWritable, "not writable (permission denied)") }
    let mounts = SourceDevices.parseMountInfo((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "")
    let swaps = SourceDevices.parseSwaps((try? String(contentsOfFile: "/proc/swaps", encoding: .utf8)) ?? "")
      .compactMap(SourceDevices.devNumber(ofPath:))
    let real = SourceDevices.realPath(path) ?? path
    var size = UInt64(st.st_size)
    if type == S_IFBLK {
      let number = "\(SourceDevices.major(st.st_rdev)):\(SourceDevices.minor(st.st_rdev))"
      guard let name = sysfs.name(ofDevice: number) else { throw refuse(.notADisk, "block device \(number) is not in /sys/class/block") }
      if sysfs.read("\(BlockSysfs.classBlock)/\(name)/partition") != nil {
        throw refuse(.partition, "is a partition: give the whole disk (a converted disk brings its own partition table)")
      }
      for d in sources {
        switch d.source {
        case .block(let p) where SourceDevices.devNumber(ofPath: p) == number:
          throw refuse(.isSource, "is the source disk itself")
        case .file(let p):
          if let r = SourceDevices.realPath(p), sysfs.loopDevices(backedBy: r).contains(name) {
            throw refuse(.isSource, "is a loop device over the source disk \(p)")
          }
        default: continue
        }
      }
      let inUse = uses(of: name, sysfs: sysfs, mounts: mounts, swapDevices: swaps)
      if let first = inUse.first {
        throw refuse(.inUse, "in use: \(first)\(inUse.count > 1 ? " (and \(inUse.count - 1) more)" : ""); v2v never writes a disk in use (--force does not change this)")
      }
      size = (sysfs.read("\(BlockSysfs.classBlock)/\(name)/size").flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0) * 512
    } else {
      for d in sources {
        if case .file(let p) = d.source, let r = SourceDevices.realPath(p), r == real {
          throw refuse(.isSource, "is the source disk itself")
        }
      }
      if let loop = sysfs.loopDevices(backedBy: real).first {
        let inUse = uses(of: loop, sysfs: sysfs, mounts: mounts, swapDevices: swaps)
        throw refuse(.inUse, "attached as /dev/\(loop)\(inUse.first.map { " (\($0))" } ?? ""): detach it (losetup -d /dev/\(loop)) or write to /dev/\(loop) instead")
      }
    }
    if size > 0 && size < needBytes {
      throw refuse(.tooSmall, "too small: \(ByteFormat.human(size)) (\(size) bytes), the disk needs \(ByteFormat.human(needBytes)) (\(needBytes) bytes)")
    }
    let sigs = size > 0 ? signatures(path) : []
    if !sigs.isEmpty && !force {
      throw refuse(.hasData, "holds data (\(sigs.joined(separator: ", ")) found by wipefs); v2v overwrites it only with --force")
    }
    return PhysicalTarget(path: path, isBlockDevice: type == S_IFBLK, exists: true, sizeBytes: size, signatures: sigs)
  }
}
