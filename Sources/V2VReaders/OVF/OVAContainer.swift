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
    case .directory: storage = .directory(path); return
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
      let archive = try TarArchive(file: path) { (o: UInt64, n: Int) throws(ReaderError) -> [UInt8] in try FileAccess.bytes(path, offset: o, count: n) }
      guard !archive.members.isEmpty else { throw .unreadable(SourceLocation(file: path), "not an OVA: neither a tar nor a zip archive with members") }
      for m in archive.members where !Self.isSafe(m.name) {
        throw .integrity(SourceLocation(file: path, context: "member '\(m.name)'"), "archive entry escapes the extraction directory")
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
