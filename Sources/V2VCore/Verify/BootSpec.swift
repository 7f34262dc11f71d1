import V2VModel

/// What to boot and how: the disks (on which bus), the NIC, the firmware and what counts as a boot.
public struct BootSpec: Sendable {
  /// A disk as qemu attaches it.
  public struct Disk: Sendable {
    /// Image path.
    public var path: String
    /// qemu format name (`raw`, `qcow2`, `vmdk`).
    public var format: String
    /// Attachment: `.virtio` (virtio-blk), `.scsi` (virtio-scsi), `.sata` (q35 AHCI), `.ide` (PIIX, on
    /// the `pc` machine).
    public var bus: Bus
    /// Whether writes are discarded (`snapshot=on`). Only a throw-away overlay may be booted writable.
    public var snapshot: Bool
    /// Creates a disk.
    public init(path: String, format: String, bus: Bus, snapshot: Bool = true) {
      self.path = path
      self.format = format
      self.bus = bus
      self.snapshot = snapshot
    }
  }

  /// A NIC as qemu attaches it: its own `-netdev user,restrict=on` (no way out of the host) and a device.
  public struct NIC: Sendable, Equatable {
    /// Device model.
    public var model: NICModel
    /// MAC address, nil for qemu's default (qemu numbers its defaults, so several NICs never collide).
    public var mac: String?
    /// Creates a NIC.
    public init(model: NICModel, mac: String? = nil) {
      self.model = model
      self.mac = mac
    }
  }

  /// Disks, boot disk first.
  public var disks: [Disk]
  /// NICs, in the order the guest sees them (qemu gives each the next free PCI slot); empty for none.
  public var nics: [NIC]
  /// The first NIC's model, nil for none (setting nil removes every NIC).
  public var nicModel: NICModel? {
    get { nics.first?.model }
    set {
      guard let m = newValue else { return nics = [] }
      if nics.isEmpty { nics = [NIC(model: m)] } else { nics[0].model = m }
    }
  }
  /// The first NIC's MAC address, nil for qemu's default.
  public var mac: String? {
    get { nics.first?.mac }
    set { if !nics.isEmpty { nics[0].mac = newValue } }
  }
  /// BIOS or UEFI (OVMF).
  public var firmware: Firmware
  /// Guest memory, MiB.
  public var memoryMiB: Int
  /// KVM or TCG.
  public var accelerator: Accelerator
  /// Give up after this many seconds.
  public var timeout: Double
  /// Console text that proves the OS came up (checked in order).
  public var successPatterns: [String]
  /// Console text that proves it did not (root not found, rescue shell, panic).
  public var failurePatterns: [String]
  /// Where to keep the serial console log (nil: a temporary file, removed afterwards).
  public var consoleLog: String?

  /// Evidence of a booted Linux: v2v's fixture marker, a login prompt, systemd reaching its default target.
  public static let defaultSuccessPatterns = [
    "V2V-BOOT-MARKER", "Reached target multi-user.target", "Reached target Multi-User System",
    "Reached target graphical.target", "Reached target Graphical Interface", " login: ",
  ]
  /// Evidence of a failed boot: the initramfs could not find the root, a rescue shell, a kernel panic.
  public static let defaultFailurePatterns = [
    "Gave up waiting for root", "ALERT!", "(initramfs)", "Kernel panic",
    // dracut: `dracut-initqueue[PID]: Warning: Could not boot.` (systemd) or `dracut Warning: Could not boot.`,
    // the initqueue's timeout warning, and the report written before its emergency shell.
    "Warning: Could not boot", "dracut-initqueue: timeout, still waiting", "Generating \"/run/initramfs/rdsosreport.txt\"",
    "Entering emergency mode", "You are in emergency mode", "Give root password for maintenance",
    "No bootable device", "Boot failed: not a bootable disk", "error: no such device",
  ]

  /// Creates a spec with the defaults: BIOS, 1 GiB, TCG, 300 s, one virtio NIC. `nics`, when given, replaces
  /// the one NIC that `nicModel` and `mac` describe.
  public init(
    disks: [Disk], nicModel: NICModel? = .virtio, mac: String? = nil, nics: [NIC]? = nil, firmware: Firmware = .bios,
    memoryMiB: Int = 1024, accelerator: Accelerator = .tcg, timeout: Double = 300,
    successPatterns: [String] = BootSpec.defaultSuccessPatterns,
    failurePatterns: [String] = BootSpec.defaultFailurePatterns, consoleLog: String? = nil
  ) {
    self.disks = disks
    self.nics = nics ?? nicModel.map { [NIC(model: $0, mac: mac)] } ?? []
    self.firmware = firmware
    self.memoryMiB = memoryMiB
    self.accelerator = accelerator
    self.timeout = timeout
    self.successPatterns = successPatterns
    self.failurePatterns = failurePatterns
    self.consoleLog = consoleLog
  }
}

/// The outcome of a test boot.
public struct BootResult: Sendable, Codable, Equatable {
  /// Whether the OS came up.
  public var passed: Bool
  /// What decided it.
  public var outcome: Outcome
  /// The console line (or reason) that decided it.
  public var evidence: String
  /// Seconds from qemu start to the decision.
  public var seconds: Double
  /// The serial console log, when it was kept.
  public var consoleLog: String?
  /// Console lines carrying a `V2V-` marker (v2v's test fixtures print them; a guest's own first-boot
  /// checks can too), in order, up to the decision; nil when there were none.
  public var markers: [String]?

  /// What decided a boot.
  public enum Outcome: String, Sendable, Codable {
    /// A success pattern appeared on the console.
    case booted
    /// A failure pattern appeared (root not found, rescue shell, panic).
    case failed
    /// Neither appeared within the time limit.
    case timedOut
    /// qemu itself exited or refused the configuration.
    case qemuError
  }
}
