import V2VModel
import Foundation

/// An overlay disk handed to the appliance: the copy-on-write file the conversion writes to.
public struct OverlayDisk: Sendable, Equatable {
  /// The qcow2 overlay path.
  public var path: String
  /// Its format (`qcow2`).
  public var format: String
  /// Creates an overlay description.
  public init(path: String, format: String = "qcow2") {
    self.path = path
    self.format = format
  }
}

/// How to choose among several operating systems (`--root`).
public enum RootChoice: Sendable, Equatable {
  /// The only one; several is an error.
  case single
  /// The first one found.
  case first
  /// This device.
  case device(String)

  /// Parses `single`, `first` or a `/dev/…` path.
  public init?(argument: String) {
    switch argument {
    case "single", "ask": self = .single
    case "first": self = .first
    default:
      guard argument.hasPrefix("/dev/") else { return nil }
      self = .device(argument)
    }
  }

  /// Picks a root from `roots` (sorted), or throws a ``ConversionError``.
  public func choose(from roots: [String]) throws -> String {
    let roots = roots.sorted()
    guard !roots.isEmpty else { throw ConversionError.noOperatingSystem }
    switch self {
    case .single:
      guard roots.count == 1 else { throw ConversionError.multipleRoots(roots) }
      return roots[0]
    case .first: return roots[0]
    case .device(let d):
      guard roots.contains(d) else { throw ConversionError.rootNotFound(d, roots) }
      return d
    }
  }
}

/// A running appliance with the overlays attached: inspection, mounting, trimming, and the guest session.
/// One per conversion (a start costs ~30 s under TCG).
public protocol GuestAppliance: GuestSession {
  /// Operating-system roots on the disks.
  func roots() throws -> [String]
  /// Inspects `root`.
  func inspect(root: String) throws -> GuestInspection
  /// Mounts the guest's filesystems at their mountpoints (read-only for `--dry-run`).
  func mount(_ inspection: GuestInspection, readOnly: Bool) throws
  /// The appliance kernel's name for each of the first `diskCount` disks (`/dev/sdb` when the appliance's
  /// own disk took `sda`), learned from the mounted guest; nil entries where no filesystem of that disk is
  /// mounted. Call after ``mount(_:readOnly:)``.
  func kernelDiskNames(diskCount: Int, inspection: GuestInspection) -> [String?]
  /// When the ext2/3/4 filesystem on `device` was last mounted read-write (its superblock's "Last mount
  /// time"), nil for other filesystems or when never mounted. Needs no mounting.
  func lastMountTime(device: String) -> Date?
  /// Discards unused blocks in every mounted filesystem so the copy skips them; failures are warnings.
  func trim() -> [String]
  /// Unmounts, syncs and stops the appliance.
  func close() throws
  /// Encrypted volumes on the disks (BitLocker, LUKS): inspection cannot see inside them.
  func encryptedVolumes() -> [EncryptedVolume]
}

extension GuestAppliance {
  /// None, unless the appliance can tell.
  public func encryptedVolumes() -> [EncryptedVolume] { [] }
}

/// A volume v2v cannot read because it is encrypted.
public struct EncryptedVolume: Sendable, Equatable {
  /// Kinds of encryption recognised by their on-disk signature.
  public enum Kind: String, Sendable, Equatable {
    /// Windows BitLocker (`-FVE-FS-`).
    case bitlocker = "BitLocker"
    /// Linux LUKS.
    case luks = "LUKS"
  }
  /// The appliance's device name (`/dev/sda2`).
  public var device: String
  /// Which encryption.
  public var kind: Kind

  /// Creates a description.
  public init(device: String, kind: Kind) {
    self.device = device
    self.kind = kind
  }
}

/// Starts appliances.
public protocol ApplianceLauncher {
  /// Starts one appliance with `disks` attached, in order; `report` hears of a start that had to be retried.
  func launch(disks: [OverlayDisk], accelerator: Accelerator, verbose: Bool, report: (String) -> Void) throws -> any GuestAppliance
}

extension ApplianceLauncher {
  /// Starts one appliance, saying nothing of retries.
  public func launch(disks: [OverlayDisk], accelerator: Accelerator, verbose: Bool) throws -> any GuestAppliance {
    try launch(disks: disks, accelerator: accelerator, verbose: verbose, report: { _ in })
  }
}
