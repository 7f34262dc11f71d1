import V2VModel

/// One driver a guest needs on a platform, with the reason it is there.
public struct DriverEntry: Sendable, Equatable {
  /// The Linux module name (`virtio_blk`; `-` written as `_`).
  public var module: String
  /// Why the guest needs it on this platform.
  public var reason: String

  /// Creates an entry.
  public init(_ module: String, _ reason: String) {
    self.module = module
    self.reason = reason
  }
}

/// The Linux drivers a guest needs for one platform.
public struct LinuxDriverSet: Sendable, Equatable {
  /// Modules the kernel must provide (loadable or built in) to find its root disk: a kernel lacking one
  /// cannot boot the converted guest on this platform.
  public var boot: [DriverEntry]
  /// Modules for the network; their absence is a warning, not a refusal.
  public var network: [DriverEntry]
  /// Modules put into the initramfs, in order: the boot and network drivers, plus the other virtio
  /// drivers so the guest still boots if the user later moves its disks to the other virtio bus.
  public var initramfs: [String]
}

/// Which drivers a guest needs on a target platform, and where they come from. Answers "which drivers
/// does this guest need for this platform"; converters take their module lists from here.
public enum DriverCatalog {
  /// The virtio PCI transport every virtio device sits on.
  static let virtioPCI = DriverEntry("virtio_pci", "virtio devices sit on the virtio PCI transport")
  /// The SCSI disk driver: disks behind any SCSI host (virtio-scsi, AHCI, SAS) appear through it.
  static let sdMod = DriverEntry("sd_mod", "SCSI and SATA disks appear as /dev/sdX through the SCSI disk driver")

  /// Disk drivers per KVM disk bus.
  public static let kvmBoot: [KVMDiskBus: [DriverEntry]] = [
    .virtioBlk: [virtioPCI, DriverEntry("virtio_blk", "disks on virtio-blk are driven by virtio_blk (/dev/vdX)")],
    .virtioSCSI: [
      virtioPCI, DriverEntry("virtio_scsi", "the virtio-scsi controller is driven by virtio_scsi"), sdMod,
    ],
    .sata: [DriverEntry("ahci", "q35's SATA controller is AHCI"), sdMod],
  ]

  /// NIC drivers per KVM NIC model.
  public static let kvmNetwork: [NICModel: [DriverEntry]] = [
    .virtio: [virtioPCI, DriverEntry("virtio_net", "virtio-net NICs are driven by virtio_net")],
    .e1000e: [DriverEntry("e1000e", "the emulated Intel 82574 NIC is driven by e1000e")],
    .e1000: [DriverEntry("e1000", "the emulated Intel 82540EM NIC is driven by e1000")],
    .rtl8139: [DriverEntry("8139too", "the emulated Realtek 8139 NIC is driven by 8139too")],
  ]

  /// Storage drivers for common server and desktop hardware (V2P): which of them the machine needs is
  /// not known in advance, so all of them go into the initramfs.
  public static let hardwareStorage: [DriverEntry] = [
    DriverEntry("ahci", "SATA controllers on almost every PC and server board"), sdMod,
    DriverEntry("nvme", "NVMe SSDs"),
    DriverEntry("ata_piix", "older Intel IDE/SATA controllers in legacy mode"),
    DriverEntry("megaraid_sas", "Broadcom/LSI MegaRAID controllers (Dell PERC, many rack servers)"),
    DriverEntry("mpt3sas", "Broadcom/LSI SAS3 HBAs"),
    DriverEntry("xhci_pci", "USB 3 controllers, for USB boot disks"),
    DriverEntry("usb_storage", "USB mass storage"),
  ]

  /// NIC drivers for common hardware (V2P); missing ones are warnings.
  public static let hardwareNetwork: [DriverEntry] = [
    DriverEntry("e1000e", "Intel desktop and workstation NICs"),
    DriverEntry("e1000", "Intel PRO/1000 PCI NICs on older servers (and the NIC a test boot uses)"),
    DriverEntry("igb", "Intel 1 GbE server NICs"),
    DriverEntry("ixgbe", "Intel 10 GbE NICs"), DriverEntry("r8169", "Realtek NICs on most desktop boards"),
    DriverEntry("tg3", "Broadcom NetXtreme NICs"), DriverEntry("bnx2", "Broadcom NetXtreme II NICs"),
  ]

  /// The virtio drivers that go into every KVM guest's initramfs.
  static let kvmInitramfs = ["virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net"]

  /// The Linux drivers a guest needs on `platform`.
  public static func linux(for platform: TargetPlatform) -> LinuxDriverSet {
    switch platform {
    case .kvm(let k):
      let boot = kvmBoot[k.diskBus] ?? []
      let network = kvmNetwork[k.nicModel] ?? []
      var initramfs = kvmInitramfs
      for m in (boot + network).map(\.module) where !initramfs.contains(m) { initramfs.append(m) }
      return LinuxDriverSet(boot: boot, network: network, initramfs: initramfs)
    case .physical:
      // Virtio too, so the same image still boots in a VM.
      var initramfs = hardwareStorage.map(\.module) + hardwareNetwork.map(\.module)
      for m in kvmInitramfs where !initramfs.contains(m) { initramfs.append(m) }
      return LinuxDriverSet(boot: [sdMod], network: [], initramfs: initramfs)
    }
  }

  /// The modules a kernel must provide to boot from disks on `bus`.
  public static func linuxBootModules(for bus: KVMDiskBus) -> [String] { (kvmBoot[bus] ?? []).map(\.module) }

  /// The modules a kernel must provide to drive NICs of `model`.
  public static func linuxNetworkModules(for model: NICModel) -> [String] { (kvmNetwork[model] ?? []).map(\.module) }
}
