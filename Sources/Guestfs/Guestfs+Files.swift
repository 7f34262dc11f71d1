import CGuestfs
import Glibc

extension Guestfs {
  /// Whether `path` exists (`guestfs_exists`).
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

  /// The whole file as bytes (`guestfs_read_file`).
  public func readFile(_ path: String) throws -> [UInt8] {
    var size = 0
    guard let p = guestfs_read_file(handle, path, &size) else { throw fail("guestfs_read_file") }
    defer { free(p) }
    return p.withMemoryRebound(to: UInt8.self, capacity: size) { Array(UnsafeBufferPointer(start: $0, count: size)) }
  }

  /// Replaces the file's content (`guestfs_write`).
  public func write(_ path: String, _ bytes: [UInt8]) throws {
    _ = try bytes.withUnsafeBufferPointer { buf in
      try buf.withMemoryRebound(to: CChar.self) { c in
        try check(guestfs_write(handle, path, c.baseAddress, c.count), "guestfs_write")
      }
    }
  }

  /// Copies a host file into the guest (`guestfs_upload`).
  public func upload(_ hostPath: String, to path: String) throws { try check(guestfs_upload(handle, hostPath, path), "guestfs_upload") }

  /// Copies a guest file to the host (`guestfs_download`).
  public func download(_ path: String, to hostPath: String) throws {
    try check(guestfs_download(handle, path, hostPath), "guestfs_download")
  }

  /// Creates a directory and its parents (`guestfs_mkdir_p`).
  public func mkdirP(_ path: String) throws { try check(guestfs_mkdir_p(handle, path), "guestfs_mkdir_p") }

  /// Removes a file, ignoring a missing one (`guestfs_rm_f`).
  public func rmF(_ path: String) throws { try check(guestfs_rm_f(handle, path), "guestfs_rm_f") }

  /// Creates a symbolic link `linkname` → `target`, replacing an existing one (`guestfs_ln_sf`).
  public func lnSF(target: String, linkname: String) throws { try check(guestfs_ln_sf(handle, target, linkname), "guestfs_ln_sf") }

  /// Where a symbolic link points (`guestfs_readlink`).
  public func readlink(_ path: String) throws -> String { try string(guestfs_readlink(handle, path), "guestfs_readlink") }

  /// Whether `path` is a symbolic link (`guestfs_is_symlink`).
  public func isSymlink(_ path: String) throws -> Bool { try check(guestfs_is_symlink(handle, path), "guestfs_is_symlink") == 1 }

  /// Sets the mode bits (`guestfs_chmod`).
  public func chmod(_ mode: Int32, _ path: String) throws { try check(guestfs_chmod(handle, mode, path), "guestfs_chmod") }

  /// Runs a command inside the mounted guest (chrooted at /sysroot) and returns its stdout
  /// (`guestfs_command`). Needs the guest's root mounted at `/`.
  public func command(_ argv: [String]) throws -> String {
    var cs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { cs.forEach { free($0) } }
    return try string(guestfs_command(handle, &cs), "guestfs_command")
  }

  /// Runs `/bin/sh -c script` inside the mounted guest and returns its stdout (`guestfs_sh`).
  public func sh(_ script: String) throws -> String { try string(guestfs_sh(handle, script), "guestfs_sh") }
}
