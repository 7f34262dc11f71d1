/// The machine to convert, as a reader found it: the one source vocabulary every stage speaks.
///
/// Readers (VMX, OVF/OVA, Xen, libvirt XML, physical) produce it; the planner and converters read it.
/// Pure value type: no I/O, no C.
public struct SourceVM: Sendable, Equatable, Codable {
  /// Guest name (VMX displayName, OVF VirtualSystem name, Xen `name`, libvirt `<name>`).
  public var name: String
  /// The hypervisor the machine ran on (or `.physical`).
  public var hypervisor: Hypervisor
  /// Memory in bytes.
  public var memoryBytes: UInt64
  /// Number of virtual CPUs.
  public var vcpus: Int
  /// CPU topology when the source states one (sockets × cores × threads).
  public var cpuTopology: CPUTopology?
  /// Boot firmware.
  public var firmware: Firmware
  /// Whether UEFI Secure Boot was enabled on the source.
  public var secureBoot: Bool
  /// The source's own UUID (SMBIOS/BIOS UUID), when stated.
  public var uuid: String?
  /// VM generation ID (VMware vm.genid/vm.genidX), when stated.
  public var genid: String?
  /// Hard disks, in the order the guest sees them (boot disk first).
  public var disks: [Disk]
  /// CD-ROM and floppy drives.
  public var removableMedia: [RemovableMedium]
  /// Network interfaces, in source order.
  public var nics: [NIC]
  /// How a Xen paravirtual guest was booted (kernel/bootloader), when that applies.
  public var paravirtBoot: ParavirtBoot?
  /// The guest OS the source metadata claims (VMX guestOS, OVF OperatingSystemSection), free text.
  public var guestOSHint: String?
  /// The file (or device) the description was read from.
  public var origin: String

  /// Creates a source VM; every field but the identity has a neutral default.
  public init(
    name: String, hypervisor: Hypervisor, memoryBytes: UInt64 = 1 << 30, vcpus: Int = 1,
    cpuTopology: CPUTopology? = nil, firmware: Firmware = .unknown, secureBoot: Bool = false,
    uuid: String? = nil, genid: String? = nil, disks: [Disk] = [],
    removableMedia: [RemovableMedium] = [], nics: [NIC] = [], paravirtBoot: ParavirtBoot? = nil,
    guestOSHint: String? = nil, origin: String
  ) {
    self.name = name
    self.hypervisor = hypervisor
    self.memoryBytes = memoryBytes
    self.vcpus = vcpus
    self.cpuTopology = cpuTopology
    self.firmware = firmware
    self.secureBoot = secureBoot
    self.uuid = uuid
    self.genid = genid
    self.disks = disks
    self.removableMedia = removableMedia
    self.nics = nics
    self.paravirtBoot = paravirtBoot
    self.guestOSHint = guestOSHint
    self.origin = origin
  }
}

/// Where a machine ran.
public enum Hypervisor: String, Sendable, Equatable, Codable, CaseIterable {
  case vmware, xen, kvm, qemu, virtualbox, hyperv, physical, unknown
}

/// Boot firmware of a machine.
public enum Firmware: String, Sendable, Equatable, Codable, CaseIterable {
  case bios, uefi, unknown
}

/// CPU topology: sockets × cores per socket × threads per core.
public struct CPUTopology: Sendable, Equatable, Codable {
  /// Sockets.
  public var sockets: Int
  /// Cores per socket.
  public var cores: Int
  /// Threads per core.
  public var threads: Int
  /// Creates a topology.
  public init(sockets: Int, cores: Int, threads: Int = 1) {
    self.sockets = sockets
    self.cores = cores
    self.threads = threads
  }
}

/// How a Xen PV/PVH guest was started: by a host-side bootloader or a host kernel.
public struct ParavirtBoot: Sendable, Equatable, Codable {
  /// Host bootloader (e.g. `pygrub`), if any.
  public var bootloader: String?
  /// Host-side kernel path, if any.
  public var kernel: String?
  /// Host-side initrd path, if any.
  public var ramdisk: String?
  /// Kernel command line (`extra`/`cmdline`, with `root=` folded in).
  public var cmdline: String?
  /// Creates a paravirtual boot description.
  public init(bootloader: String? = nil, kernel: String? = nil, ramdisk: String? = nil, cmdline: String? = nil) {
    self.bootloader = bootloader
    self.kernel = kernel
    self.ramdisk = ramdisk
    self.cmdline = cmdline
  }
}
