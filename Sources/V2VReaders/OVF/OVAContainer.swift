import Foundation
import ZIPFoundation

/// The files of an OVA, whatever holds them: a tar read in place, a zip extracted into a work directory, or
/// a plain directory. Member names are checked so nothing escapes the archive or directory.
struct OVAContainer {
  /// How the members are stored.
  enum Storage {
    /// A tar archive at `path`, read in place.
    case tar(path: String, archive: TarArchive)
    /// A directory (an unpacked OVA, an extracted zip, or an `.ovf`'s own directory).
    case directory(String)
  }

  /// Where the members are.
  let storage: Storage
  /// The OVA as named by the user, for errors.
  let origin: String

  /// Opens `path`: a directory, an `.ovf` file (its directory holds the disks), a tar, or a zip (extracted
  /// into `workDirectory()`).
  init(path: String, workDirectory: () throws(ReaderError) -> String) throws(ReaderError) {
    origin = path
    switch FileAccess.kind(path) {
    case .missing: throw .unreadable(SourceLocation(file: path), "no such file or directory")
    case .directory:
      let real = FileAccess.realPath(path) ?? path
      if real == "/proc" || real.hasPrefix("/proc/") || real == "/sys" || real.hasPrefix("/sys/") || real == "/dev" || real.hasPrefix("/dev/") {
        throw .unreadable(SourceLocation(file: path), "is a directory of pseudo-files (\(real)), not an OVA")
      }
      storage = .directory(path)
      return
    default: break
    }
    let head = try FileAccess.bytes(path, count: 512)
    if head.starts(with: [0x50, 0x4b, 0x03, 0x04]) {
      let dir = try workDirectory()
      try Self.extractZip(path, into: dir)
      storage = .directory(dir)
    } else if path.lowercased().hasSuffix(".ovf") || head.first == UInt8(ascii: "<") || head.starts(with: [0xef, 0xbb, 0xbf]) {
      storage = .directory((path as NSString).deletingLastPathComponent)
    } else {
      let size = FileAccess.size(path)
      let archive = try TarArchive(file: path, size: size) { (o: UInt64, n: Int) throws(ReaderError) -> [UInt8] in try FileAccess.bytes(path, offset: o, count: n) }
      guard !archive.members.isEmpty else { throw .unreadable(SourceLocation(file: path), "not an OVA: neither a tar nor a zip archive with members") }
      for m in archive.members where !Self.isSafe(m.name) {
        throw .integrity(SourceLocation(file: path, context: "member '\(m.name)'"), "archive entry escapes the extraction directory")
      }
      var first: [String: TarArchive.Member] = [:]
      for m in archive.members {
        let n = Self.normalize(m.name)
        if let earlier = first[n] {
          ReaderWarnings.emit(ReaderWarning(
            SourceLocation(file: path, context: "member '\(n)'"),
            "the archive holds this member twice (tar headers at offsets \(earlier.headerOffset) and \(m.headerOffset)); the last one is used, as tar extracts it"))
        } else {
          first[n] = m
        }
      }
      if !archive.endMarker {
        ReaderWarnings.emit(ReaderWarning(
          SourceLocation(file: path), "the tar archive has no end-of-archive blocks after its last member: it may be truncated"))
      }
      storage = .tar(path: path, archive: archive)
    }
  }

  /// Member names (relative paths).
  var names: [String] {
    switch storage {
    case .tar(_, let a): return a.members.map { Self.normalize($0.name) }
    case .directory(let d):
      let items = (try? FileManager.default.subpathsOfDirectory(atPath: d)) ?? []
      return items.filter { FileAccess.kind((d as NSString).appendingPathComponent($0)) == .file }.sorted()
    }
  }

  /// The tar member named `name`, if the storage is a tar.
  func tarMember(_ name: String) -> (archive: String, member: TarArchive.Member)? {
    guard case .tar(let path, let a) = storage else { return nil }
    return a.members.last { Self.normalize($0.name) == Self.normalize(name) }.map { (path, $0) }
  }

  /// The host path of member `name` in a directory storage.
  func directoryPath(_ name: String) -> String? {
    guard case .directory(let d) = storage else { return nil }
    let p = (d as NSString).appendingPathComponent(name)
    return FileAccess.kind(p) == .file ? p : nil
  }

  /// Refuses a directory member whose real path leaves the directory (a symlink to `/etc/passwd`). The
  /// `.ovf` the user named is exempt: they chose it.
  func requireInside(_ path: String, namedBy: SourceLocation) throws(ReaderError) {
    guard case .directory(let d) = storage, path != origin else { return }
    try FileAccess.requireInside(path, root: d, namedBy: namedBy)
  }

  /// What member `name` is when it exists but is not a regular file (`a symbolic link to 'x'`, `a
  /// directory`, `a FIFO (named pipe)`), for messages; nil when it is a regular file or absent.
  func nonFileKind(_ name: String) -> String? {
    switch storage {
    case .tar(_, let a):
      guard tarMember(name) == nil else { return nil }
      return a.specials.last { Self.normalize($0.name) == Self.normalize(name) || Self.normalize($0.name) == Self.normalize(name) + "/" }?.what
    case .directory(let d):
      let p = (d as NSString).appendingPathComponent(name)
      switch FileAccess.kind(p) {
      case .file: return nil
      case .blockDevice: return "a block device"
      case .missing:
        var st = stat()
        return lstat(p, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK ? "a dangling symbolic link" : nil
      case .directory, .other: return FileAccess.unreadableType(p)
      }
    }
  }

  /// Whether a member exists.
  func contains(_ name: String) -> Bool { tarMember(name) != nil || directoryPath(name) != nil }

  /// Where member `name`'s bytes are: a host file, an offset and a length.
  func byteRange(_ name: String) throws(ReaderError) -> (path: String, start: UInt64, size: UInt64) {
    if let (a, m) = tarMember(name) { return (a, m.offset, m.size) }
    if let p = directoryPath(name) {
      try requireInside(p, namedBy: SourceLocation(file: origin, context: name))
      return (p, 0, FileAccess.size(p) ?? 0)
    }
    throw .missingFile(SourceLocation(file: origin), path: name)
  }

  /// Calls `body` with successive chunks of member `name`.
  func forEachChunk(_ name: String, _ body: ([UInt8]) throws(ReaderError) -> Void) throws(ReaderError) {
    let (path, start, size) = try byteRange(name)
    try FileAccess.requireReadableType(path)
    guard let h = FileHandle(forReadingAtPath: path) else { throw .unreadable(SourceLocation(file: path), "cannot open") }
    defer { try? h.close() }
    var done: UInt64 = 0
    do { try h.seek(toOffset: start) } catch { throw .unreadable(SourceLocation(file: path), "seek failed") }
    while done < size {
      let want = Int(min(size - done, 4 << 20))
      let chunk = (try? h.read(upToCount: want)).flatMap { $0 }.map { [UInt8]($0) } ?? []
      guard !chunk.isEmpty else { throw .unreadable(SourceLocation(file: origin, context: name), "truncated member") }
      try body(chunk)
      done += UInt64(chunk.count)
    }
  }

  /// The whole (small) member as bytes.
  func bytes(_ name: String, limit: Int = FileAccess.maxTextBytes) throws(ReaderError) -> [UInt8] {
    var out: [UInt8] = []
    try forEachChunk(name) { (c: [UInt8]) throws(ReaderError) in
      out += c
      if out.count > limit { throw .unreadable(SourceLocation(file: origin, context: name), "member too large") }
    }
    return out
  }

  /// A member name is safe when relative and free of `..` components.
  static func isSafe(_ name: String) -> Bool {
    let n = name.replacingOccurrences(of: "\\", with: "/")
    guard !n.isEmpty, !n.hasPrefix("/"), !n.contains("\0") else { return false }
    return !n.split(separator: "/").contains("..")
  }

  static func normalize(_ name: String) -> String {
    var n = name
    while n.hasPrefix("./") { n.removeFirst(2) }
    return n
  }

  private static func extractZip(_ path: String, into dir: String) throws(ReaderError) {
    let archive: Archive
    do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
      throw .unreadable(SourceLocation(file: path), "not a readable zip archive")
    }
    for entry in archive where entry.type == .file {
      guard isSafe(entry.path) else {
        throw .integrity(SourceLocation(file: path, context: "member '\(entry.path)'"), "archive entry escapes the extraction directory")
      }
      let dest = URL(fileURLWithPath: dir).appendingPathComponent(entry.path)
      do { _ = try archive.extract(entry, to: dest, skipCRC32: false) } catch {
        throw .unreadable(SourceLocation(file: path, context: "member '\(entry.path)'"), "cannot extract: \(error)")
      }
    }
  }
}
