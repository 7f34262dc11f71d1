import Foundation
import Guestfs
import V2VCore
import V2VModel

/// The real ``GuestAppliance``: one libguestfs handle with the overlays attached.
public final class GuestfsAppliance: GuestAppliance {
  let g: Guestfs
  private var mounted = false

  init(g: Guestfs) { self.g = g }

  public func roots() throws -> [String] { try g.inspectOS() }

  public func inspect(root: String) throws -> GuestInspection {
    func field(_ f: Guestfs.InspectField) -> String { (try? g.inspectGet(f, root: root)) ?? "unknown" }
    let version = (try? g.inspectVersion(root: root)) ?? (major: 0, minor: 0)
    let type = OSType(libguestfs: field(.type))
    var mps: [String: String] = [:]
    for (mp, dev) in try g.inspectMountpoints(root: root) { mps[mp] = dev }
    var result = GuestInspection(
      root: root, osType: type, distro: Distro(field(.distro)), majorVersion: version.major,
      minorVersion: version.minor, productName: field(.productName), arch: Architecture(libguestfs: field(.arch)),
      hostname: field(.hostname), packageFormat: PackageFormat(libguestfs: field(.packageFormat)),
      packageManagement: field(.packageManagement), mountpoints: mps,
      windowsSystemRoot: type == .windows ? try? g.inspectGet(.windowsSystemRoot, root: root) : nil,
      firmware: Self.firmware(mountpoints: mps), osinfo: try? g.inspectGet(.osinfo, root: root))
    if type == .windows {
      result.productVariant = try? g.inspectGet(.productVariant, root: root)
      result.windowsControlSet = try? g.inspectGet(.windowsCurrentControlSet, root: root)
    }
    return result
  }

  public func encryptedVolumes() -> [EncryptedVolume] {
    // blkid's signature on each partition (and on each disk without partitions); list_filesystems leaves
    // out what it cannot mount.
    let parts = (try? g.listPartitions()) ?? []
    let bare = ((try? g.listDevices()) ?? []).filter { d in !parts.contains { $0.hasPrefix(d) } }
    return (parts + bare).compactMap { dev in
      switch try? g.vfsType(dev) {
      case "BitLocker": return EncryptedVolume(device: dev, kind: .bitlocker)
      case "crypto_LUKS": return EncryptedVolume(device: dev, kind: .luks)
      default: return nil
      }
    }
  }

  /// UEFI when the guest mounts an EFI system partition (`/boot/efi`, `/efi`, `/boot` as a vfat ESP on
  /// systemd-boot guests is not told apart), else unknown: a BIOS guest has no positive marker.
  static func firmware(mountpoints: [String: String]) -> Firmware {
    mountpoints.keys.contains { $0 == "/boot/efi" || $0 == "/efi" } ? .uefi : .unknown
  }

  public func mount(_ inspection: GuestInspection, readOnly: Bool) throws {
    // Shorter mountpoints first, so / is mounted before /boot before /boot/efi.
    for (mp, dev) in inspection.mountpoints.sorted(by: { $0.key.count < $1.key.count }) {
      do {
        if readOnly { try g.mountReadOnly(dev, at: mp) } else { try g.mount(dev, at: mp) }
      } catch where mp != "/" {
        continue  // a missing or unmountable non-root filesystem (swap listed, stale fstab) is not fatal
      }
    }
    mounted = true
  }

  public func kernelDiskNames(diskCount: Int, inspection: GuestInspection) -> [String?] {
    // libguestfs's API names (/dev/sda = first added disk) are translations; inside the appliance the kernel
    // may have named that disk /dev/sdb. /proc/mounts seen from the guest chroot has the kernel's names.
    var names = [String?](repeating: nil, count: diskCount)
    guard let mounts = try? g.command(["cat", "/proc/mounts"]) else { return names }
    var kernelByMountpoint: [String: String] = [:]
    for line in mounts.split(separator: "\n") {
      let f = line.split(separator: " ")
      if f.count >= 2, f[0].hasPrefix("/dev/") { kernelByMountpoint[String(f[1])] = String(f[0]) }
    }
    for (mp, apiDevice) in inspection.mountpoints {
      guard let kernelDevice = kernelByMountpoint[mp], let index = try? g.deviceIndex(Self.wholeDisk(apiDevice)),
        index < diskCount
      else { continue }
      names[index] = Self.wholeDisk(kernelDevice)
    }
    return names
  }

  /// `/dev/sda1` → `/dev/sda`, `/dev/vdb12` → `/dev/vdb` (LVM and other non-partition names unchanged).
  static func wholeDisk(_ device: String) -> String {
    guard device.hasPrefix("/dev/sd") || device.hasPrefix("/dev/vd") || device.hasPrefix("/dev/hd") else { return device }
    var d = device
    while let last = d.last, last.isNumber { d.removeLast() }
    return d
  }

  public func lastMountTime(device: String) -> Date? {
    guard let fields = try? g.tune2fsList(device), let text = fields["Last mount time"], text != "n/a" else { return nil }
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "EEE MMM d HH:mm:ss yyyy"
    return f.date(from: text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "))
  }

  public func trim() -> [String] {
    // fstrim on each mounted filesystem; with discard on the overlay, freed blocks become holes the copy skips.
    var warnings: [String] = []
    do { try g.fstrim("/") } catch { warnings.append("fstrim /: \(error)") }
    return warnings
  }

  public func close() throws {
    if mounted { try? g.umountAll() }
    mounted = false
    try g.shutdown()
  }

  // MARK: GuestSession

  public func readFile(_ path: String) throws -> [UInt8]? {
    guard try g.isFile(path) else { return nil }
    return try g.readFile(path)
  }

  public func writeFile(_ path: String, _ bytes: [UInt8]) throws { try g.write(path, bytes) }

  public func readDevice(_ device: String, offset: Int64, count: Int) throws -> [UInt8] {
    try g.preadDevice(device, count: count, offset: offset)
  }

  public func upload(hostPath: String, to guestPath: String) throws { try g.upload(hostPath, to: guestPath) }

  public func download(_ guestPath: String, toHostPath hostPath: String) throws { try g.download(guestPath, to: hostPath) }

  public func exists(_ path: String) throws -> Bool { try g.exists(path) }

  public func isDirectory(_ path: String) throws -> Bool { try g.isDir(path) }

  public func list(_ directory: String) throws -> [String] {
    guard try g.isDir(directory) else { return [] }
    return try g.ls(directory)
  }

  public func readLink(_ path: String) throws -> String? {
    guard try g.isSymlink(path) else { return nil }
    return try g.readlink(path)
  }

  public func remove(_ path: String) throws { try g.rmF(path) }

  public func makeDirectory(_ path: String, mode: Int?, owner: (uid: Int, gid: Int)?) throws {
    try g.mkdirP(path)
    if let owner { try g.chown(uid: owner.uid, gid: owner.gid, path) }
    if let mode { try g.chmod(mode, path) }  // after chown, which may clear set-ID bits
  }

  public func setMode(_ path: String, _ mode: Int) throws { try g.chmod(mode, path) }

  public func setOwner(_ path: String, uid: Int, gid: Int) throws { try g.chown(uid: uid, gid: gid, path) }

  public func fileInfo(_ path: String) throws -> (size: Int64, mode: Int, uid: Int, gid: Int)? {
    guard try g.exists(path) else { return nil }
    let st = try g.statns(path)
    return (st.size, st.mode & 0o7777, st.uid, st.gid)
  }

  public func run(_ argv: [String]) throws -> String { try g.command(argv) }

  public func filesystemUUID(_ device: String) throws -> String? {
    let u = try g.vfsUUID(device)
    return u.isEmpty ? nil : u
  }

  public func blockDeviceIdentities() throws -> [BlockDeviceIdentity]? {
    var out: [BlockDeviceIdentity] = []
    for device in try g.listDevices() + g.listPartitions() + g.lvs() {
      // blkid fails on a device holding nothing it recognises (a BIOS boot partition, an empty disk).
      let b = (try? g.blkid(device)) ?? [:]
      func v(_ k: String) -> String? { b[k].flatMap { $0.isEmpty ? nil : $0 } }
      out.append(
        BlockDeviceIdentity(
          device: device, type: b["TYPE"] ?? "", uuid: v("UUID"), label: v("LABEL"), partUUID: v("PART_ENTRY_UUID"),
          partLabel: v("PART_ENTRY_NAME")))
    }
    return out
  }
}

extension GuestfsAppliance: DiskEditor {
  public func partitionTableType(_ disk: String) throws -> String { try g.partitionTableType(disk) }
  public func partitions(_ disk: String) throws -> [DiskPartition] {
    try g.partitions(disk).map { DiskPartition(number: $0.number, start: $0.start, end: $0.end) }
  }
  public func expandGPT(_ disk: String) throws { try g.expandGPT(disk) }
  public func resizePartition(_ disk: String, number: Int, endSector: Int64) throws {
    try g.resizePartition(disk, number: number, endSector: endSector)
  }
  public func deviceSize(_ device: String) throws -> Int64 { try g.deviceSize(device) }
  public func sectorSize(_ device: String) throws -> Int { try g.sectorSize(device) }
  public func lastUsableSector(_ disk: String) throws -> Int64 {
    let ss = try g.sectorSize(disk)
    if try g.partitionTableType(disk) == "gpt" {
      // The primary header sits in LBA 1; bytes 48..<56 hold the last usable LBA, little-endian.
      let b = try g.preadDevice(disk, count: 8, offset: Int64(ss) + 48)
      guard b.count == 8 else { throw GuestfsError(function: "pread_device", message: "short read of the GPT header", errno: 0) }
      return Int64(bitPattern: b.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    }
    return try g.deviceSize(disk) / Int64(ss) - 1
  }
  public func filesystemType(_ device: String) throws -> String { try g.vfsType(device) }
  public func growExtFilesystem(_ device: String) throws {
    try g.e2fsckForce(device)
    try g.resize2fs(device)
  }
  public func growPhysicalVolume(_ device: String) throws { try g.pvresize(device) }
  public func growLogicalVolume(_ lv: String) throws { try g.lvresizeFree(lv, percent: 100) }
  public func isLogicalVolume(_ device: String) throws -> Bool { try g.isLV(device) }
}

/// Starts ``GuestfsAppliance``s.
public struct GuestfsLauncher: ApplianceLauncher {
  /// Appliance memory, MiB (initramfs rebuilds want room).
  public var memoryMiB: Int
  /// Appliance vCPUs.
  public var smp: Int

  /// Creates a launcher. `smp` nil: `V2V_APPLIANCE_SMP` when set (1-16; `v2v batch` gives its children 1 when
  /// several convert at once, so that they do not fight over the same cores), else 2.
  public init(memoryMiB: Int = 1536, smp: Int? = nil) {
    self.memoryMiB = memoryMiB
    let env = ProcessInfo.processInfo.environment["V2V_APPLIANCE_SMP"].flatMap { Int($0) }.flatMap { (1...16).contains($0) ? $0 : nil }
    self.smp = smp ?? env ?? 2
  }

  public func launch(disks: [OverlayDisk], accelerator: Accelerator, verbose: Bool) throws -> any GuestAppliance {
    let g = try Appliance.handle(accelerator: accelerator, memoryMiB: memoryMiB, smp: smp)
    for (i, d) in disks.enumerated() {
      try g.addDrive(d.path, format: d.format, name: "disk\(i)", cacheMode: "unsafe", discard: "besteffort")
    }
    do {
      try g.launch()
    } catch let e as GuestfsError {
      throw V2VError(.hostNotReady, "the libguestfs appliance did not start: \(e.message) (run `v2v doctor`)")
    }
    // The appliance's qemu belongs to the running job: a cancellation kills it.
    if let pid = try? g.pid() { JobScope.current?.track(pid: pid) }
    return GuestfsAppliance(g: g)
  }
}
