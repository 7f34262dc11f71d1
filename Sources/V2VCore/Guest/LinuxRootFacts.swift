import V2VModel

/// What a Linux root filesystem says about itself in a handful of small files: the facts a conversion needs
/// from inspection (distribution, version, architecture, hostname, where each filesystem mounts).
///
/// The quick inspection reads these directly. libguestfs's `inspect_os` also finds them, but it walks every
/// filesystem, checks each partition's type with parted, sfdisk and sgdisk (a `udevadm settle` around each)
/// and loads Augeas to read fstab: 18 s of an 88 s two-disk conversion under TCG, against ~3 s here. Anything
/// this cannot read for certain (no os-release, a distribution it does not know, an unusual filesystem) is
/// left to libguestfs: `nil` answers mean "ask inspect_os".
public enum LinuxRootFacts {
  /// A distribution and version, from os-release and the release files beside it.
  public struct Release: Sendable, Equatable {
    public var distro: Distro
    public var majorVersion: Int
    public var minorVersion: Int
    public var productName: String
    /// Creates a release.
    public init(distro: Distro, majorVersion: Int, minorVersion: Int, productName: String) {
      (self.distro, self.majorVersion, self.minorVersion, self.productName) = (distro, majorVersion, minorVersion, productName)
    }
  }

  /// os-release `ID` → libguestfs's distribution word, for the distributions v2v converts. Others (and
  /// rolling releases without a version) go to inspect_os.
  static let distroByID: [String: Distro] = [
    "debian": .debian, "ubuntu": .ubuntu, "linuxmint": .linuxmint, "kali": .kalilinux,
    "rhel": .rhel, "centos": .centos, "fedora": .fedora, "rocky": .rocky, "almalinux": .almalinux,
    "ol": .oraclelinux, "scientific": .scientificlinux, "circle": .circle,
    "sles": .sles, "sled": .sles, "opensuse": .opensuse, "opensuse-leap": .opensuse,
  ]

  /// The `KEY=value` pairs of an os-release text (quotes removed, `\"`-style escapes undone).
  public static func osReleaseFields(_ text: String) -> [String: String] {
    var out: [String: String] = [:]
    for raw in text.split(whereSeparator: \.isNewline) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      guard !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
      var value = Substring(line[line.index(after: eq)...])
      if let q = value.first, q == "\"" || q == "'", value.count >= 2, value.last == q { value = value.dropFirst().dropLast() }
      var unescaped = ""
      var escaping = false
      for c in value {
        if escaping || c != "\\" {
          unescaped.append(c)
          escaping = false
        } else {
          escaping = true
        }
      }
      out[String(line[..<eq])] = unescaped
    }
    return out
  }

  /// The release, or nil when os-release is missing, names a distribution not in ``distroByID`` or gives no
  /// numeric version. Debian's minor version comes from `/etc/debian_version` (`12.5`), the Red Hat family's
  /// from `/etc/redhat-release` when os-release gives only the major (CentOS 7: `7` → `7.9`).
  public static func release(osRelease: String?, debianVersion: String? = nil, redhatRelease: String? = nil) -> Release? {
    guard let osRelease else { return nil }
    let f = osReleaseFields(osRelease)
    guard let id = f["ID"]?.lowercased(), let distro = distroByID[id], let versionID = f["VERSION_ID"] else { return nil }
    var (major, minor) = numericVersion(versionID)
    guard let m = major else { return nil }
    major = m
    if distro == .debian, let dv = debianVersion.map({ numericVersion($0.trimmingCharacters(in: .whitespacesAndNewlines)) }),
      dv.major == m, let dm = dv.minor
    {
      minor = dm
    }
    if minor == nil, distro.family == .redHat, let rr = redhatRelease,
      let m2 = rr.firstMatch(of: /release ([0-9]+)\.([0-9]+)/), Int(m2.1) == m
    {
      minor = Int(m2.2)
    }
    let product = f["PRETTY_NAME"] ?? [f["NAME"], f["VERSION"]].compactMap { $0 }.joined(separator: " ")
    return Release(distro: distro, majorVersion: m, minorVersion: minor ?? 0, productName: product)
  }

  /// `15.4` → (15, 4), `12` → (12, nil), `bookworm/sid` → (nil, nil).
  static func numericVersion(_ s: String) -> (major: Int?, minor: Int?) {
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    guard let first = parts.first, let major = Int(first) else { return (nil, nil) }
    return (major, parts.count > 1 ? Int(parts[1]) : nil)
  }

  /// The CPU architecture an ELF binary (its first 20 bytes) is built for; nil when it is not ELF or the
  /// machine is not one v2v names.
  public static func architecture(elfHeader b: [UInt8]) -> Architecture? {
    guard b.count >= 20, b[0] == 0x7F, b[1] == 0x45, b[2] == 0x4C, b[3] == 0x46 else { return nil }
    let littleEndian = b[5] == 1
    let machine = littleEndian ? Int(b[18]) | Int(b[19]) << 8 : Int(b[18]) << 8 | Int(b[19])
    switch machine {
    case 0x03: return .i386
    case 0x3E: return .x86_64
    case 0xB7: return .aarch64
    case 0x28: return .armv7l
    case 0x15: return littleEndian ? .ppc64le : .ppc64
    case 0x16: return .s390x
    case 0xF3: return .riscv64
    default: return nil
    }
  }

  /// The hostname: `/etc/hostname`, else SUSE's `/etc/HOSTNAME`, else `HOSTNAME=` in the Red Hat family's
  /// `/etc/sysconfig/network`; `unknown` when none says.
  public static func hostname(etcHostname: String?, etcHOSTNAME: String? = nil, sysconfigNetwork: String? = nil) -> String {
    for text in [etcHostname, etcHOSTNAME] {
      if let line = text?.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) })
        .first(where: { !$0.isEmpty && !$0.hasPrefix("#") })
      {
        return line
      }
    }
    if let net = sysconfigNetwork, let v = osReleaseFields(net)["HOSTNAME"], !v.isEmpty { return v }
    return "unknown"
  }

  /// The package manager libguestfs would name for the distribution.
  public static func packageManagement(_ r: Release) -> String {
    switch r.distro.family {
    case .debian: return "apt"
    case .suse: return "zypper"
    case .redHat: return r.distro == .fedora || r.majorVersion >= 8 ? "dnf" : "yum"
    default: return "unknown"
    }
  }

  /// Mountpoint → device for the fstab entries that name one of `devices`; `/` is always `root`. Swap,
  /// `noauto`, pseudo and network entries are left out, and so is an entry whose UUID, label or disk name
  /// is on none of the disks (a disk not converted: nothing can mount it). Nil when an entry names a block
  /// device in a way this cannot resolve (`/dev/disk/by-id/…`, `/dev/md0`, an unknown `/dev/mapper` name):
  /// guessing could leave `/boot` unmounted, so libguestfs decides then.
  public static func mountpoints(fstab: String?, root: String, devices: [BlockDeviceIdentity]) -> [String: String]? {
    var out: [String: String] = [:]
    for raw in (fstab ?? "").split(whereSeparator: \.isNewline) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      guard !line.hasPrefix("#") else { continue }
      let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      guard f.count >= 3, f[1].hasPrefix("/"), f[2] != "swap", f[1] != "/" else { continue }
      if f.count > 3, f[3].split(separator: ",").contains("noauto") { continue }
      let spec = unquote(f[0])
      if let dev = device(forSpec: spec, in: devices) {
        out[f[1]] = dev
      } else if !definitelyAbsent(spec) && (spec.hasPrefix("/dev/") || spec.contains("=")) {
        return nil
      }
    }
    out["/"] = root
    return out
  }

  /// Whether an unresolved spec names its device in a way that ``device(forSpec:in:)`` checks completely,
  /// so that not finding it means it is on none of the disks.
  static func definitelyAbsent(_ spec: String) -> Bool {
    for key in ["UUID=", "LABEL=", "PARTUUID=", "PARTLABEL="] where spec.hasPrefix(key) { return true }
    for dir in ["by-uuid", "by-label", "by-partuuid", "by-partlabel"] where spec.hasPrefix("/dev/disk/\(dir)/") { return true }
    return spec.wholeMatch(of: /\/dev\/(?:(?:sd|vd|hd|xvd)[a-z]+[0-9]*|nvme0n[0-9]+(?:p[0-9]+)?)/) != nil
  }

  /// The device an fstab or crypttab spec names among `devices`, or nil: `UUID=`/`LABEL=`/`PARTUUID=`/
  /// `PARTLABEL=` and their `/dev/disk/by-*` links, `/dev/mapper/VG-LV`, `/dev/VG/LV`, and disk names
  /// (`/dev/sdb1`, `/dev/vda1`, `/dev/xvda1`, `/dev/hda1`, `/dev/nvme0n1p1`) by disk order, which is how the
  /// appliance names the converted disks (`/dev/sd<letter><n>`).
  public static func device(forSpec spec: String, in devices: [BlockDeviceIdentity]) -> String? {
    func eq(_ a: String?, _ b: String) -> Bool { a?.lowercased() == b.lowercased() }
    func first(_ p: (BlockDeviceIdentity) -> Bool) -> String? { devices.first(where: p)?.device }
    for (key, dir) in [("UUID", "by-uuid"), ("LABEL", "by-label"), ("PARTUUID", "by-partuuid"), ("PARTLABEL", "by-partlabel")] {
      let value: String
      if spec.hasPrefix(key + "=") {
        value = String(spec.dropFirst(key.count + 1))
      } else if spec.hasPrefix("/dev/disk/\(dir)/") {
        value = BlockDeviceIdentity.udevUnescape(String(spec.dropFirst("/dev/disk/\(dir)/".count)))
      } else {
        continue
      }
      switch key {
      case "UUID": return first { eq($0.uuid, value) && !$0.type.isEmpty }
      case "LABEL": return first { $0.label == value }
      case "PARTUUID": return first { eq($0.partUUID, value) }
      default: return first { $0.partLabel == value }
      }
    }
    if spec.hasPrefix("/dev/mapper/") {
      let name = String(spec.dropFirst("/dev/mapper/".count))
      return first { $0.mapperName == name }
    }
    if let d = first({ $0.device == spec }) { return d }
    var letters = "", number = ""
    if let m = spec.wholeMatch(of: /\/dev\/(?:sd|vd|hd|xvd)([a-z]+)([0-9]*)/) {
      (letters, number) = (String(m.1), String(m.2))
    } else if let m = spec.wholeMatch(of: /\/dev\/nvme0n([0-9]+)(?:p([0-9]+))?/), let n = Int(m.1), n >= 1 {
      (letters, number) = (DeviceNames.letters(n - 1), m.2.map(String.init) ?? "")
    } else {
      return nil
    }
    return first { $0.device == "/dev/sd" + letters + number }
  }

  /// `UUID="…"` → `UUID=…` (fstab and crypttab allow the quotes).
  public static func unquote(_ s: String) -> String {
    guard let eq = s.firstIndex(of: "=") else { return s }
    var v = s[s.index(after: eq)...]
    if v.count >= 2, let f = v.first, f == "\"" || f == "'", v.last == f { v = v.dropFirst().dropLast() }
    return String(s[...eq]) + v
  }
}

extension BlockDeviceIdentity {
  /// The device-mapper name of a logical volume `/dev/VG/LV` (`VG-LV`, each `-` in a name doubled); nil for
  /// other devices.
  public var mapperName: String? {
    let p = device.split(separator: "/")
    guard p.count == 3, p[0] == "dev" else { return nil }
    return p[1].replacingOccurrences(of: "-", with: "--") + "-" + p[2].replacingOccurrences(of: "-", with: "--")
  }

  /// Undoes udev's `\x2f` escapes in `/dev/disk/by-label` names.
  public static func udevUnescape(_ s: String) -> String {
    var out = ""
    var i = s.startIndex
    while i < s.endIndex {
      if s[i] == "\\", s.distance(from: i, to: s.endIndex) >= 4, s[s.index(after: i)] == "x",
        let b = UInt8(s[s.index(i, offsetBy: 2)..<s.index(i, offsetBy: 4)], radix: 16)
      {
        out.append(Character(UnicodeScalar(b)))
        i = s.index(i, offsetBy: 4)
      } else {
        out.append(s[i])
        i = s.index(after: i)
      }
    }
    return out
  }
}
