/// A hard disk of the source machine.
public struct Disk: Sendable, Equatable, Codable {
  /// Where the disk's bytes are.
  public var source: DiskSource
  /// Image format of the bytes at `source` (after decompression, if any).
  public var format: DiskFormat
  /// The bus the source attached the disk to.
  public var bus: Bus
  /// Controller model on that bus when known (`lsilogic`, `pvscsi`, `ahci`, …).
  public var controllerModel: String?
  /// The device name the source gave it (`sda`, `xvda`, `hdc`, `scsi0:1`), when known.
  public var targetName: String?
  /// Virtual size in bytes, when the metadata states it (else read from the image later).
  public var capacityBytes: UInt64?
  /// Whether the source attached it read-only.
  public var readOnly: Bool
  /// The VMware sub-format of a VMDK (`monolithicSparse`, `streamOptimized`, …), when known.
  public var vmdkVariant: String?
  /// Snapshot chain, newest first, ending at the base image; empty when the disk is a single file.
  public var chain: [String]

  /// Creates a disk.
  public init(
    source: DiskSource, format: DiskFormat, bus: Bus, controllerModel: String? = nil,
    targetName: String? = nil, capacityBytes: UInt64? = nil, readOnly: Bool = false,
    vmdkVariant: String? = nil, chain: [String] = []
  ) {
    self.source = source
    self.format = format
    self.bus = bus
    self.controllerModel = controllerModel
    self.targetName = targetName
    self.capacityBytes = capacityBytes
    self.readOnly = readOnly
    self.vmdkVariant = vmdkVariant
    self.chain = chain
  }
}

/// Where a disk's bytes live.
public enum DiskSource: Sendable, Equatable, Codable {
  /// A regular file on this host.
  case file(path: String)
  /// A block device on this host.
  case block(path: String)
  /// A byte range inside an archive (an uncompressed member of an OVA tar), read in place.
  case archiveMember(archive: String, member: String, offset: UInt64, length: UInt64)
  /// A disk reached over the network (NBD or SSH URI); read by qemu/nbdkit.
  case remote(uri: String)

  /// A human-readable location: the path, `archive/member`, or the URI.
  public var displayPath: String {
    switch self {
    case .file(let p), .block(let p): return p
    case .archiveMember(let a, let m, _, _): return "\(a)/\(m)"
    case .remote(let u): return u
    }
  }
}

/// Disk image formats v2v reads.
public enum DiskFormat: String, Sendable, Equatable, Codable, CaseIterable {
  case raw, qcow2, vmdk, vdi, vhd, vhdx
}

/// Buses disks and removable media attach to.
public enum Bus: String, Sendable, Equatable, Codable, CaseIterable {
  case ide, sata, scsi, nvme, virtio, xen, usb, fdc
}

/// A CD-ROM or floppy drive.
public struct RemovableMedium: Sendable, Equatable, Codable {
  /// The kind of drive.
  public var kind: Kind
  /// The bus it is attached to.
  public var bus: Bus
  /// The inserted image, if any.
  public var path: String?

  /// Drive kinds.
  public enum Kind: String, Sendable, Equatable, Codable, CaseIterable {
    case cdrom, floppy
  }

  /// Creates a removable-media drive.
  public init(kind: Kind, bus: Bus, path: String? = nil) {
    self.kind = kind
    self.bus = bus
    self.path = path
  }
}
