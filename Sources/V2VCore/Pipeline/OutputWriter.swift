import Foundation
import V2VModel

/// Where a conversion's result goes (`-o local|libvirt|qemu`). The pipeline copies disks to temporary names
/// in ``diskDirectory()``, renames them, then calls ``commit(_:domainXML:overwrite:)`` to write the metadata
/// last, so nothing looks finished before everything is.
public protocol OutputWriter {
  /// `local`, `libvirt`, `qemu`.
  var kind: String { get }
  /// Where the disks go; checked to exist and be writable.
  func diskDirectory() throws -> String
  /// Fails before any slow work if output of this name already exists (files, a libvirt domain), unless
  /// `overwrite`.
  func checkConflicts(_ target: TargetVM, overwrite: Bool) throws
  /// Writes or defines the metadata once the disks are in place; returns what was created (paths, URIs).
  func commit(_ target: TargetVM, domainXML: String, overwrite: Bool) throws -> [String]
  /// Files this writer's metadata occupies (checked for conflicts, removed on failure).
  func metadataFiles(_ target: TargetVM) -> [String]
}

/// A writer whose disks and metadata files all go into one directory (`-o local`, `-o qemu`).
public protocol DirectoryOutputWriter: OutputWriter {
  /// The output directory (`-os`).
  var directory: String { get }
}

extension DirectoryOutputWriter {
  public func diskDirectory() throws -> String {
    let dir = URL(fileURLWithPath: directory).standardizedFileURL.path
    try OutputChecks.writableDirectory(dir)
    return dir
  }

  public func checkConflicts(_ target: TargetVM, overwrite: Bool) throws {
    try OutputChecks.noConflicts(target.disks.map(\.path) + metadataFiles(target), overwrite: overwrite)
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

/// Checks shared by writers.
public enum OutputChecks {
  /// The directory exists and is writable.
  public static func writableDirectory(_ dir: String) throws {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
      throw OutputError.directoryMissing(dir)
    }
    guard access(dir, W_OK) == 0 else { throw OutputError.notWritable(dir) }
  }

  /// Free bytes in the filesystem holding `dir`.
  public static func freeBytes(_ dir: String) -> UInt64? {
    var s = statvfs()
    guard statvfs(dir, &s) == 0 else { return nil }
    return UInt64(s.f_bavail) * UInt64(s.f_frsize)
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
