/// What inspection found about the guest operating system: the one description of the guest that readers,
/// converters, the target settler and reports share.
public struct GuestInspection: Sendable, Equatable, Codable {
  /// The root filesystem device as the appliance's API names it (`/dev/sda1`).
  public var root: String
  /// Operating-system kind.
  public var osType: OSType
  /// Distribution (`debian`, `rhel`, `windows`, …); open-ended, with the well-known ones as constants.
  public var distro: Distro
  /// Major version (`12` for Debian 12, `10` for Windows 10/2016+).
  public var majorVersion: Int
  /// Minor version.
  public var minorVersion: Int
  /// Product name (`Debian GNU/Linux 12 (bookworm)`).
  public var productName: String
  /// CPU architecture the OS is built for.
  public var arch: Architecture
  /// Hostname.
  public var hostname: String
  /// Package format.
  public var packageFormat: PackageFormat
  /// Package manager program (`apt`, `dnf`, `yum`, `zypper`, …; free text, as libguestfs names it).
  public var packageManagement: String
  /// Mountpoint → device, as the guest mounts them (appliance device names).
  public var mountpoints: [String: String]
  /// Windows system root (`/Windows`), for Windows guests.
  public var windowsSystemRoot: String?
  /// The firmware the guest is installed for, as its disks show it (an EFI system partition mounted at
  /// `/boot/efi` means UEFI); `.unknown` when the disks do not tell.
  public var firmware: Firmware
  /// libosinfo short id as libguestfs reports it (`debian12`, `win2k19`), when it knows one.
  public var osinfo: String?
  /// `Server` or `Client` for Windows (libguestfs's product variant), nil when unknown.
  public var productVariant: String?
  /// The Windows control set in use (`ControlSet002`), for Windows guests.
  public var windowsControlSet: String?

  /// Creates an inspection result.
  public init(
    root: String, osType: OSType, distro: Distro, majorVersion: Int, minorVersion: Int, productName: String,
    arch: Architecture, hostname: String, packageFormat: PackageFormat, packageManagement: String,
    mountpoints: [String: String], windowsSystemRoot: String? = nil, firmware: Firmware = .unknown,
    osinfo: String? = nil
  ) {
    self.root = root
    self.osType = osType
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
    self.firmware = firmware
    self.osinfo = osinfo
  }

  /// The guest family the converters dispatch on.
  public var family: GuestFamily {
    if osType == .windows { return .windows }
    if let f = distro.family { return f }
    return osType == .linux ? .otherLinux : .unknown
  }

  /// A short human description: `Debian GNU/Linux 12 (bookworm)`, or `debian 12.15` when libguestfs gave
  /// the product name as a bare version.
  public var displayName: String {
    productName.contains(where: \.isLetter) ? productName : "\(distro.rawValue) \(productName)"
  }

  /// libosinfo short id recorded in the domain metadata: libguestfs's answer, else one derived for common
  /// distributions (`debian12`, `rhel9.2`).
  public var osinfoID: String? {
    if let osinfo, !osinfo.isEmpty, osinfo != "unknown" { return osinfo }
    switch distro {
    case .debian: return "debian\(majorVersion)"
    case .ubuntu: return "ubuntu\(majorVersion).\(minorVersion < 10 ? "0" : "")\(minorVersion)"
    case .rhel, .centos, .rocky, .almalinux: return "\(distro.rawValue)\(majorVersion).\(minorVersion)"
    case .fedora: return "fedora\(majorVersion)"
    case .sles: return "sles\(majorVersion)" + (minorVersion > 0 ? "sp\(minorVersion)" : "")
    case .opensuse: return "opensuse\(majorVersion).\(minorVersion)"
    case .oraclelinux: return "ol\(majorVersion).\(minorVersion)"
    default: return nil
    }
  }

  enum CodingKeys: String, CodingKey {
    // `type` is the key docs/convert-json.md documents (libguestfs's word).
    case root, osType = "type", distro, majorVersion, minorVersion, productName, arch, hostname, packageFormat
    case packageManagement, mountpoints, windowsSystemRoot, firmware, osinfo, productVariant, windowsControlSet
  }
}

/// Operating-system kinds, as libguestfs's `inspect_get_type` names them.
public enum OSType: String, Sendable, Equatable, Codable, CaseIterable {
  case linux, windows, freebsd, netbsd, openbsd, hurd, dos, minix, unknown

  /// Maps libguestfs's word; anything else is `.unknown`.
  public init(libguestfs word: String) { self = OSType(rawValue: word) ?? .unknown }
}

/// A distribution, as libguestfs's `inspect_get_distro` names it. Open-ended (a new distribution is still
/// reported by name); the ones v2v treats specially are constants.
public struct Distro: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
  /// libguestfs's name (`debian`, `rhel`, `sles`, `windows`).
  public var rawValue: String
  /// Wraps a name.
  public init(rawValue: String) { self.rawValue = rawValue }
  /// Wraps libguestfs's word.
  public init(_ word: String) { self.rawValue = word }
  public var description: String { rawValue }

  public static let debian = Distro("debian"), ubuntu = Distro("ubuntu"), linuxmint = Distro("linuxmint")
  public static let kalilinux = Distro("kalilinux")
  public static let rhel = Distro("rhel"), centos = Distro("centos"), fedora = Distro("fedora")
  public static let rocky = Distro("rocky"), almalinux = Distro("almalinux"), oraclelinux = Distro("oraclelinux")
  public static let scientificlinux = Distro("scientificlinux"), redhatBased = Distro("redhat-based")
  public static let circle = Distro("circle")
  public static let sles = Distro("sles"), suseBased = Distro("suse-based"), opensuse = Distro("opensuse")
  public static let windows = Distro("windows"), unknown = Distro("unknown")

  /// The conversion family this distribution belongs to, nil when v2v has none for it.
  public var family: GuestFamily? {
    switch self {
    case .debian, .ubuntu, .linuxmint, .kalilinux: return .debian
    case .rhel, .centos, .fedora, .rocky, .almalinux, .oraclelinux, .scientificlinux, .redhatBased, .circle:
      return .redHat
    case .sles, .suseBased, .opensuse: return .suse
    case .windows: return .windows
    default: return nil
    }
  }

  public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(rawValue)
  }
}

/// Families of guests that share conversion tools.
public enum GuestFamily: String, Sendable, Codable, CaseIterable {
  case debian, redHat = "redhat", suse, otherLinux = "other-linux", windows, unknown
}

/// CPU architectures.
public enum Architecture: String, Sendable, Equatable, Codable, CaseIterable {
  case x86_64, i386, aarch64, armv7l, ppc64le, ppc64, s390x, riscv64, unknown

  /// Maps libguestfs's word (`i686` and friends are `i386`).
  public init(libguestfs word: String) {
    switch word {
    case "i486", "i586", "i686": self = .i386
    case "amd64": self = .x86_64
    case "arm64": self = .aarch64
    default: self = Architecture(rawValue: word) ?? .unknown
    }
  }
}

/// Package formats, as libguestfs's `inspect_get_package_format` names them.
public enum PackageFormat: String, Sendable, Equatable, Codable, CaseIterable {
  case deb, rpm, pacman, apk, ebuild, pisi, pkgsrc, xbps, unknown

  /// Maps libguestfs's word; anything else is `.unknown`.
  public init(libguestfs word: String) { self = PackageFormat(rawValue: word) ?? .unknown }
}
