/// A guest's filesystems, mounted and ready to read, change, and run the guest's own tools in.
///
/// The real implementation is a libguestfs appliance (V2VGuestfs); tests use a fake over a directory tree
/// (V2VTestSupport). Paths are guest paths (`/etc/fstab`). Converters speak only this protocol.
public protocol GuestSession: AnyObject {
  /// The file's content as text, nil when it does not exist.
  func readText(_ path: String) throws -> String?
  /// Replaces (or creates) a file.
  func writeText(_ path: String, _ content: String) throws
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
  /// Creates a directory and its parents.
  func makeDirectory(_ path: String) throws
  /// Runs a program inside the guest (chrooted), returning its stdout; throws on a non-zero exit.
  func run(_ argv: [String]) throws -> String
}

extension GuestSession {
  /// Lines of a text file, empty when it does not exist.
  public func lines(_ path: String) throws -> [String] {
    guard let t = try readText(path) else { return [] }
    return t.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  }
}

/// What inspection found about the guest OS.
public struct GuestInspection: Sendable, Equatable, Codable {
  /// The root filesystem device as the appliance sees it (`/dev/sda1`).
  public var root: String
  /// `linux`, `windows`, …
  public var type: String
  /// `debian`, `ubuntu`, `rhel`, `centos`, `fedora`, `sles`, `opensuse`, …
  public var distro: String
  /// Major version.
  public var majorVersion: Int
  /// Minor version.
  public var minorVersion: Int
  /// Product name (`Debian GNU/Linux 12 (bookworm)`).
  public var productName: String
  /// `x86_64`, `i386`, …
  public var arch: String
  /// Hostname.
  public var hostname: String
  /// `deb`, `rpm`, …
  public var packageFormat: String
  /// `apt`, `dnf`, `yum`, `zypper`, …
  public var packageManagement: String
  /// Mountpoint → device, as the guest mounts them (appliance device names).
  public var mountpoints: [String: String]
  /// Windows system root (`/Windows`), for Windows guests.
  public var windowsSystemRoot: String?

  /// Creates an inspection result.
  public init(
    root: String, type: String, distro: String, majorVersion: Int, minorVersion: Int, productName: String,
    arch: String, hostname: String, packageFormat: String, packageManagement: String,
    mountpoints: [String: String], windowsSystemRoot: String? = nil
  ) {
    self.root = root
    self.type = type
    self.distro = distro
    self.majorVersion = majorVersion
    self.minorVersion = minorVersion
    self.productName = productName
    self.arch = arch
    self.hostname = hostname
    self.packageFormat = packageFormat
    self.packageManagement = packageManagement
    self.mountpoints = mountpoints
    self.windowsSystemRoot = windowsSystemRoot
  }

  /// The guest family the converters dispatch on.
  public var family: GuestFamily {
    if type == "windows" { return .windows }
    switch distro {
    case "debian", "ubuntu", "linuxmint", "kalilinux": return .debian
    case "rhel", "centos", "fedora", "rocky", "almalinux", "oraclelinux", "scientificlinux", "redhat-based", "circle":
      return .redHat
    case "sles", "suse-based", "opensuse": return .suse
    default: return type == "linux" ? .otherLinux : .unknown
    }
  }
}

/// Families of guests that share conversion tools.
public enum GuestFamily: String, Sendable, Codable {
  case debian, redHat = "redhat", suse, otherLinux = "other-linux", windows, unknown
}
