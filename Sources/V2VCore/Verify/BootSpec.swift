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

  /// Disks, boot disk first.
  public var disks: [Disk]
  /// NIC model, nil for none.
  public var nicModel: NICModel?
  /// MAC address for the NIC, nil for qemu's default.
  public var mac: String?
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
    "Gave up waiting for root", "ALERT!", "(initramfs)", "Kernel panic", "dracut-initqueue: Warning: Could not boot",
    "Entering emergency mode", "You are in emergency mode", "Give root password for maintenance",
    "No bootable device", "Boot failed: not a bootable disk", "error: no such device",
  ]

  /// Creates a spec with the defaults: BIOS, 1 GiB, TCG, 300 s, virtio NIC.
  public init(
    disks: [Disk], nicModel: NICModel? = .virtio, mac: String? = nil, firmware: Firmware = .bios,
    memoryMiB: Int = 1024, accelerator: Accelerator = .tcg, timeout: Double = 300,
    successPatterns: [String] = BootSpec.defaultSuccessPatterns,
    failurePatterns: [String] = BootSpec.defaultFailurePatterns, consoleLog: String? = nil
  ) {
    self.disks = disks
    self.nicModel = nicModel
    self.mac = mac
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
