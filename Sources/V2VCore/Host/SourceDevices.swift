import Foundation
import V2VModel

/// One line of `/proc/self/mountinfo`.
public struct MountEntry: Sendable, Equatable {
  /// `major:minor` of the mounted device (`7:1`).
  public var device: String
  /// Where it is mounted (escapes such as `\040` decoded).
  public var mountPoint: String
  /// Per-mount options (`rw`, `noatime`, …).
  public var mountOptions: [String]
  /// Filesystem type.
  public var fsType: String
  /// Mount source (`/dev/sda1`).
  public var source: String
  /// Superblock options (`rw`, `errors=remount-ro`, …).
  public var superOptions: [String]

  /// Whether the filesystem can be written through this mount.
  public var isWritable: Bool { mountOptions.contains("rw") && !superOptions.contains("ro") }
}

/// The parts of `/sys` that say how block devices stack, read through two functions so that tests can
/// feed a synthetic tree.
public struct BlockSysfs: Sendable {
  /// The contents of a file (`/sys/class/block/sda/dev`), nil when missing.
  public var read: @Sendable (String) -> String?
  /// The entries of a directory (`/sys/class/block/sda/holders`), empty when missing.
  public var list: @Sendable (String) -> [String]

  /// Creates a view.
  public init(read: @escaping @Sendable (String) -> String?, list: @escaping @Sendable (String) -> [String]) {
    self.read = read
    self.list = list
  }

  /// This host's `/sys`.
  public static let host = BlockSysfs(
    read: { try? String(contentsOfFile: $0, encoding: .utf8) },
    list: { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] })

  /// A synthetic tree: `files` maps paths to contents; directories are implied by the paths.
  public static func fake(_ files: [String: String]) -> BlockSysfs {
    BlockSysfs(
      read: { files[$0] },
      list: { dir in
        let prefix = dir.hasSuffix("/") ? dir : dir + "/"
        return Array(Set(files.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count).split(separator: "/")[0]) })).sorted()
      })
  }

  static let classBlock = "/sys/class/block"

  /// `major:minor` of a block device name.
  func devNumber(_ name: String) -> String? {
    read("\(Self.classBlock)/\(name)/dev")?.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The name (`sda1`) of the block device `major:minor`.
  func name(ofDevice number: String) -> String? {
    list(Self.classBlock).first { devNumber($0) == number }
  }

  /// Partitions of a whole disk (`sda` → `sda1`, `sda2`): its subdirectories that have a `partition` file.
  func partitions(of name: String) -> [String] {
    list("\(Self.classBlock)/\(name)").filter { read("\(Self.classBlock)/\(name)/\($0)/partition") != nil }
  }

  /// Devices built on `name` (device-mapper/LVM, md, …), from its `holders` directory.
  func holders(of name: String) -> [String] { list("\(Self.classBlock)/\(name)/holders") }

  /// `name`, its partitions, and everything stacked on any of them (transitively), in discovery order.
  public func stack(of name: String) -> [String] {
    var seen: [String] = []
    var queue = [name] + partitions(of: name)
    while !queue.isEmpty {
      let n = queue.removeFirst()
      guard !seen.contains(n) else { continue }
      seen.append(n)
      queue += holders(of: n) + partitions(of: n)
    }
    return seen
  }

  /// Loop devices whose backing file is `file` (a real path).
  public func loopDevices(backedBy file: String) -> [String] {
    list(Self.classBlock).filter { n in
      n.hasPrefix("loop") && read("\(Self.classBlock)/\(n)/loop/backing_file")?.trimmingCharacters(in: .whitespacesAndNewlines) == file
    }
  }

  /// What a user calls a device: `/dev/NAME`, or `/dev/mapper/X` for device-mapper devices with a name.
  func displayName(_ name: String) -> String {
    if name.hasPrefix("dm-"), let dm = read("\(Self.classBlock)/\(name)/dm/name")?.trimmingCharacters(in: .whitespacesAndNewlines), !dm.isEmpty {
      return "/dev/mapper/\(dm)"
    }
    return "/dev/\(name)"
  }
}

/// A use of a source device that makes reading it unsafe: its filesystem is being written right now.
public struct LiveUse: Sendable, Equatable {
  /// The device in use (`/dev/loop0p1`, `/dev/mapper/vg-root`).
  public var device: String
  /// Where it is mounted read-write, or nil for swap.
  public var mountPoint: String?
  /// Filesystem type, or `swap`.
  public var fsType: String

  /// Creates a use.
  public init(device: String, mountPoint: String?, fsType: String) {
    self.device = device
    self.mountPoint = mountPoint
    self.fsType = fsType
  }

  /// `/dev/sda1 is mounted read-write on /mnt (ext4)`.
  public var summary: String {
    if let m = mountPoint { return "\(device) is mounted read-write on \(m) (\(fsType))" }
    return "\(device) is in use as swap"
  }
}

/// Checks on the local disks a conversion reads (`-i physical /dev/sdX`, a raw image), made before any slow
/// work: a source whose filesystems are mounted read-write on this host is live, and copying it gives a
/// corrupt result (the appliance sees a filesystem changing under it, half-written metadata, a journal
/// that does not match); a device the user cannot read is refused with the reason.
public enum SourceDevices {
  /// Parses `/proc/self/mountinfo` text.
  public static func parseMountInfo(_ text: String) -> [MountEntry] {
    text.split(whereSeparator: \.isNewline).compactMap { line in
      let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
      guard let dash = fields.firstIndex(of: "-"), dash >= 6, fields.count >= dash + 3 else { return nil }
      return MountEntry(
        device: fields[2], mountPoint: unescape(fields[4]), mountOptions: fields[5].split(separator: ",").map(String.init),
        fsType: fields[dash + 1], source: unescape(fields[dash + 2]),
        superOptions: fields.count > dash + 3 ? fields[dash + 3].split(separator: ",").map(String.init) : [])
    }
  }

  /// Device paths of active swap areas, from `/proc/swaps` text.
  public static func parseSwaps(_ text: String) -> [String] {
    text.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
      line.split(separator: " ", omittingEmptySubsequences: true).first.map { unescape(String($0)) }
    }
  }

  /// The live uses of the block device `name` (`loop0`): read-write mounts of it, its partitions and
  /// everything stacked on them (LVM, device-mapper, md), and swap on any of them. Read-only mounts are
  /// fine: nothing writes them.
  public static func liveUses(of name: String, sysfs: BlockSysfs, mounts: [MountEntry], swapDevices: [String] = []) -> [LiveUse] {
    var uses: [LiveUse] = []
    for n in sysfs.stack(of: name) {
      guard let number = sysfs.devNumber(n) else { continue }
      for m in mounts where m.device == number && m.isWritable {
        let u = LiveUse(device: sysfs.displayName(n), mountPoint: m.mountPoint, fsType: m.fsType)
        if !uses.contains(u) { uses.append(u) }
      }
      if swapDevices.contains(number) { uses.append(LiveUse(device: sysfs.displayName(n), mountPoint: nil, fsType: "swap")) }
    }
    return uses
  }

  /// The refusal for a source at `path` with these uses (nil when there are none).
  public static func refusal(path: String, via: String? = nil, uses: [LiveUse]) -> SourceDeviceError? {
    guard let first = uses.first else { return nil }
    let more = uses.count > 1 ? " (and \(uses.count - 1) more)" : ""
    let through = via.map { " (attached as \($0))" } ?? ""
    let fix = first.mountPoint.map { "unmount it or remount it read-only (mount -o remount,ro \($0))" } ?? "swapoff \(first.device)"
    return SourceDeviceError(
      path: path, kind: .live,
      message: "\(first.summary)\(more)\(through): converting a live filesystem gives a corrupt copy; \(fix), then run v2v again")
  }

  /// Checks every local disk of `disks`: block devices must be readable and not live; a raw image file
  /// attached to a loop device is checked through that device. Remote disks and archive members pass.
  public static func check(_ disks: [Disk], sysfs: BlockSysfs = .host) throws(SourceDeviceError) {
    let mounts = parseMountInfo((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "")
    let swaps = parseSwaps((try? String(contentsOfFile: "/proc/swaps", encoding: .utf8)) ?? "").compactMap(devNumber(ofPath:))
    for d in disks {
      switch d.source {
      case .block(let path):
        try requireReadable(path)
        guard let number = devNumber(ofPath: path), let name = sysfs.name(ofDevice: number) else { continue }
        if let e = refusal(path: path, uses: liveUses(of: name, sysfs: sysfs, mounts: mounts, swapDevices: swaps)) { throw e }
      case .file(let path):
        guard let real = realPath(path) else { continue }
        for loop in sysfs.loopDevices(backedBy: real) {
          let uses = liveUses(of: loop, sysfs: sysfs, mounts: mounts, swapDevices: swaps)
          if let e = refusal(path: path, via: "/dev/\(loop)", uses: uses) { throw e }
        }
      case .archiveMember, .remote: continue
      }
    }
  }

  /// Refuses, before a reader probes them, block devices among `locations` that this user cannot open
  /// (the reader would only say "cannot open"). Other paths and URIs are left to the reader.
  public static func requireReadableDevices(_ locations: [String]) throws(SourceDeviceError) {
    for l in locations where devNumber(ofPath: l) != nil { try requireReadable(l) }
  }

  /// Opens `path` read-only and closes it: a block device the user may not read is refused with the reason.
  static func requireReadable(_ path: String) throws(SourceDeviceError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd < 0 else {
      close(fd)
      return
    }
    let err = errno
    switch err {
    case EACCES, EPERM:
      throw SourceDeviceError(
        path: path, kind: .unreadable,
        message: "permission denied reading the disk: run v2v as root (or as a member of the 'disk' group)")
    default:
      throw SourceDeviceError(path: path, kind: .unreadable, message: "cannot open the disk: \(String(cString: strerror(err)))")
    }
  }

  /// `major:minor` of the block device at `path` (symlinks followed), nil when it is not one.
  static func devNumber(ofPath path: String) -> String? {
    var st = stat()
    guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFBLK else { return nil }
    return "\(major(st.st_rdev)):\(minor(st.st_rdev))"
  }

  static func major(_ dev: dev_t) -> UInt64 { (UInt64(dev) >> 8) & 0xfff | (UInt64(dev) >> 32) & 0xffff_f000 }
  static func minor(_ dev: dev_t) -> UInt64 { UInt64(dev) & 0xff | (UInt64(dev) >> 12) & 0xffff_ff00 }

  static func realPath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
  }

  /// Decodes mountinfo's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash).
  static func unescape(_ s: String) -> String {
    guard s.contains("\\") else { return s }
    var out: [UInt8] = []
    let b = Array(s.utf8)
    var i = 0
    while i < b.count {
      if b[i] == UInt8(ascii: "\\"), i + 4 <= b.count {
        let digits = b[(i + 1)..<(i + 4)]
        if digits.allSatisfy({ $0 >= 48 && $0 <= 55 }), let v = UInt8(String(decoding: digits, as: UTF8.self), radix: 8) {
          out.append(v)
          i += 4
          continue
        }
      }
      out.append(b[i])
      i += 1
    }
    return String(decoding: out, as: UTF8.self)
  }
}

/// A local source disk that must not be read as it is.
public struct SourceDeviceError: Error, ClassifiedError, Equatable {
  /// Why.
  public enum Kind: String, Sendable, Equatable {
    /// Mounted read-write (or swap) on this host.
    case live
    /// Cannot be opened for reading.
    case unreadable
  }

  /// The source as the user named it.
  public var path: String
  /// The class of problem.
  public var kind: Kind
  /// One line.
  public var message: String

  /// Creates an error.
  public init(path: String, kind: Kind, message: String) {
    self.path = path
    self.kind = kind
    self.message = message
  }

  public var exitClass: ExitClass { .sourceInvalid }
  public var description: String { "\(path): \(message)" }
}
