import Foundation
import V2VModel

/// Everything a conversion needs to know besides where the output goes.
public struct ConversionRequest: Sendable {
  /// The source machine, as a reader found it.
  public var source: SourceVM
  /// What the converted machine will run on (`--block-driver`; physical hardware for V2P).
  public var platform: TargetPlatform = .kvmDefault
  /// Which OS to convert when the disks hold several (`--root`).
  public var rootChoice: RootChoice = .single
  /// KVM or TCG for the appliance and the test boot.
  public var accelerator: Accelerator = .tcg
  /// Inspect and list the changes, write nothing (`--dry-run`).
  public var dryRun = false
  /// Boot the result and look for evidence the OS came up (`--verify-boot`).
  public var verifyBoot = false
  /// Seconds the test boot may take.
  public var bootTimeout: Double = 400
  /// What counts as proof of a boot (`--boot-evidence`).
  public var bootEvidence: BootEvidence = .auto
  /// Replace an existing output of the same name (`--overwrite`).
  public var overwrite = false
  /// Where overlays live during the conversion (removed afterwards).
  public var workDirectory: String = NSTemporaryDirectory()
  /// How the target is planned: name, disk format and allocation, network mappings, overrides.
  public var plan = PlanOptions()
  /// Verbose appliance and detail output (`-v`).
  public var verbose = false
  /// Where Windows drivers come from, and what to do when they are missing.
  public var windows = WindowsOptions()
  /// Linux choices: interface names, MAC mappings, mounts of disks that are not converted.
  public var linux = LinuxOptions()

  /// Creates a request for `source`.
  public init(source: SourceVM) { self.source = source }
}

/// Windows conversion choices (`--virtio-win`, `--allow-emulated`).
public struct WindowsOptions: Sendable, Equatable {
  /// A virtio-win directory or ISO (`--virtio-win`); nil: `VIRTIO_WIN`, then the distribution's usual places.
  public var virtioWin: String?
  /// When a virtio driver the guest needs is missing, settle on emulated devices (SATA disks, e1000e NICs)
  /// with a warning instead of refusing (`--allow-emulated`).
  public var allowEmulated = false

  /// Creates options.
  public init(virtioWin: String? = nil, allowEmulated: Bool = false) {
    self.virtioWin = virtioWin
    self.allowEmulated = allowEmulated
  }
}

/// Linux conversion choices (`--nic-names`, `--mac`, `--missing-mounts`).
public struct LinuxOptions: Sendable, Equatable {
  /// Whether each NIC's old interface name is pinned to its MAC address in the converted guest, so that the
  /// guest's own network configuration (which names `ens192`, `eth0`) applies unchanged on the new hardware.
  public enum NICNames: String, Sendable, CaseIterable {
    /// Pin the old names (the default).
    case pin
    /// Change nothing; warn about configuration naming interfaces the target will not have.
    case leave
  }

  /// What to do with an fstab, crypttab or swap entry whose device is on none of the converted disks.
  public enum MissingMounts: String, Sendable, CaseIterable {
    /// Warn (the guest may stop in emergency mode at boot).
    case warn
    /// Add `nofail` (fstab) or `nofail` (crypttab) so the boot goes on without it.
    case nofail
    /// Comment the entry out.
    case comment
  }

  /// `--nic-names`.
  public var nicNames: NICNames = .pin
  /// `--mac OLD:NEW`: the NIC with source MAC OLD has MAC NEW on the target (V2P onto a machine's own NICs);
  /// lower-case colon form, old → new.
  public var macMap: [String: String] = [:]
  /// `--missing-mounts`.
  public var missingMounts: MissingMounts = .warn

  /// Creates options.
  public init(nicNames: NICNames = .pin, macMap: [String: String] = [:], missingMounts: MissingMounts = .warn) {
    self.nicNames = nicNames
    self.macMap = macMap
    self.missingMounts = missingMounts
  }

  /// Parses a `--mac` value, `OLD:NEW` (two colon-form MACs joined by `:`) or `OLD=NEW` (any MAC spelling);
  /// nil when it is neither.
  public static func parseMACMapping(_ text: String) -> (old: String, new: String)? {
    let parts: [String]
    if text.contains("=") {
      parts = text.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
    } else {
      let fields = text.split(separator: ":", omittingEmptySubsequences: false)
      guard fields.count == 12 else { return nil }
      parts = [fields[0..<6].joined(separator: ":"), fields[6..<12].joined(separator: ":")]
    }
    guard parts.count == 2, let old = MACAddress.normalize(parts[0]), let new = MACAddress.normalize(parts[1]) else { return nil }
    return (old, new)
  }
}

/// What a conversion did, for the summary and `--json`.
public struct ConversionResult: Sendable, Codable {
  /// The job that produced it.
  public var job: String
  /// Output name.
  public var name: String
  /// Output kind.
  public var output: OutputKind
  /// The platform the guest was converted for, as settled (`KVM, virtio-scsi disks, virtio NICs`).
  public var platform: TargetPlatform
  /// What was created (paths, libvirt domain).
  public var artifacts: [String]
  /// What inspection found.
  public var guest: GuestInspection?
  /// Changes made (or, for a dry run, that would be made), warnings and the guest's capabilities.
  public var conversion: ConversionReport
  /// Warnings from every stage.
  public var warnings: [String]
  /// The test boot, when `--verify-boot` was given.
  public var boot: BootResult?
  /// Seconds per stage, in order.
  public var stages: [StageTime]
  /// Appliance starts (one per conversion, two with the filesystem read-back).
  public var applianceStarts: Int
  /// Bytes allocated by the output disks.
  public var outputBytes: UInt64
  /// Whether this was a dry run.
  public var dryRun: Bool
  /// The domain XML written or defined.
  public var domainXML: String?
  /// What writers that own their copy did with each disk (`-o physical`: bytes, zeroing, SHA-256, read-back).
  public var writes: [DiskWriteReport] = []

  /// A stage and how long it took.
  public struct StageTime: Sendable, Codable {
    /// Stage name.
    public var stage: String
    /// Seconds.
    public var seconds: Double
  }
}

/// What `--verify-boot` takes as proof that the converted OS came up.
public enum BootEvidence: String, Sendable, CaseIterable {
  /// The serial console when the guest has one configured, else the filesystem read-back.
  case auto
  /// A marker, login prompt or systemd target on the serial console.
  case console
  /// Boot a throw-away overlay, then read its root filesystem's superblock: mounted read-write by the booted
  /// OS after the boot started. Works for guests with no serial console; costs a second appliance start.
  case filesystem
}
