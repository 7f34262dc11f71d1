import Foundation
import V2VModel

/// Where a conversion's result goes (`-o local|libvirt|qemu`, later physical media). The writer owns where
/// the bytes go; the pipeline owns the order, in phases (as the best converters shape their outputs):
///
/// 1. ``plan(_:request:)`` — before any slow work: resolve and check destinations (names, conflicts, free
///    space, a device's safety checks) and say where each disk will end up. Writes nothing.
/// 2. ``open(_:)`` — after the guest is converted: one writable destination per disk (a temporary file, a
///    libvirt volume's path, a block device). Nothing opened may look finished.
/// 3. The pipeline's copier writes each converted disk into its destination (sparse, with progress;
///    `qemu-img convert -n` onto a destination that must exist already).
/// 4. ``finalize(_:domainXML:)`` — make it real: rename, write metadata, define the domain. Or, on any
///    failure after ``open(_:)``, ``rollback()``: remove what was opened and anything half-finalised.
public protocol OutputWriter: AnyObject {
  /// Which output this is.
  var kind: OutputKind { get }
  /// Phase 1: checks destinations for `target` and returns where each disk goes, in disk order.
  func plan(_ target: TargetVM, request: OutputRequest) throws -> OutputPlan
  /// Phase 2: one writable destination per disk of the plan.
  func open(_ plan: OutputPlan) throws -> [DiskDestination]
  /// Phase 3, when the writer owns the copy too (physical media: sparse streaming, boot sector last,
  /// read-back verification). The default copies with ``DiskCopier`` and reports nothing.
  func write(_ disk: DiskWrite, progress: @escaping (String, Double) -> Void) throws -> DiskWriteReport?
  /// Phase 4: makes the copied disks and the metadata final; returns what was created (paths, URIs).
  func finalize(_ target: TargetVM, domainXML: String) throws -> [String]
  /// Undoes ``open(_:)`` and any part of ``finalize(_:domainXML:)`` that ran. Never throws.
  func rollback()
}

/// Output kinds (`-o`).
public enum OutputKind: String, Sendable, Equatable, Codable, CaseIterable {
  /// Disks and `NAME.xml` in a directory.
  case local
  /// Disks in a pool or directory, the domain defined through the libvirt API.
  case libvirt
  /// Disks and a `NAME.sh` qemu script in a directory.
  case qemu
  /// The disk written onto physical media: a block device or a raw image (V2P).
  case physical
}

extension OutputWriter {
  public func write(_ disk: DiskWrite, progress: @escaping (String, Double) -> Void) throws -> DiskWriteReport? {
    try DiskCopier(allocation: disk.allocation).copy(from: disk.overlay.path, to: disk.destination) { progress("", $0) }
    return nil
  }
}

/// One converted disk to write: the pipeline's side of ``OutputWriter/write(_:progress:)``.
public struct DiskWrite: Sendable {
  /// Disk index (0-based).
  public var index: Int
  /// The converted overlay (qcow2 over the source).
  public var overlay: OverlayDisk
  /// Where it goes.
  public var destination: DiskDestination
  /// The guest's data: the disk's size before it was fitted to a larger target (bytes beyond it, but for
  /// the target's last MiB, hold nothing unless the disk was grown).
  public var dataBytes: UInt64
  /// The overlay's virtual size (the target's size when fitted).
  public var virtualBytes: UInt64
  /// Whether partitions were grown to fill the target (then every byte is the guest's).
  public var grown: Bool
  /// `-oa`.
  public var allocation: DiskAllocation
  /// A scratch directory of the job, removed afterwards.
  public var work: String

  /// Creates a write.
  public init(
    index: Int, overlay: OverlayDisk, destination: DiskDestination, dataBytes: UInt64, virtualBytes: UInt64,
    grown: Bool, allocation: DiskAllocation, work: String
  ) {
    self.index = index
    self.overlay = overlay
    self.destination = destination
    self.dataBytes = dataBytes
    self.virtualBytes = virtualBytes
    self.grown = grown
    self.allocation = allocation
    self.work = work
  }
}

/// What a writer that owns the copy did with one disk (``OutputWriter/write(_:progress:)``).
public struct DiskWriteReport: Sendable, Codable, Equatable {
  /// The target (device or image).
  public var target: String
  /// Bytes of the target that were v2v's to write (the guest's data, and the target's last MiB).
  public var coveredBytes: UInt64
  /// Bytes actually written with data.
  public var dataBytesWritten: UInt64
  /// Bytes made zero on the target (discarded or zero-filled) where it held something before.
  public var zeroedBytes: UInt64
  /// How zeroes were made: `punch-hole` (discard), `zero-range`, `BLKZEROOUT`, `write`, or `none`.
  public var zeroMethod: String
  /// Seconds spent writing (after the raw image was prepared).
  public var writeSeconds: Double
  /// Seconds spent reading back.
  public var verifySeconds: Double
  /// SHA-256 of what was meant to be written.
  public var sha256: String
  /// Whether the read-back matched.
  public var verified: Bool

  /// Creates a report.
  public init(
    target: String, coveredBytes: UInt64, dataBytesWritten: UInt64, zeroedBytes: UInt64, zeroMethod: String,
    writeSeconds: Double, verifySeconds: Double, sha256: String, verified: Bool
  ) {
    self.target = target
    self.coveredBytes = coveredBytes
    self.dataBytesWritten = dataBytesWritten
    self.zeroedBytes = zeroedBytes
    self.zeroMethod = zeroMethod
    self.writeSeconds = writeSeconds
    self.verifySeconds = verifySeconds
    self.sha256 = sha256
    self.verified = verified
  }
}

/// What the pipeline tells a writer when planning.
public struct OutputRequest: Sendable, Equatable {
  /// Disk image format (`-of`).
  public var format: OutputDiskFormat
  /// Replace an existing output of the same name (`--overwrite`).
  public var overwrite: Bool
  /// About how many bytes the output disks will take (checked against free space); 0 skips the check.
  public var estimatedBytes: UInt64

  /// Creates a request.
  public init(format: OutputDiskFormat, overwrite: Bool = false, estimatedBytes: UInt64 = 0) {
    self.format = format
    self.overwrite = overwrite
    self.estimatedBytes = estimatedBytes
  }
}

/// A writer's plan: where each disk ends up, and what else it will create.
public struct OutputPlan: Sendable, Equatable {
  /// Final path of each disk, in disk order (what the domain XML names).
  public var diskPaths: [String]
  /// Metadata files it will write (domain XML, script), for conflict checks and reports.
  public var metadataFiles: [String]
  /// Disk format.
  public var format: OutputDiskFormat
  /// Per disk, the size its overlay is enlarged to before conversion (a larger physical target), or nil.
  public var resizeTo: [UInt64?]
  /// Whether the last partition of each enlarged disk is grown to fill it (`--grow`).
  public var grow: Bool
  /// Lines saying what will be written where (shown in the log and by `--dry-run`).
  public var summary: [String]

  /// Creates a plan.
  public init(
    diskPaths: [String], metadataFiles: [String] = [], format: OutputDiskFormat, resizeTo: [UInt64?] = [],
    grow: Bool = false, summary: [String] = []
  ) {
    self.diskPaths = diskPaths
    self.metadataFiles = metadataFiles
    self.format = format
    self.resizeTo = resizeTo
    self.grow = grow
    self.summary = summary
  }
}

/// One writable place for one converted disk.
public struct DiskDestination: Sendable, Equatable {
  /// Where the copier writes.
  public var path: String
  /// The format to write.
  public var format: OutputDiskFormat
  /// Whether the destination exists and must be written in place (a block device, a pre-created volume):
  /// the copier then uses `qemu-img convert -n` and never creates or truncates it.
  public var exists: Bool

  /// Creates a destination.
  public init(path: String, format: OutputDiskFormat, exists: Bool = false) {
    self.path = path
    self.format = format
    self.exists = exists
  }
}

/// Output failures (exit code 6).
public enum OutputError: Error, Equatable, CustomStringConvertible {
  /// The output directory does not exist.
  case directoryMissing(String)
  /// It exists but is not writable.
  case notWritable(String)
  /// A file or domain of that name exists and `--overwrite` was not given.
  case exists(String)
  /// Not enough free space.
  case insufficientSpace(directory: String, needBytes: UInt64, haveBytes: UInt64)
  /// libvirt refused (pool lookup, define).
  case libvirt(String)
  /// Writing a file failed.
  case writeFailed(String, String)

  public var description: String {
    switch self {
    case .directoryMissing(let d): return "\(d): output directory does not exist"
    case .notWritable(let d): return "\(d): output directory is not writable"
    case .exists(let what): return "\(what) already exists (use --overwrite to replace it)"
    case .insufficientSpace(let d, let need, let have):
      return "\(d): not enough free space: the output needs about \(ByteFormat.human(need)), \(ByteFormat.human(have)) free"
    case .libvirt(let m): return "libvirt: \(m)"
    case .writeFailed(let p, let why): return "\(p): \(why)"
    }
  }
}

/// Checks shared by writers and `v2v doctor`.
public enum OutputChecks {
  /// The directory exists and is writable.
  public static func writableDirectory(_ dir: String) throws {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
      throw OutputError.directoryMissing(dir)
    }
    guard access(dir, W_OK) == 0 else { throw OutputError.notWritable(dir) }
  }

  /// Free bytes in the filesystem holding `dir` (the one free-space reading in v2v).
  public static func freeBytes(_ dir: String) -> UInt64? {
    var s = statvfs()
    guard statvfs(dir, &s) == 0 else { return nil }
    return UInt64(s.f_bavail) * UInt64(s.f_frsize)
  }

  /// Fails when `need` bytes do not fit in `dir`'s filesystem.
  public static func space(_ dir: String, need: UInt64) throws {
    if need > 0, let free = freeBytes(dir), free < need {
      throw OutputError.insufficientSpace(directory: dir, needBytes: need, haveBytes: free)
    }
  }

  /// Fails when `paths` exist and `overwrite` is false.
  public static func noConflicts(_ paths: [String], overwrite: Bool) throws {
    guard !overwrite else { return }
    if let p = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) { throw OutputError.exists(p) }
  }

  /// Writes `content` to `path` through a temporary file and a rename.
  public static func writeAtomically(_ content: String, to path: String, mode: Int = 0o644) throws {
    let tmp = path + ".v2v-part"
    do {
      try content.write(toFile: tmp, atomically: false, encoding: .utf8)
      try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: tmp)
      if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
      try FileManager.default.moveItem(atPath: tmp, toPath: path)
    } catch {
      try? FileManager.default.removeItem(atPath: tmp)
      throw OutputError.writeFailed(path, "\(error)")
    }
  }
}
