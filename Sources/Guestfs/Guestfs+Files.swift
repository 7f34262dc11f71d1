import CGuestfs
import Glibc

extension Guestfs {
  /// Whether `path` exists, following links (`guestfs_exists`).
  public func exists(_ path: String) throws -> Bool { try check(guestfs_exists(handle, path), "guestfs_exists") == 1 }

  /// Whether `path` is a regular file, following links (`guestfs_is_file_opts_argv`).
  public func isFile(_ path: String) throws -> Bool {
    var o = guestfs_is_file_opts_argv()
    o.bitmask = 0
    return try check(guestfs_is_file_opts_argv(handle, path, &o), "guestfs_is_file") == 1
  }

  /// Whether `path` is a directory, following links (`guestfs_is_dir_opts_argv`).
  public func isDir(_ path: String) throws -> Bool {
    var o = guestfs_is_dir_opts_argv()
    o.bitmask = 0
    return try check(guestfs_is_dir_opts_argv(handle, path, &o), "guestfs_is_dir") == 1
  }

  /// Names in a directory (`guestfs_ls`).
  public func ls(_ dir: String) throws -> [String] { try strings(guestfs_ls(handle, dir), "guestfs_ls") }

  /// The whole file as bytes (`guestfs_read_file`; libguestfs streams it, any size fits in memory).
  public func readFile(_ path: String) throws -> [UInt8] {
    var size = 0
    guard let p = guestfs_read_file(handle, path, &size) else { throw fail("guestfs_read_file") }
    defer { free(p) }
    return p.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
  }

  /// Up to `count` bytes of a file at `offset`, following links (`guestfs_pread`); fewer at the end of the
  /// file. One plain request: unlike ``readFile(_:)`` (a download, which waits for udev twice, ~0.3 s under
  /// TCG) it costs a few milliseconds. libguestfs's message limit caps `count` (keep it at 1 MiB or less).
  public func pread(_ path: String, count: Int, offset: Int64) throws -> [UInt8] {
    var size = 0
    guard let p = guestfs_pread(handle, path, Int32(count), offset, &size) else { throw fail("guestfs_pread") }
    defer { free(p) }
    return p.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
  }

  /// Up to `count` bytes of a device at `offset` (`guestfs_pread_device`): a boot sector, a partition table.
  public func preadDevice(_ device: String, count: Int, offset: Int64) throws -> [UInt8] {
    var size = 0
    guard let p = guestfs_pread_device(handle, device, Int32(count), offset, &size) else { throw fail("guestfs_pread_device") }
    defer { free(p) }
    return p.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
  }

  /// Creates or truncates the file and writes `bytes` (`guestfs_write`); an existing file keeps its mode
  /// and owner, a new one gets 0644. The parent must exist. The content is held in memory (tested to 33 MiB
  /// with libguestfs 1.48); a host file is better sent with ``upload(_:to:)``.
  public func write(_ path: String, _ bytes: [UInt8]) throws {
    // An empty array may have no base address, and libguestfs refuses a NULL buffer even for 0 bytes.
    let rc =
      bytes.isEmpty
      ? guestfs_write(handle, path, "", 0)
      : bytes.withUnsafeBufferPointer { b in
        b.withMemoryRebound(to: CChar.self) { guestfs_write(handle, path, $0.baseAddress, $0.count) }
      }
    try check(rc, "guestfs_write")
  }

  /// Copies a host file into the guest, streamed in chunks, any size (`guestfs_upload`). Creates or truncates
  /// the guest file like ``write(_:_:)``.
  public func upload(_ hostPath: String, to path: String) throws { try check(guestfs_upload(handle, hostPath, path), "guestfs_upload") }

  /// Copies a guest file to the host, streamed in chunks, any size (`guestfs_download`).
  public func download(_ path: String, to hostPath: String) throws {
    try check(guestfs_download(handle, path, hostPath), "guestfs_download")
  }

  /// Creates a directory and its parents; no error when it exists (`guestfs_mkdir_p`).
  public func mkdirP(_ path: String) throws { try check(guestfs_mkdir_p(handle, path), "guestfs_mkdir_p") }

  /// Removes a file, ignoring a missing one (`guestfs_rm_f`).
  public func rmF(_ path: String) throws { try check(guestfs_rm_f(handle, path), "guestfs_rm_f") }

  /// Where a symbolic link points (`guestfs_readlink`).
  public func readlink(_ path: String) throws -> String { try string(guestfs_readlink(handle, path), "guestfs_readlink") }

  /// Whether `path` is a symbolic link (`guestfs_is_symlink`).
  public func isSymlink(_ path: String) throws -> Bool { try check(guestfs_is_symlink(handle, path), "guestfs_is_symlink") == 1 }

  /// Sets the mode bits (07777), following links (`guestfs_chmod`). Not subject to the umask.
  public func chmod(_ mode: Int, _ path: String) throws { try check(guestfs_chmod(handle, Int32(mode), path), "guestfs_chmod") }

  /// Sets the numeric owner and group, following links (`guestfs_chown`). Like chown(2), clears the
  /// set-user-ID and set-group-ID bits of a regular file.
  public func chown(uid: Int, gid: Int, _ path: String) throws {
    try check(guestfs_chown(handle, Int32(uid), Int32(gid), path), "guestfs_chown")
  }

  /// What `stat(2)` says about `path`, following links; the fields v2v uses.
  public struct FileStat: Sendable, Equatable {
    /// Size in bytes.
    public var size: Int64
    /// `st_mode`: file type and mode bits.
    public var mode: Int
    /// Numeric owner.
    public var uid: Int
    /// Numeric group.
    public var gid: Int
    /// Whether the file type is a regular file (`S_ISREG`).
    public var isRegularFile: Bool { mode & 0o170000 == 0o100000 }
    /// Whether the file type is a directory (`S_ISDIR`).
    public var isDirectory: Bool { mode & 0o170000 == 0o040000 }
    /// Whether the file type is a symbolic link (`S_ISLNK`; only ``lstatns(_:)`` sees one).
    public var isSymlink: Bool { mode & 0o170000 == 0o120000 }
  }

  /// `stat(2)` of `path`, following links (`guestfs_statns`); throws when it does not exist.
  public func statns(_ path: String) throws -> FileStat {
    guard let s = guestfs_statns(handle, path) else { throw fail("guestfs_statns") }
    defer { guestfs_free_statns(s) }
    return FileStat(size: s.pointee.st_size, mode: Int(s.pointee.st_mode), uid: Int(s.pointee.st_uid), gid: Int(s.pointee.st_gid))
  }

  /// `lstat(2)` of `path`: a link itself, not what it points to (`guestfs_lstatns`); throws when it does not
  /// exist. Like ``statns(_:)`` it runs inside the daemon, without the fork that `is_file`/`is_dir`/
  /// `is_symlink` cost (~30 ms each under TCG).
  public func lstatns(_ path: String) throws -> FileStat {
    guard let s = guestfs_lstatns(handle, path) else { throw fail("guestfs_lstatns") }
    defer { guestfs_free_statns(s) }
    return FileStat(size: s.pointee.st_size, mode: Int(s.pointee.st_mode), uid: Int(s.pointee.st_uid), gid: Int(s.pointee.st_gid))
  }

  /// Runs a command inside the mounted guest (chrooted at /sysroot) and returns its stdout
  /// (`guestfs_command`). Needs the guest's root mounted at `/`.
  public func command(_ argv: [String]) throws -> String {
    try withCStringArray(argv) { try string(guestfs_command(handle, $0), "guestfs_command") }
  }
}
