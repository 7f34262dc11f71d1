import Foundation
import V2VModel

/// Facts about a physical machine that its disks cannot tell (`--name --memory --vcpus`).
public struct PhysicalMachineFacts: Sendable, Equatable {
  /// Machine name; the first disk's file name when nil.
  public var name: String?
  /// Memory in bytes; 2 GiB when nil.
  public var memoryBytes: UInt64?
  /// vCPUs; 2 when nil.
  public var vcpus: Int?

  /// Creates the facts.
  public init(name: String? = nil, memoryBytes: UInt64? = nil, vcpus: Int? = nil) {
    self.name = name
    self.memoryBytes = memoryBytes
    self.vcpus = vcpus
  }
}

/// Reads a physical machine (`-i physical DEVICE-OR-IMAGE...`): each location is a local block device or
/// raw image (or, later, an `nbd://`/`ssh://` URI, kept as `DiskSource.remote`). Firmware is guessed from
/// the first local disk's partition table.
public struct PhysicalReader: SourceReader {
  /// The machine facts from the command line.
  public var facts: PhysicalMachineFacts

  /// Creates the reader.
  public init(facts: PhysicalMachineFacts = PhysicalMachineFacts()) { self.facts = facts }

  /// Reads the disks at `locations`.
  public func read(_ locations: [String]) throws(ReaderError) -> SourceVM {
    guard let first = locations.first else { throw .unreadable(SourceLocation(file: "-"), "no disk given") }
    let defaultName = ((first as NSString).lastPathComponent as NSString).deletingPathExtension
    var vm = SourceVM(name: facts.name ?? defaultName, hypervisor: .physical, origin: first)
    vm.memoryBytes = facts.memoryBytes ?? 2 << 30
    vm.vcpus = facts.vcpus ?? 2
    guard vm.memoryBytes > 0 else { throw .invalidValue(SourceLocation(file: first, context: "--memory"), "memory must be positive") }
    guard vm.vcpus > 0 else { throw .invalidValue(SourceLocation(file: first, context: "--vcpus"), "vCPUs must be at least 1") }
    var origins: [DiskOrigin] = []
    for (i, loc) in locations.enumerated() {
      let target = "sd" + DeviceNames.letters(i)
      if loc.contains("://") {
        vm.disks.append(Disk(source: .remote(uri: loc), format: .raw, bus: .sata, targetName: target))
      } else {
        let path = FileAccess.absolute(loc)
        vm.disks.append(Disk(source: .file(path: path), format: .raw, bus: .sata, targetName: target))
      }
      origins.append(DiskOrigin(namedBy: SourceLocation(file: loc, context: "disk \(i + 1)")))
    }
    vm = try DiskFinisher.finish(MappedVM(vm: vm, diskOrigins: origins))
    if let local = vm.disks.first(where: { if case .remote = $0.source { false } else { true } }) {
      let path = local.source.displayPath
      if local.format == .raw {
        let table = try PartitionTable.parse { (o: UInt64, n: Int) throws(ReaderError) in try FileAccess.bytes(path, offset: o, count: n) }
        vm.firmware = table.impliedFirmware
      }
    }
    return vm
  }
}
