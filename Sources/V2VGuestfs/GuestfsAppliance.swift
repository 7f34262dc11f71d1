import Foundation
import Guestfs
import V2VCore
import V2VModel

/// The real ``GuestAppliance``: one libguestfs handle with the overlays attached.
public final class GuestfsAppliance: GuestAppliance {
  let g: Guestfs
  private var mounted = false
  /// Every block device with its blkid names, read once and shared by inspection, ``encryptedVolumes()``
  /// and ``blockDeviceIdentities()``; dropped when a ``DiskEditor`` call changes the partitions.
  private var deviceTable: [BlockDeviceIdentity]?
  /// What the quick inspection found, by root device; empty when inspection went to libguestfs.
  private var quick: [String: GuestInspection] = [:]

  init(g: Guestfs) { self.g = g }

  /// The roots: from the quick inspection when it can answer for certain, else libguestfs's inspect_os.
  /// `V2V_FULL_INSPECTION=1` always asks libguestfs (to compare the two, or to step around a quick-path bug).
  public func roots() throws -> [String] {
    quick = [:]
    if ProcessInfo.processInfo.environment["V2V_FULL_INSPECTION"] != "1", let found = try quickInspection() {
      quick = found
      return found.keys.sorted()
    }
    return try g.inspectOS()
  }

  /// Filesystems the quick inspection mounts to look for a root.
  static let rootFilesystems: Set<String> = ["ext2", "ext3", "ext4", "xfs"]
  /// Other contents that leave the quick inspection's answer complete: nothing recognised (a partition
  /// table, an extended or BIOS boot partition), an ESP, swap, LVM physical volumes (their volumes are
  /// listed). Anything else (NTFS, btrfs, LUKS, RAID members, ZFS, …) goes to inspect_os.
  static let harmlessContents: Set<String> = ["", "vfat", "swap", "LVM2_member"]

  /// Linux roots found by mounting each candidate filesystem read-only and reading a few files
  /// (``LinuxRootFacts``); nil when libguestfs must decide: an unusual filesystem, or a root whose
  /// release, architecture or version this cannot read for certain.
  func quickInspection() throws -> [String: GuestInspection]? {
    let table = try identities()
    guard table.allSatisfy({ Self.rootFilesystems.contains($0.type) || Self.harmlessContents.contains($0.type) }) else { return nil }
    var found: [String: GuestInspection] = [:]
    for candidate in table where Self.rootFilesystems.contains(candidate.type) {
      do { try g.mountReadOnly(candidate.device, at: "/") } catch { return nil }
      defer { try? g.umount("/") }
      guard (try? g.exists("/etc/fstab")) == true || (try? g.exists("/etc/os-release")) == true else { continue }
      guard let inspection = try quickFacts(root: candidate.device, table: table) else { return nil }
      found[candidate.device] = inspection
    }
    return found.isEmpty ? nil : found
  }

  /// The inspection of the root mounted at `/`, or nil when something is not certain.
  func quickFacts(root: String, table: [BlockDeviceIdentity]) throws -> GuestInspection? {
    func text(_ path: String) -> String? { (try? readFile(path)).flatMap { $0.map { String(decoding: $0, as: UTF8.self) } } }
    guard
      let release = LinuxRootFacts.release(
        osRelease: text("/etc/os-release") ?? text("/usr/lib/os-release"), debianVersion: text("/etc/debian_version"),
        redhatRelease: text("/etc/redhat-release")),
      let arch = ["/bin/sh", "/usr/bin/sh", "/bin/bash", "/sbin/init"].lazy.compactMap({ p in
        (try? self.g.exists(p)) == true ? (try? self.g.pread(p, count: 20, offset: 0)).flatMap(LinuxRootFacts.architecture) : nil
      }).first
    else { return nil }
    let format: PackageFormat =
      (try g.exists("/var/lib/dpkg/status")) ? .deb
      : (try g.exists("/var/lib/rpm") || g.exists("/usr/lib/sysimage/rpm")) ? .rpm : .unknown
    guard let mountpoints = LinuxRootFacts.mountpoints(fstab: text("/etc/fstab"), root: root, devices: table) else { return nil }
    var result = GuestInspection(
      root: root, osType: .linux, distro: release.distro, majorVersion: release.majorVersion,
      minorVersion: release.minorVersion, productName: release.productName, arch: arch,
      hostname: LinuxRootFacts.hostname(
        etcHostname: text("/etc/hostname"), etcHOSTNAME: text("/etc/HOSTNAME"), sysconfigNetwork: text("/etc/sysconfig/network")),
      packageFormat: format, packageManagement: LinuxRootFacts.packageManagement(release), mountpoints: mountpoints,
      firmware: Self.firmware(mountpoints: mountpoints))
    result.osinfo = result.osinfoID  // libosinfo's short id, derived as libguestfs would give it
    return result
  }

  /// Whole disks, partitions and logical volumes with what blkid says of each (one list, one blkid each).
  func identities() throws -> [BlockDeviceIdentity] {
    if let deviceTable { return deviceTable }
    // Each blkid is a process in the appliance (~0.35 s under TCG): a disk with partitions holds only its
    // partition table, and lvs runs only when there is a physical volume.
    func identity(_ device: String) -> BlockDeviceIdentity {
      // blkid fails on a device holding nothing it recognises (a BIOS boot partition, an empty disk).
      let b = (try? g.blkid(device)) ?? [:]
      func v(_ k: String) -> String? { b[k].flatMap { $0.isEmpty ? nil : $0 } }
      return BlockDeviceIdentity(
        device: device, type: b["TYPE"] ?? "", uuid: v("UUID"), label: v("LABEL"), partUUID: v("PART_ENTRY_UUID"),
        partLabel: v("PART_ENTRY_NAME"))
    }
    let partitions = try g.listPartitions()
    let disks = try g.listDevices().map { d in
      partitions.contains { Self.wholeDisk($0) == d } ? BlockDeviceIdentity(device: d) : identity(d)
    }
    var out = disks + partitions.map(identity)
    if out.contains(where: { $0.type == "LVM2_member" }) { out += try g.lvs().map(identity) }
    deviceTable = out
    return out
  }

  public func inspect(root: String) throws -> GuestInspection {
    if let q = quick[root] { return q }
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
    // blkid's signature on each device (list_filesystems leaves out what it cannot mount).
    ((try? identities()) ?? []).compactMap { id in
      switch id.type {
      case "BitLocker": return EncryptedVolume(device: id.device, kind: .bitlocker)
      case "crypto_LUKS": return EncryptedVolume(device: id.device, kind: .luks)
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

  /// Files up to 8 MiB come through `pread` (a few ms each); larger ones through a download (~0.3 s: it
  /// waits for udev twice).
  public func readFile(_ path: String) throws -> [UInt8]? {
    guard try g.exists(path) else { return nil }
    let st = try g.statns(path)
    guard st.isRegularFile else { return nil }
    guard st.size <= 8 << 20 else { return try g.readFile(path) }
    var out: [UInt8] = []
    let chunk = 1 << 20
    while true {
      let part = try g.pread(path, count: chunk, offset: Int64(out.count))
      out += part
      if part.count < chunk { return out }
    }
  }

  public func writeFile(_ path: String, _ bytes: [UInt8]) throws { try g.write(path, bytes) }

  public func readDevice(_ device: String, offset: Int64, count: Int) throws -> [UInt8] {
    try g.preadDevice(device, count: count, offset: offset)
  }

  public func upload(hostPath: String, to guestPath: String) throws { try g.upload(hostPath, to: guestPath) }

  public func download(_ guestPath: String, toHostPath hostPath: String) throws { try g.download(guestPath, to: hostPath) }

  public func exists(_ path: String) throws -> Bool { try g.exists(path) }

  // stat in the daemon rather than is_dir/is_symlink, which fork a helper each (~30 ms under TCG).
  public func isDirectory(_ path: String) throws -> Bool { try g.exists(path) && g.statns(path).isDirectory }

  public func list(_ directory: String) throws -> [String] {
    guard try isDirectory(directory) else { return [] }
    return try g.ls(directory)
  }

  public func readLink(_ path: String) throws -> String? {
    // lstat fails for a missing path (or one under a missing directory): not a link then.
    guard (try? g.lstatns(path))?.isSymlink == true else { return nil }
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

  public func blockDeviceIdentities() throws -> [BlockDeviceIdentity]? { try identities() }
}

extension GuestfsAppliance: DiskEditor {
  public func partitionTableType(_ disk: String) throws -> String { try g.partitionTableType(disk) }
  public func partitions(_ disk: String) throws -> [DiskPartition] {
    try g.partitions(disk).map { DiskPartition(number: $0.number, start: $0.start, end: $0.end) }
  }
  public func expandGPT(_ disk: String) throws {
    deviceTable = nil
    try g.expandGPT(disk)
  }
  public func resizePartition(_ disk: String, number: Int, endSector: Int64) throws {
    deviceTable = nil
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
  /// Seconds the appliance's daemon has to answer before its qemu is killed and the launch tried once
  /// more. `V2V_APPLIANCE_TIMEOUT` when set, else 300: a start takes 15-30 s here under TCG, about 60 s on a
  /// loaded host.
  public var launchTimeout: Double
  /// The qemu binary, when not libguestfs' default (tests use a qemu that never boots).
  public var hypervisor: String?

  /// Creates a launcher. `smp` nil: `V2V_APPLIANCE_SMP` when set (1-16; `v2v batch` gives its children 1 when
  /// several convert at once, so that they do not fight over the same cores), else 2.
  public init(memoryMiB: Int = 1536, smp: Int? = nil, launchTimeout: Double? = nil) {
    self.memoryMiB = memoryMiB
    let environment = ProcessInfo.processInfo.environment
    let env = environment["V2V_APPLIANCE_SMP"].flatMap { Int($0) }.flatMap { (1...16).contains($0) ? $0 : nil }
    self.smp = smp ?? env ?? 2
    let envTimeout = environment["V2V_APPLIANCE_TIMEOUT"].flatMap { Double($0) }.flatMap { $0 > 0 ? $0 : nil }
    self.launchTimeout = launchTimeout ?? envTimeout ?? 300
  }

  public func launch(
    disks: [OverlayDisk], accelerator: Accelerator, verbose: Bool, report: (String) -> Void
  ) throws -> any GuestAppliance {
    // Two tries: a TCG boot of the appliance kernel now and then hangs or panics; the next one does not.
    var failure = ""
    for attempt in 1...2 {
      try JobScope.current?.checkCancelled()
      switch try launchOnce(disks: disks, accelerator: accelerator) {
      case .success(let g):
        return GuestfsAppliance(g: g)
      case .failure(let why):
        failure = why
        if attempt == 1 { report("the libguestfs appliance \(why); starting it once more") }
      }
    }
    throw V2VError(.hostNotReady, "the libguestfs appliance \(failure), twice (run `v2v doctor`)")
  }

  private enum Attempt {
    case success(Guestfs)
    case failure(String)
  }

  private func launchOnce(disks: [OverlayDisk], accelerator: Accelerator) throws -> Attempt {
    let g = try Appliance.handle(accelerator: accelerator, memoryMiB: memoryMiB, smp: smp)
    if let hypervisor { try g.setHV(hypervisor) }
    for (i, d) in disks.enumerated() {
      try g.addDrive(d.path, format: d.format, name: "disk\(i)", cacheMode: "unsafe", discard: "besteffort")
    }
    let scope = JobScope.current
    let watchdog = LaunchWatchdog(markers: disks.map(\.path), timeout: launchTimeout, scope: scope)
    watchdog.start()
    let started = Date()
    var launchError: GuestfsError?
    do { try g.launch() } catch let e as GuestfsError { launchError = e }
    watchdog.stop()
    try scope?.checkCancelled()
    if watchdog.timedOut {
      try? g.shutdown()
      if let pid = watchdog.pid { scope?.untrack(pid: pid) }
      return .failure(String(format: "did not answer within %.0f s (its qemu was killed)", launchTimeout))
    }
    if let launchError {
      return .failure(String(format: "did not start (after %.0f s): %@", Date().timeIntervalSince(started), launchError.message))
    }
    // The appliance's qemu belongs to the running job: a cancellation kills it.
    if let pid = try? g.pid() { scope?.track(pid: pid) }
    return .success(g)
  }
}
