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

  /// What a path that is neither a regular file nor a block device is, for messages; nil when it is one
  /// of those two (and not a pseudo-file under /proc or /sys). Decided by `stat` alone: nothing is opened,
  /// so a FIFO or a character device cannot block or stream forever.
  static func unreadableType(_ path: String) -> String? {
    var st = stat()
    guard stat(path, &st) == 0 else { return nil }
    switch st.st_mode & S_IFMT {
    case S_IFREG:
      let real = realPath(path) ?? path
      if real.hasPrefix("/proc/") { return "a /proc pseudo-file" }
      if real.hasPrefix("/sys/") { return "a /sys pseudo-file" }
      return nil
    case S_IFBLK: return nil
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFSOCK: return "a socket"
    case S_IFCHR: return "a character device"
    case S_IFLNK: return "a symbolic link"
    default: return "not a regular file"
    }
  }

  /// The canonical path (symlinks, `.` and `..` resolved), or nil when it does not exist.
  static func realPath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
  }

  /// Refuses `path` when its real path (symlinks resolved) is not inside the real directory `root`: a
  /// descriptor may not reach outside the source's own tree. Missing paths pass (reported elsewhere).
  static func requireInside(_ path: String, root: String, namedBy: SourceLocation) throws(ReaderError) {
    guard let real = realPath(path), let realRoot = realPath(root) else { return }
    let prefix = realRoot.hasSuffix("/") ? realRoot : realRoot + "/"
    guard !real.hasPrefix(prefix) else { return }
    var st = stat()
    let how = lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK ? "is a symlink to" : "resolves to"
    throw .integrity(namedBy, "'\(path)' \(how) '\(real)', outside the source directory '\(realRoot)'")
  }

  /// Refuses, before anything opens it, a path that is not a regular file or block device.
  static func requireReadableType(_ path: String, namedBy: SourceLocation? = nil) throws(ReaderError) {
    guard let what = unreadableType(path) else { return }
    let at = namedBy ?? SourceLocation(file: path)
    let subject = namedBy == nil ? "is" : "'\(path)' is"
    throw .unreadable(at, "\(subject) \(what), not a regular file or block device")
  }

  /// Size in bytes of a file or block device (seeks to the end), or nil when it cannot be opened.
  static func size(_ path: String) -> UInt64? {
    guard unreadableType(path) == nil else { return nil }
    guard let h = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? h.close() }
    return try? h.seekToEnd()
  }

  /// Reads up to `count` bytes at `offset`; fewer at the end of the file, none past it (an offset read
  /// from a hostile header may be anything: Foundation's `seek` traps beyond `Int64.max`).
  static func bytes(_ path: String, offset: UInt64 = 0, count: Int) throws(ReaderError) -> [UInt8] {
    try requireReadableType(path)
    guard offset <= UInt64(Int64.max), count > 0 else { return [] }
    guard let h = FileHandle(forReadingAtPath: path) else {
      throw .unreadable(SourceLocation(file: path), "cannot open for reading")
    }
    defer { try? h.close() }
    do {
      try h.seek(toOffset: offset)
      return [UInt8](try h.read(upToCount: count) ?? Data())
    } catch {
      throw .unreadable(SourceLocation(file: path), "read failed at offset \(offset): \(describe(error))")
    }
  }

  /// Reads a whole text description, refusing missing files, huge files, binaries and invalid UTF-8 where
  /// `encoding` (given the raw bytes) says UTF-8.
  static func text(_ path: String, encoding: (_ head: [UInt8]) -> Encoding) throws(ReaderError) -> String {
    switch kind(path) {
    case .missing: throw .unreadable(SourceLocation(file: path), "no such file")
    case .directory: throw .unreadable(SourceLocation(file: path), "is a directory, expected a file")
    default: break
    }
    try requireReadableType(path)
    guard let h = FileHandle(forReadingAtPath: path) else {
      throw .unreadable(SourceLocation(file: path), "cannot open for reading (permission denied?)")
    }
    defer { try? h.close() }
    let data: Data
    do { data = try h.read(upToCount: maxTextBytes + 1) ?? Data() } catch {
      throw .unreadable(SourceLocation(file: path), "read failed: \(describe(error))")
    }
    guard data.count <= maxTextBytes else {
      throw .unreadable(SourceLocation(file: path), "larger than \(maxTextBytes >> 20) MiB, not a description")
    }
    let bytes = [UInt8](data)
    return try decodeText(bytes, file: path, encoding: encoding(bytes))
  }

  /// How a text file's encoding is known.
  enum Encoding: Equatable {
    /// The file declares UTF-8 or its format implies it (XML without another declared encoding, Xen
    /// configurations, manifests): invalid UTF-8 is an error naming the byte offset.
    case utf8
    /// The file declares nothing, or a legacy 8-bit encoding (a VMX without `.encoding`, or with
    /// `windows-1252`): invalid UTF-8 is read as Latin-1 when it holds no control bytes.
    case legacy8Bit
  }

  /// Decodes text, refusing NUL bytes and invalid UTF-8 (a binary passed where text belongs, or a file
  /// that says UTF-8 and is not). With `.legacy8Bit`, Latin-1 is accepted as VMware writes it.
  static func decodeText(_ bytes: [UInt8], file: String, encoding: Encoding) throws(ReaderError) -> String {
    if let nul = bytes.firstIndex(of: 0) {
      throw .unreadable(
        SourceLocation(file: file, line: line(of: nul, in: bytes)), "binary data (NUL byte at offset \(nul)), not a text file")
    }
    guard let s = String(validating: bytes, as: UTF8.self) else {
      // Latin-1 is a legitimate VMX encoding; accept it only when it has no control bytes.
      if encoding == .legacy8Bit, bytes.allSatisfy({ $0 >= 0x20 || $0 == 9 || $0 == 10 || $0 == 13 }) {
        return String(decoding: bytes.map { UInt16($0) }, as: UTF16.self)
      }
      let bad = firstInvalidUTF8(bytes) ?? 0
      let hex = String(bytes[bad], radix: 16, uppercase: true)
      let why = encoding == .utf8 ? "" : "; not a text file?"
      throw .unreadable(
        SourceLocation(file: file, line: line(of: bad, in: bytes)),
        "invalid UTF-8 at byte offset \(bad) (0x\(hex.count == 1 ? "0" + hex : hex))\(why)")
    }
    return s
  }

  /// The byte offset of the first byte that is not valid UTF-8, or nil when all of `bytes` is.
  static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
    var it = bytes.makeIterator()
    var parser = Unicode.UTF8.ForwardParser()
    var offset = 0
    while true {
      switch parser.parseScalar(from: &it) {
      case .valid(let scalar): offset += scalar.count
      case .emptyInput: return nil
      case .error: return offset
      }
    }
  }

  /// 1-based line of byte `offset`.
  static func line(of offset: Int, in bytes: [UInt8]) -> Int {
    bytes[..<min(offset, bytes.count)].reduce(1) { $1 == 10 ? $0 + 1 : $0 }
  }

  /// One line describing a Foundation or POSIX error: never an `NSCocoaErrorDomain … UserInfo=…` dump.
  static func describe(_ error: any Error) -> String {
    let ns = error as NSError
    func posix(_ code: Int) -> String { String(cString: strerror(Int32(code))) }
    if ns.domain == NSPOSIXErrorDomain { return posix(ns.code) }
    if let under = ns.userInfo[NSUnderlyingErrorKey] as? NSError, under.domain == NSPOSIXErrorDomain {
      return posix(under.code)
    }
    if ns.domain == NSCocoaErrorDomain {
      switch CocoaError.Code(rawValue: ns.code) {
      case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file"
      case .fileReadNoPermission, .fileWriteNoPermission: return "permission denied"
      case .fileReadTooLarge: return "file too large"
      case .fileReadCorruptFile: return "corrupt file"
      case .fileReadUnknown: return "read error"
      case .fileWriteOutOfSpace: return "no space left on device"
      case .fileWriteVolumeReadOnly: return "read-only file system"
      default: return "file error \(ns.code)"
      }
    }
    let text = "\(error)"
    if text.contains("UserInfo=") || text.contains("\n") { return "\(ns.domain) error \(ns.code)" }
    return text
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
