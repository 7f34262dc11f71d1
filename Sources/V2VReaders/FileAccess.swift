import Foundation

/// The thin file I/O edge shared by readers: every read of the host file system goes through here and
/// turns failures into `ReaderError`.
enum FileAccess {
  /// Largest text description (VMX, Xen cfg, XML) read into memory.
  static let maxTextBytes = 32 << 20

  /// What is at a path.
  enum Kind { case missing, file, directory, blockDevice, other }

  /// What is at `path` (following symlinks).
  static func kind(_ path: String) -> Kind {
    var st = stat()
    guard stat(path, &st) == 0 else { return .missing }
    switch st.st_mode & S_IFMT {
    case S_IFREG: return .file
    case S_IFDIR: return .directory
    case S_IFBLK: return .blockDevice
    default: return .other
    }
  }

  /// Size in bytes of a file or block device (seeks to the end), or nil when it cannot be opened.
  static func size(_ path: String) -> UInt64? {
    guard let h = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? h.close() }
    return try? h.seekToEnd()
  }

  /// Reads up to `count` bytes at `offset`; fewer at the end of the file.
  static func bytes(_ path: String, offset: UInt64 = 0, count: Int) throws(ReaderError) -> [UInt8] {
    guard let h = FileHandle(forReadingAtPath: path) else {
      throw .unreadable(SourceLocation(file: path), "cannot open for reading")
    }
    defer { try? h.close() }
    do {
      try h.seek(toOffset: offset)
      return [UInt8](try h.read(upToCount: count) ?? Data())
    } catch {
      throw .unreadable(SourceLocation(file: path), "read failed at offset \(offset): \(error)")
    }
  }

  /// Reads a whole text description, refusing missing files, huge files and binaries.
  static func text(_ path: String) throws(ReaderError) -> String {
    switch kind(path) {
    case .missing: throw .unreadable(SourceLocation(file: path), "no such file")
    case .directory: throw .unreadable(SourceLocation(file: path), "is a directory, expected a file")
    default: break
    }
    guard let h = FileHandle(forReadingAtPath: path) else {
      throw .unreadable(SourceLocation(file: path), "cannot open for reading (permission denied?)")
    }
    defer { try? h.close() }
    let data: Data
    do { data = try h.read(upToCount: maxTextBytes + 1) ?? Data() } catch {
      throw .unreadable(SourceLocation(file: path), "read failed: \(error)")
    }
    guard data.count <= maxTextBytes else {
      throw .unreadable(SourceLocation(file: path), "larger than \(maxTextBytes >> 20) MiB, not a description")
    }
    return try decodeText([UInt8](data), file: path)
  }

  /// Decodes UTF-8 text, refusing NUL bytes and invalid UTF-8 (a binary passed where text belongs).
  static func decodeText(_ bytes: [UInt8], file: String) throws(ReaderError) -> String {
    if let nul = bytes.firstIndex(of: 0) {
      let line = bytes[..<nul].reduce(1) { $1 == 10 ? $0 + 1 : $0 }
      throw .unreadable(
        SourceLocation(file: file, line: line), "binary data (NUL byte at offset \(nul)), not a text file")
    }
    guard let s = String(validating: bytes, as: UTF8.self) else {
      // Latin-1 is a legitimate VMX encoding; accept it only when it has no control bytes.
      if bytes.allSatisfy({ $0 >= 0x20 || $0 == 9 || $0 == 10 || $0 == 13 }) {
        return String(decoding: bytes.map { UInt16($0) }, as: UTF16.self)
      }
      throw .unreadable(SourceLocation(file: file), "binary data, not a text file")
    }
    return s
  }

  /// `path` resolved against the directory of `base` when relative.
  static func resolve(_ path: String, relativeTo base: String) -> String {
    if path.hasPrefix("/") { return path }
    let dir = (base as NSString).deletingLastPathComponent
    return dir.isEmpty ? path : (dir as NSString).appendingPathComponent(path)
  }

  /// Absolute form of a path given on the command line.
  static func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return (path as NSString).standardizingPath }
    let cwd = FileManager.default.currentDirectoryPath
    return ((cwd as NSString).appendingPathComponent(path) as NSString).standardizingPath
  }
}
