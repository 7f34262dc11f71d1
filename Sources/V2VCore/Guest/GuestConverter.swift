import V2VModel

/// Rewrites a guest OS for a target platform: drivers, device names, console, tools.
///
/// The converter reads the platform from its ``ConversionContext`` and takes its module lists and naming
/// rules from it; it reports, in ``ConversionReport/capabilities``, what the converted guest can actually
/// use. ``TargetSettler`` turns that report into the final ``TargetVM``.
public protocol GuestConverter {
  /// Whether this converter handles the inspected guest.
  func handles(_ inspection: GuestInspection) -> Bool
  /// Reads the guest and returns the changes needed for `context.platform`, without writing anything
  /// (`--dry-run` prints these), and the capabilities the guest will have once they are applied. May throw
  /// ``ConversionError`` (no bootable kernel for the platform, unsupported guest).
  func plan(session: GuestSession, inspection: GuestInspection, context: ConversionContext) throws -> ConversionReport
}

/// What a converter knows about the conversion besides the guest itself.
public struct ConversionContext: Sendable {
  /// The source machine.
  public var source: SourceVM
  /// What the converted guest will run on.
  public var platform: TargetPlatform
  /// Source device names → target device names, for every disk the guest may name, built by
  /// ``DiskNameMap/build(source:platform:)`` from each source disk's own name (`/dev/sda` → `/dev/vda`,
  /// `/dev/xvda2` → `/dev/vdb` for a partition-style Xen disk). Partition numbers are kept by the rewriter.
  public var diskNameMap: [DeviceRename]
  /// The target's device for each source disk, in disk order (`/dev/vda`, `/dev/vdb`; `/dev/sda` on
  /// virtio-scsi).
  public var targetDisks: [String]
  /// The conversion appliance kernel's name for each source disk, in disk order (`/dev/sdb` when the
  /// appliance's own disk took `sda`). Tools run in the appliance (grub-mkconfig) write these names; the
  /// fix-up maps them to target names. Nil: assume `/dev/sda`, `/dev/sdb`, … in disk order.
  public var applianceDiskNames: [String]?
  /// A host directory the converter may use for scratch files (hive copies, extracted drivers), removed
  /// with the conversion's work directory; nil: the converter makes its own temporary one.
  public var workDirectory: String?

  /// Creates a context; the disk name map and target devices follow from the source and the platform.
  public init(
    source: SourceVM, platform: TargetPlatform = .kvmDefault, applianceDiskNames: [String]? = nil,
    workDirectory: String? = nil
  ) {
    self.workDirectory = workDirectory
    self.source = source
    self.platform = platform
    self.diskNameMap = DiskNameMap.build(source: source, platform: platform)
    self.targetDisks = source.disks.indices.map { platform.diskDevice($0) }
    self.applianceDiskNames = applianceDiskNames
  }

  /// The appliance kernel's names for the disks (``applianceDiskNames``, else `/dev/sda`, `/dev/sdb`, … in
  /// disk order) → the target's names: what tools run in the appliance wrote must become what the target
  /// will see.
  public var applianceRenames: [DeviceRename] {
    targetDisks.enumerated().map { i, target in
      let name = applianceDiskNames.flatMap { i < $0.count ? $0[i] : nil } ?? "/dev/sd\(DeviceNames.letters(i))"
      return DeviceRename(from: name, to: target)
    }
  }
}

/// What a converter decided and did.
public struct ConversionReport: Sendable, Equatable, Codable {
  /// Changes, in the order they were (or would be) applied.
  public var changes: [GuestChange] = []
  /// Things the user should know (a service disabled instead of removed, an interface name that will change).
  public var warnings: [String] = []
  /// The kernel the converted guest will boot (Linux), e.g. `6.1.0-26-amd64`.
  public var bootKernel: String?
  /// What the converted guest can use: the buses and NIC models it has drivers for, its clock, console.
  public var capabilities = GuestCapabilities()
  /// MAC addresses of NICs the target must have that the source does not describe, in order. A physical
  /// source describes no NICs, so these are the ones the guest's network configuration is bound to (its
  /// records' MACs, or one generated MAC that its only configured interface is pinned to). Empty otherwise.
  public var addedNICs: [String] = []

  /// Creates an empty report.
  public init() {}

  /// Whether the guest has a serial console configured after conversion.
  public var serialConsole: Bool {
    get { capabilities.serialConsole }
    set { capabilities.serialConsole = newValue }
  }
}

/// Failures of the conversion stage (exit code 5).
public enum ConversionError: Error, Equatable, CustomStringConvertible {
  /// Inspection found no operating system.
  case noOperatingSystem
  /// Inspection found several and `--root` did not choose.
  case multipleRoots([String])
  /// `--root` named a device that is not a root.
  case rootNotFound(String, [String])
  /// No converter handles this guest.
  case unsupportedGuest(String)
  /// No installed kernel can boot on the target's disk bus (`virtio-blk`, `virtio-scsi`).
  case noKernelForBus(String, [String])
  /// A command run in the guest failed.
  case guestCommandFailed(String, String)
  /// The guest cannot be given a bootloader the target's firmware can start.
  case noBootLoader(String)
  /// No operating system is readable and a volume is encrypted (its device and kind).
  case encryptedVolume(String, EncryptedVolume.Kind)

  public var description: String {
    switch self {
    case .noOperatingSystem: return "no operating system found on the source disks"
    case .multipleRoots(let r): return "several operating systems found (\(r.joined(separator: ", "))); choose one with --root"
    case .rootNotFound(let r, let all): return "--root \(r): not an operating system root (found: \(all.joined(separator: ", ")))"
    case .unsupportedGuest(let g): return "unsupported guest: \(g)"
    case .noKernelForBus(let bus, let ks):
      return "no installed kernel can boot from \(bus) disks (kernels found: \(ks.isEmpty ? "none" : ks.joined(separator: ", ")))"
        + (bus == "virtio-blk" ? "" : "; try --block-driver virtio-blk")
    case .guestCommandFailed(let what, let why): return "\(what): \(why)"
    case .noBootLoader(let why): return "cannot make the guest bootable: \(why)"
    case .encryptedVolume(let dev, .bitlocker):
      return "\(dev) is BitLocker-encrypted, so its operating system cannot be read or converted: in the source "
        + "Windows, turn BitLocker off for that drive (manage-bde -off C:) and wait until it is fully decrypted, then convert again"
    case .encryptedVolume(let dev, .luks):
      return "\(dev) is LUKS-encrypted, so its operating system cannot be read or converted: v2v cannot unlock encrypted volumes; decrypt it in the source first"
    }
  }
}
