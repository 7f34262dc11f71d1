import CGuestfs
import Glibc

/// One libguestfs handle (`guestfs_h`): an appliance and the disks added to it.
///
/// Owns its pointer and closes it in `deinit` (`guestfs_close`). A handle is used by one task at a time, so
/// this type is deliberately not `Sendable`. Every method wraps one `guestfs_*` call and throws
/// ``GuestfsError`` with `guestfs_last_error` captured right after the call.
public final class Guestfs {
  let handle: OpaquePointer

  /// Creates a handle (`guestfs_create_flags` with no environment parsing skipped) and turns off
  /// libguestfs's default error printing so errors come back only as ``GuestfsError``.
  public init() throws {
    guard let g = guestfs_create() else {
      throw GuestfsError(function: "guestfs_create", message: "cannot create a libguestfs handle", errno: Glibc.errno)
    }
    guestfs_set_error_handler(g, nil, nil)
    handle = g
  }

  deinit { guestfs_close(handle) }

  // MARK: - Error capture

  func fail(_ function: String) -> GuestfsError {
    let msg = guestfs_last_error(handle).map { String(cString: $0) } ?? "unknown error"
    return GuestfsError(function: function, message: msg, errno: guestfs_last_errno(handle))
  }

  @discardableResult
  func check(_ rc: Int32, _ function: String) throws -> Int32 {
    if rc == -1 { throw fail(function) }
    return rc
  }

  func string(_ p: UnsafeMutablePointer<CChar>?, _ function: String) throws -> String {
    guard let p else { throw fail(function) }
    defer { free(p) }
    return String(cString: p)
  }

  func strings(_ p: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ function: String) throws -> [String] {
    guard let p else { throw fail(function) }
    defer { free(p) }
    var out: [String] = []
    var i = 0
    while let s = p[i] {
      out.append(String(cString: s))
      free(s)
      i += 1
    }
    return out
  }

  /// Calls `body` with `strings` as a NULL-terminated `char **` (the libguestfs string-list argument),
  /// freeing every copy afterwards.
  func withCStringArray<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> R) rethrows -> R {
    var cs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { cs.forEach { free($0) } }
    return try cs.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
  }

  /// Pairs a flat `[k1, v1, k2, v2…]` list (the libguestfs hashtable convention) into tuples.
  func pairs(_ list: [String]) -> [(String, String)] {
    stride(from: 0, to: list.count - 1, by: 2).map { (list[$0], list[$0 + 1]) }
  }

  // MARK: - Configuration (before launch)

  /// Adds a disk (`guestfs_add_drive_opts_argv`). `format` avoids format probing; `readOnly` protects it.
  public func addDrive(
    _ path: String, format: String? = nil, readOnly: Bool = false, name: String? = nil,
    cacheMode: String? = nil, discard: String? = nil
  ) throws {
    var opts = guestfs_add_drive_opts_argv()
    opts.bitmask = v2v_add_drive_readonly_bit()
    opts.readonly = readOnly ? 1 : 0
    let cFormat = format.map { strdup($0) } ?? nil
    let cName = name.map { strdup($0) } ?? nil
    let cCache = cacheMode.map { strdup($0) } ?? nil
    let cDiscard = discard.map { strdup($0) } ?? nil
    defer { free(cFormat); free(cName); free(cCache); free(cDiscard) }
    if let cFormat { opts.bitmask |= v2v_add_drive_format_bit(); opts.format = UnsafePointer(cFormat) }
    if let cName { opts.bitmask |= v2v_add_drive_name_bit(); opts.name = UnsafePointer(cName) }
    if let cCache { opts.bitmask |= v2v_add_drive_cachemode_bit(); opts.cachemode = UnsafePointer(cCache) }
    if let cDiscard { opts.bitmask |= v2v_add_drive_discard_bit(); opts.discard = UnsafePointer(cDiscard) }
    try check(guestfs_add_drive_opts_argv(handle, path, &opts), "guestfs_add_drive_opts")
  }

  /// Appliance memory in MiB (`guestfs_set_memsize`).
  public func setMemSize(_ mib: Int) throws { try check(guestfs_set_memsize(handle, Int32(mib)), "guestfs_set_memsize") }

  /// Appliance vCPUs (`guestfs_set_smp`).
  public func setSMP(_ n: Int) throws { try check(guestfs_set_smp(handle, Int32(n)), "guestfs_set_smp") }

  /// Backend settings such as `force_tcg` or `force_kvm` (`guestfs_set_backend_settings`).
  public func setBackendSettings(_ settings: [String]) throws {
    try withCStringArray(settings) { _ = try check(guestfs_set_backend_settings(handle, $0), "guestfs_set_backend_settings") }
  }

  /// The qemu binary the appliance runs on (`guestfs_set_hv`).
  public func setHV(_ path: String) throws { try check(guestfs_set_hv(handle, path), "guestfs_set_hv") }

  /// The backend (`guestfs_set_backend`), e.g. `direct`.
  public func setBackend(_ backend: String) throws { try check(guestfs_set_backend(handle, backend), "guestfs_set_backend") }

  /// Turns on libguestfs trace/verbose messages (`guestfs_set_trace`, `guestfs_set_verbose`).
  public func setDebug(trace: Bool, verbose: Bool) throws {
    try check(guestfs_set_trace(handle, trace ? 1 : 0), "guestfs_set_trace")
    try check(guestfs_set_verbose(handle, verbose ? 1 : 0), "guestfs_set_verbose")
  }

  /// Starts the appliance (`guestfs_launch`). Costs ~30 s under TCG.
  public func launch() throws { try check(guestfs_launch(handle), "guestfs_launch") }

  /// The process id of the appliance's qemu (`guestfs_get_pid`); throws before launch.
  public func pid() throws -> Int32 { try check(guestfs_get_pid(handle), "guestfs_get_pid") }

  /// Flushes and stops the appliance (`guestfs_shutdown`). Call before reading the disks elsewhere.
  public func shutdown() throws { try check(guestfs_shutdown(handle), "guestfs_shutdown") }

  // MARK: - Devices, filesystems, inspection

  /// The index (order of adding) of a whole-disk device (`guestfs_device_index`).
  public func deviceIndex(_ device: String) throws -> Int {
    Int(try check(guestfs_device_index(handle, device), "guestfs_device_index"))
  }

  /// Operating-system roots found on the disks (`guestfs_inspect_os`).
  public func inspectOS() throws -> [String] { try strings(guestfs_inspect_os(handle), "guestfs_inspect_os") }

  /// An inspection string field of `root`: type, distro, product_name, arch, hostname, package_format,
  /// package_management, osinfo (`guestfs_inspect_get_<field>`).
  public func inspectGet(_ field: InspectField, root: String) throws -> String {
    switch field {
    case .type: return try string(guestfs_inspect_get_type(handle, root), "guestfs_inspect_get_type")
    case .distro: return try string(guestfs_inspect_get_distro(handle, root), "guestfs_inspect_get_distro")
    case .productName: return try string(guestfs_inspect_get_product_name(handle, root), "guestfs_inspect_get_product_name")
    case .arch: return try string(guestfs_inspect_get_arch(handle, root), "guestfs_inspect_get_arch")
    case .hostname: return try string(guestfs_inspect_get_hostname(handle, root), "guestfs_inspect_get_hostname")
    case .packageFormat: return try string(guestfs_inspect_get_package_format(handle, root), "guestfs_inspect_get_package_format")
    case .packageManagement:
      return try string(guestfs_inspect_get_package_management(handle, root), "guestfs_inspect_get_package_management")
    case .osinfo: return try string(guestfs_inspect_get_osinfo(handle, root), "guestfs_inspect_get_osinfo")
    case .windowsSystemRoot:
      return try string(guestfs_inspect_get_windows_systemroot(handle, root), "guestfs_inspect_get_windows_systemroot")
    case .windowsCurrentControlSet:
      return try string(
        guestfs_inspect_get_windows_current_control_set(handle, root), "guestfs_inspect_get_windows_current_control_set")
    case .productVariant:
      return try string(guestfs_inspect_get_product_variant(handle, root), "guestfs_inspect_get_product_variant")
    }
  }

  /// Inspection string fields.
  public enum InspectField: Sendable { case type, distro, productName, arch, hostname, packageFormat, packageManagement, osinfo, windowsSystemRoot
    case windowsCurrentControlSet, productVariant
  }

  /// Major and minor version of `root` (`guestfs_inspect_get_major_version`, `_minor_version`).
  public func inspectVersion(root: String) throws -> (major: Int, minor: Int) {
    let major = try check(guestfs_inspect_get_major_version(handle, root), "guestfs_inspect_get_major_version")
    let minor = try check(guestfs_inspect_get_minor_version(handle, root), "guestfs_inspect_get_minor_version")
    return (Int(major), Int(minor))
  }

  /// Mountpoint → device for `root` (`guestfs_inspect_get_mountpoints`).
  public func inspectMountpoints(root: String) throws -> [(mountpoint: String, device: String)] {
    pairs(try strings(guestfs_inspect_get_mountpoints(handle, root), "guestfs_inspect_get_mountpoints")).map { ($0.0, $0.1) }
  }

  /// Mounts read-write (`guestfs_mount`).
  public func mount(_ device: String, at mountpoint: String) throws { try check(guestfs_mount(handle, device, mountpoint), "guestfs_mount") }

  /// Mounts read-only (`guestfs_mount_ro`).
  public func mountReadOnly(_ device: String, at mountpoint: String) throws {
    try check(guestfs_mount_ro(handle, device, mountpoint), "guestfs_mount_ro")
  }

  /// Unmounts one filesystem by mountpoint or device (`guestfs_umount`).
  public func umount(_ pathOrDevice: String) throws { try check(guestfs_umount(handle, pathOrDevice), "guestfs_umount") }

  /// Unmounts everything (`guestfs_umount_all`).
  public func umountAll() throws { try check(guestfs_umount_all(handle), "guestfs_umount_all") }

  /// Discards unused blocks of the filesystem mounted at `path` (`guestfs_fstrim`).
  public func fstrim(_ path: String) throws {
    var opts = guestfs_fstrim_argv()
    opts.bitmask = 0
    try check(guestfs_fstrim_argv(handle, path, &opts), "guestfs_fstrim")
  }

  /// The ext2/3/4 superblock fields of `device` as `tune2fs -l` names them (`guestfs_tune2fs_l`).
  public func tune2fsList(_ device: String) throws -> [String: String] {
    var out: [String: String] = [:]
    for (k, v) in pairs(try strings(guestfs_tune2fs_l(handle, device), "guestfs_tune2fs_l")) { out[k] = v }
    return out
  }
}
