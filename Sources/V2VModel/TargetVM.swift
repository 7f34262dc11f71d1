/// The machine v2v writes: what the output (libvirt, local, qemu, physical) creates.
public struct TargetVM: Sendable, Equatable, Codable {
  /// Domain name (the source's, or `-on NAME`).
  public var name: String
  /// A new UUID for the target.
  public var uuid: String
  /// Memory in bytes.
  public var memoryBytes: UInt64
  /// vCPUs.
  public var vcpus: Int
  /// Topology, when the source stated one.
  public var cpuTopology: CPUTopology?
  /// BIOS or UEFI.
  public var firmware: Firmware
  /// Whether UEFI Secure Boot is required.
  public var secureBoot: Bool
  /// qemu machine type.
  public var machine: MachineType
  /// Disks, boot disk first.
  public var disks: [TargetDisk]
  /// CD-ROM and floppy drives (empty, or with the source's image).
  public var removableMedia: [TargetRemovable]
  /// Network interfaces.
  public var nics: [TargetNIC]
  /// Video model.
  public var video: VideoModel
  /// RTC base (UTC, or local time for Windows).
  public var clock: ClockOffset
  /// Whether the guest gets a virtio RNG device.
  public var virtioRNG: Bool
  /// Whether the guest gets a virtio memory balloon.
  public var memoryBalloon: Bool
  /// libosinfo short id of the guest (`debian12`), when known; recorded in the domain metadata.
  public var osinfo: String?
  /// The hypervisor the source ran on, recorded in the domain metadata (nil: not recorded).
  public var sourceHypervisor: Hypervisor?
  /// The file or device the source was read from, recorded in the domain metadata (nil: not recorded).
  public var sourceOrigin: String?
  /// VM generation ID carried over from the source (UUID form), written as libvirt `<genid>`.
  public var genid: String?
  /// Hyper-V enlightenments (`<hyperv>` features and the Hyper-V clock): Windows guests.
  public var hyperv: Bool = false

  /// Creates a target.
  public init(
    name: String, uuid: String, memoryBytes: UInt64, vcpus: Int, cpuTopology: CPUTopology? = nil,
    firmware: Firmware, secureBoot: Bool = false, machine: MachineType = .q35, disks: [TargetDisk],
    removableMedia: [TargetRemovable] = [], nics: [TargetNIC] = [], video: VideoModel = .virtio,
    clock: ClockOffset = .utc, virtioRNG: Bool = true, memoryBalloon: Bool = true, osinfo: String? = nil,
    sourceHypervisor: Hypervisor? = nil, sourceOrigin: String? = nil, genid: String? = nil
  ) {
    self.name = name
    self.uuid = uuid
    self.memoryBytes = memoryBytes
    self.vcpus = vcpus
    self.cpuTopology = cpuTopology
    self.firmware = firmware
    self.secureBoot = secureBoot
    self.machine = machine
    self.disks = disks
    self.removableMedia = removableMedia
    self.nics = nics
    self.video = video
    self.clock = clock
    self.virtioRNG = virtioRNG
    self.memoryBalloon = memoryBalloon
    self.osinfo = osinfo
    self.sourceHypervisor = sourceHypervisor
    self.sourceOrigin = sourceOrigin
    self.genid = genid
  }
}

/// A disk of the target.
public struct TargetDisk: Sendable, Equatable, Codable {
  /// Where the output image is (final path).
  public var path: String
  /// Image format.
  public var format: OutputDiskFormat
  /// Guest device name (`vda`).
  public var dev: String
  /// Bus (`virtio`).
  public var bus: Bus
  /// Boot order (1 for the boot disk), nil for none.
  public var bootOrder: Int?
  /// Virtual size in bytes.
  public var capacityBytes: UInt64?

  /// Creates a target disk.
  public init(path: String, format: OutputDiskFormat, dev: String, bus: Bus = .virtio, bootOrder: Int? = nil, capacityBytes: UInt64? = nil) {
    self.path = path
    self.format = format
    self.dev = dev
    self.bus = bus
    self.bootOrder = bootOrder
    self.capacityBytes = capacityBytes
  }
}

/// A CD-ROM or floppy of the target.
public struct TargetRemovable: Sendable, Equatable, Codable {
  /// cdrom or floppy.
  public var kind: RemovableMedium.Kind
  /// Guest device name (`sda` for the first SATA CD-ROM, `fda` for a floppy).
  public var dev: String
  /// Bus (`sata`, `fdc`).
  public var bus: Bus
  /// The inserted image, if any.
  public var path: String?

  /// Creates a drive.
  public init(kind: RemovableMedium.Kind, dev: String, bus: Bus, path: String? = nil) {
    self.kind = kind
    self.dev = dev
    self.bus = bus
    self.path = path
  }
}

/// A NIC of the target.
public struct TargetNIC: Sendable, Equatable, Codable {
  /// MAC, kept from the source (nil: libvirt generates one).
  public var mac: String?
  /// Device model.
  public var model: NICModel
  /// What it connects to.
  public var connection: Connection

  /// What a NIC connects to on the target host.
  public enum Connection: Sendable, Equatable, Codable {
    /// A libvirt network.
    case network(String)
    /// A host bridge.
    case bridge(String)
    /// qemu user networking (no libvirt network).
    case user
  }

  /// Creates a NIC.
  public init(mac: String?, model: NICModel = .virtio, connection: Connection) {
    self.mac = mac
    self.model = model
    self.connection = connection
  }
}

/// `-of`: output disk image formats.
public enum OutputDiskFormat: String, Sendable, Equatable, Codable, CaseIterable {
  /// Plain bytes; sparse files keep unused space free.
  case raw
  /// qemu's copy-on-write format.
  case qcow2
}

/// `-oa`: output disk allocation.
public enum DiskAllocation: String, Sendable, Equatable, Codable, CaseIterable {
  /// Only written blocks take space.
  case sparse
  /// All space reserved up front.
  case preallocated
}
