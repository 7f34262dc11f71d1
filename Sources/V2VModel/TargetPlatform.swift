/// What the converted machine will run on: the value converters convert *for*.
///
/// It decides which drivers the guest needs (the `Drivers/` catalog answers for each platform), how the
/// target names its disks, and what the writer produces. The user chooses it (`--block-driver`, `-o
/// physical`); the converter reports what it could install (``GuestCapabilities``), and the final
/// ``TargetVM`` is settled from both after the conversion.
public enum TargetPlatform: Sendable, Equatable, Codable {
  /// A KVM/QEMU virtual machine.
  case kvm(KVMPlatform)
  /// Physical hardware (V2P): real firmware, real storage and network controllers.
  case physical(PhysicalPlatform)

  /// KVM with virtio-blk disks and virtio-net NICs (the default).
  public static let kvmDefault = TargetPlatform.kvm(KVMPlatform())

  /// The firmware the user asked for, nil to keep the source's (or what inspection found).
  public var requestedFirmware: Firmware? {
    switch self {
    case .kvm(let k): return k.firmware
    case .physical(let p): return p.firmware
    }
  }

  /// How the target names disk `index` (0-based) as the guest kernel will see it: `/dev/vda` on virtio-blk,
  /// `/dev/sda` on virtio-scsi and SATA, and on physical hardware (`sd` for SATA/SAS/USB, the usual case).
  public func diskDevice(_ index: Int) -> String { "/dev/" + diskNamePrefix + DeviceNames.letters(index) }

  /// `vd` or `sd`.
  public var diskNamePrefix: String {
    switch self {
    case .kvm(let k): return k.diskBus.namePrefix
    case .physical: return "sd"
    }
  }

  /// A short description for reports (`KVM, virtio-scsi disks, virtio NICs`, `physical hardware (UEFI)`).
  public var summary: String {
    switch self {
    case .kvm(let k): return "KVM, \(k.diskBus.rawValue) disks, \(k.nicModel.rawValue) NICs"
    case .physical(let p): return "physical hardware" + (p.firmware.map { " (\($0.rawValue.uppercased()))" } ?? "")
    }
  }
}

/// A KVM target: which emulated devices the converted guest gets.
public struct KVMPlatform: Sendable, Equatable, Codable {
  /// The disk bus the user wants (`--block-driver`).
  public var diskBus: KVMDiskBus
  /// The NIC model the user wants.
  public var nicModel: NICModel
  /// Firmware override, nil to keep the source's.
  public var firmware: Firmware?
  /// qemu machine type.
  public var machine: MachineType

  /// Creates a KVM platform: virtio-blk, virtio-net, the source's firmware, q35.
  public init(
    diskBus: KVMDiskBus = .virtioBlk, nicModel: NICModel = .virtio, firmware: Firmware? = nil,
    machine: MachineType = .q35
  ) {
    self.diskBus = diskBus
    self.nicModel = nicModel
    self.firmware = firmware
    self.machine = machine
  }
}

/// Physical hardware as a target (V2P).
public struct PhysicalPlatform: Sendable, Equatable, Codable {
  /// The firmware of the machine the disk goes into; nil keeps the source's.
  public var firmware: Firmware?

  /// Creates a physical platform.
  public init(firmware: Firmware? = nil) { self.firmware = firmware }
}

/// Disk buses a KVM guest can boot from (`--block-driver` chooses between the virtio ones).
public enum KVMDiskBus: String, Sendable, Equatable, Codable, CaseIterable {
  /// virtio-blk: one PCI device per disk, named `/dev/vdX` (fastest, the default).
  case virtioBlk = "virtio-blk"
  /// virtio-scsi: one controller, disks named `/dev/sdX` (more disks, SCSI passthrough, discard).
  case virtioSCSI = "virtio-scsi"
  /// SATA on q35's AHCI controller: emulated, no driver needed in most guests, slow.
  case sata

  /// The libvirt `<target bus=…>` of disks on this bus.
  public var libvirtBus: Bus {
    switch self {
    case .virtioBlk: return .virtio
    case .virtioSCSI: return .scsi
    case .sata: return .sata
    }
  }

  /// The kernel's disk name prefix on this bus.
  public var namePrefix: String { self == .virtioBlk ? "vd" : "sd" }

  /// The KVM bus of a target disk's libvirt bus (`virtio` → virtio-blk, `scsi` → virtio-scsi, `sata`); nil
  /// for buses a KVM target does not put disks on.
  public init?(libvirtBus: Bus) {
    guard let b = Self.allCases.first(where: { $0.libvirtBus == libvirtBus }) else { return nil }
    self = b
  }
}

/// NIC models a KVM guest can get.
public enum NICModel: String, Sendable, Equatable, Codable, CaseIterable {
  /// virtio-net (paravirtual, needs the driver).
  case virtio
  /// Intel 82574 (PCIe), driven by almost every OS out of the box.
  case e1000e
  /// Intel 82540EM (PCI).
  case e1000
  /// Realtek 8139.
  case rtl8139

  /// The qemu `-device` name.
  public var qemuDevice: String {
    switch self {
    case .virtio: return "virtio-net-pci"
    case .e1000e, .e1000, .rtl8139: return rawValue
    }
  }
}

/// Video models libvirt and qemu both offer on q35.
public enum VideoModel: String, Sendable, Equatable, Codable, CaseIterable {
  case virtio, vga, qxl, bochs, cirrus
}

/// qemu machine types.
public enum MachineType: String, Sendable, Equatable, Codable, CaseIterable {
  /// Q35 + ICH9: PCIe, AHCI (the default).
  case q35
  /// i440FX + PIIX: legacy PCI and IDE, for guests too old for q35.
  case pc
}

/// The guest's real-time clock base.
public enum ClockOffset: String, Sendable, Equatable, Codable, CaseIterable {
  /// UTC (Linux and most guests).
  case utc
  /// The host's local time (Windows keeps its RTC in local time).
  case localtime
}

/// What the converted guest can actually use, as the converter reports it after installing what it could
/// (virt-v2v's "guestcaps"). The final ``TargetVM`` follows it: a guest that got no virtio-scsi driver is
/// given the best bus it can drive, with a warning.
public struct GuestCapabilities: Sendable, Equatable, Codable {
  /// Disk buses the guest can boot from after conversion, best first.
  public var blockBuses: [KVMDiskBus]
  /// NIC models the guest has drivers for, best first.
  public var nicModels: [NICModel]
  /// The best video model the guest can drive, nil to keep the planned one.
  public var video: VideoModel?
  /// Whether a virtio RNG device is useful (the guest has the driver).
  public var virtioRNG: Bool
  /// Whether a virtio memory balloon is useful.
  public var virtioBalloon: Bool
  /// RTC base the guest expects (Windows: local time).
  public var clock: ClockOffset
  /// Whether the guest has a serial console configured after conversion.
  public var serialConsole: Bool
  /// Drivers the converter put into the guest's boot path (initramfs modules, Windows boot-start services).
  public var installedDrivers: [String]
  /// Whether the guest benefits from Hyper-V enlightenments (Windows: relaxed timing, virtual APIC,
  /// paravirtual spinlocks and the Hyper-V clock).
  public var hyperv: Bool

  /// Creates capabilities; the defaults describe a guest with every virtio driver.
  public init(
    blockBuses: [KVMDiskBus] = [.virtioBlk, .virtioSCSI, .sata], nicModels: [NICModel] = [.virtio, .e1000e],
    video: VideoModel? = nil, virtioRNG: Bool = true, virtioBalloon: Bool = true, clock: ClockOffset = .utc,
    serialConsole: Bool = false, installedDrivers: [String] = [], hyperv: Bool = false
  ) {
    self.hyperv = hyperv
    self.blockBuses = blockBuses
    self.nicModels = nicModels
    self.video = video
    self.virtioRNG = virtioRNG
    self.virtioBalloon = virtioBalloon
    self.clock = clock
    self.serialConsole = serialConsole
    self.installedDrivers = installedDrivers
  }
}

extension TargetPlatform {
  enum CodingKeys: String, CodingKey { case kind, diskBus, nicModel, firmware, machine }

  /// `{"kind":"kvm","diskBus":"virtio-scsi","nicModel":"virtio","machine":"q35","firmware":"bios"}` or
  /// `{"kind":"physical","firmware":"uefi"}` (the shape docs/convert-json.md documents).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    switch self {
    case .kvm(let k):
      try c.encode("kvm", forKey: .kind)
      try c.encode(k.diskBus, forKey: .diskBus)
      try c.encode(k.nicModel, forKey: .nicModel)
      try c.encode(k.machine, forKey: .machine)
      try c.encodeIfPresent(k.firmware, forKey: .firmware)
    case .physical(let p):
      try c.encode("physical", forKey: .kind)
      try c.encodeIfPresent(p.firmware, forKey: .firmware)
    }
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let firmware = try c.decodeIfPresent(Firmware.self, forKey: .firmware)
    switch try c.decode(String.self, forKey: .kind) {
    case "kvm":
      self = .kvm(
        KVMPlatform(
          diskBus: try c.decodeIfPresent(KVMDiskBus.self, forKey: .diskBus) ?? .virtioBlk,
          nicModel: try c.decodeIfPresent(NICModel.self, forKey: .nicModel) ?? .virtio, firmware: firmware,
          machine: try c.decodeIfPresent(MachineType.self, forKey: .machine) ?? .q35))
    case "physical": self = .physical(PhysicalPlatform(firmware: firmware))
    case let other:
      throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown platform kind \(other)")
    }
  }
}
