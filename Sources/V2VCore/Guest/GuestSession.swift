import V2VModel
/// A guest's filesystems, mounted and ready to read, change, and run the guest's own tools in.
///
/// The real implementation is a libguestfs appliance (V2VGuestfs); tests use a fake over a directory tree
/// (V2VTestSupport). Paths are guest paths (`/etc/fstab`). Converters speak only this protocol.
public protocol GuestSession: AnyObject {
  /// The file's content, nil when nothing is there or it is not a regular file (following links). Any size.
  func readFile(_ path: String) throws -> [UInt8]?
  /// Replaces (or creates) a regular file, following links. The parent directory must exist. An existing file
  /// keeps its mode and owner; a new one gets 0644, owned by root (see ``setMode(_:_:)``, ``setOwner(_:uid:gid:)``).
  func writeFile(_ path: String, _ bytes: [UInt8]) throws
  /// Up to `count` bytes of one of the conversion's disks (an appliance device name such as `/dev/sda`) at
  /// `offset`, read without running anything in the guest: boot sectors, partition tables.
  func readDevice(_ device: String, offset: Int64, count: Int) throws -> [UInt8]
  /// Copies a host file into the guest, streamed (for large files: drivers, firmware, bootloader images).
  /// Same rules as ``writeFile(_:_:)``.
  func upload(hostPath: String, to guestPath: String) throws
  /// Copies a guest file to the host, streamed; throws when it is missing or not a regular file.
  func download(_ guestPath: String, toHostPath hostPath: String) throws
  /// Whether anything exists at `path` (following links).
  func exists(_ path: String) throws -> Bool
  /// Whether `path` is a directory (following links).
  func isDirectory(_ path: String) throws -> Bool
  /// Names in a directory (empty when it does not exist).
  func list(_ directory: String) throws -> [String]
  /// Where a symbolic link points, nil when `path` is not a link.
  func readLink(_ path: String) throws -> String?
  /// Removes a file or link (no error when missing).
  func remove(_ path: String) throws
  /// Creates a directory and its parents (no error when it exists). `mode` (not subject to the umask) and
  /// `owner` are then set on `path` itself, also when it already existed; new parents get the defaults.
  /// Call as `makeDirectory(path)`, `makeDirectory(path, mode: 0o700)` or `makeDirectory(path, owner: (0, 0))`.
  func makeDirectory(_ path: String, mode: Int?, owner: (uid: Int, gid: Int)?) throws
  /// Sets the permission bits (07777) of `path`, following links.
  func setMode(_ path: String, _ mode: Int) throws
  /// Sets the numeric owner and group of `path`, following links. Clears set-user/group-ID bits of a
  /// regular file, as chown(2) does: set the mode afterwards.
  func setOwner(_ path: String, uid: Int, gid: Int) throws
  /// Size, permission bits (07777, no file type) and numeric owner of `path` (following links); nil when
  /// nothing is there.
  func fileInfo(_ path: String) throws -> (size: Int64, mode: Int, uid: Int, gid: Int)?
  /// Runs a program inside the guest (chrooted), returning its stdout; throws on a non-zero exit.
  func run(_ argv: [String]) throws -> String
  /// The UUID of the filesystem (or swap, or LVM PV) on the appliance's `device`, nil when it has none.
  func filesystemUUID(_ device: String) throws -> String?
  /// Every disk, partition and logical volume of the conversion's disks with its UUID, label and partition
  /// ids: what fstab and crypttab entries are checked against. Nil when the session cannot tell (then no
  /// entry is called missing).
  func blockDeviceIdentities() throws -> [BlockDeviceIdentity]?
}

extension GuestSession {
  /// The file's content as text (UTF-8, invalid sequences replaced), nil when it does not exist.
  public func readText(_ path: String) throws -> String? {
    try readFile(path).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Replaces (or creates) a text file (see ``writeFile(_:_:)``).
  public func writeText(_ path: String, _ content: String) throws { try writeFile(path, Array(content.utf8)) }

  /// Creates a directory and its parents, optionally setting the mode of `path` (see
  /// ``makeDirectory(_:mode:owner:)``).
  public func makeDirectory(_ path: String, mode: Int? = nil) throws { try makeDirectory(path, mode: mode, owner: nil) }

  /// Creates a directory and its parents and sets the owner of `path` (see ``makeDirectory(_:mode:owner:)``).
  public func makeDirectory(_ path: String, owner: (uid: Int, gid: Int)) throws {
    try makeDirectory(path, mode: nil, owner: owner)
  }

  /// Lines of a text file, empty when it does not exist.
  public func lines(_ path: String) throws -> [String] {
    guard let t = try readText(path) else { return [] }
    return t.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  }
}
