import Foundation
import V2VModel

/// What the user asked of the output (`-on`, `-of`, `-oa`, `--network`, `--bridge`, …), as the planner reads it.
///
/// Where the disks go is the writer's business (``OutputWriter/plan(_:request:)``); everything here comes
/// from the command line. Validation happens in ``TargetPlanner/plan(_:options:)``, not here.
public struct PlanOptions: Sendable {
  /// `-on NAME`: the target's name; nil keeps the source's name.
  public var outputName: String?
  /// `-of`: the format of the output disks.
  public var diskFormat: OutputDiskFormat
  /// `-oa`: how the output disks are allocated (read by the disk copier, not recorded in the XML).
  public var allocation: DiskAllocation
  /// `--network` / `--bridge` arguments, in command-line order.
  public var networkMappings: [NetworkMapping]
  /// Where a NIC goes when no mapping names it and no bare `--network`/`--bridge` was given.
  public var defaultConnection: TargetNIC.Connection
  /// `--memory`: memory override in bytes.
  public var memoryBytes: UInt64?
  /// `--vcpus`: vCPU override.
  public var vcpus: Int?
  /// Video model override; nil chooses from the source's guest-OS hint.
  public var videoModel: VideoModel?
  /// Makes the target's UUID; tests inject a fixed one.
  public var uuidGenerator: @Sendable () -> String

  /// Creates options.
  public init(
    outputName: String? = nil, diskFormat: OutputDiskFormat = .raw, allocation: DiskAllocation = .sparse,
    networkMappings: [NetworkMapping] = [],
    defaultConnection: TargetNIC.Connection = .network("default"), memoryBytes: UInt64? = nil,
    vcpus: Int? = nil, videoModel: VideoModel? = nil,
    uuidGenerator: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
  ) {
    self.outputName = outputName
    self.diskFormat = diskFormat
    self.allocation = allocation
    self.networkMappings = networkMappings
    self.defaultConnection = defaultConnection
    self.memoryBytes = memoryBytes
    self.vcpus = vcpus
    self.videoModel = videoModel
    self.uuidGenerator = uuidGenerator
  }
}

/// One `--network` or `--bridge` argument: `IN:OUT` maps one source network or bridge, a bare `OUT`
/// is the default for every NIC no `IN:OUT` names.
public struct NetworkMapping: Sendable, Equatable {
  /// Which option it came from: it matches source NICs of this kind and connects them to a target of this kind.
  public enum Kind: String, Sendable, Equatable, CaseIterable {
    /// `--network`: source network name → libvirt network.
    case network
    /// `--bridge`: source bridge name → host bridge.
    case bridge
  }

  /// The option it came from.
  public var kind: Kind
  /// The source network or bridge name it maps; nil for a default.
  public var sourceName: String?
  /// The libvirt network or host bridge to connect to.
  public var targetName: String

  /// Creates a mapping.
  public init(kind: Kind, sourceName: String? = nil, targetName: String) {
    self.kind = kind
    self.sourceName = sourceName
    self.targetName = targetName
  }

  /// Parses `OUT` or `IN:OUT` (split at the first colon, as virt-v2v does; names may then contain colons
  /// only on the target side).
  public static func parse(_ argument: String, kind: Kind) throws(PlanError) -> NetworkMapping {
    guard let colon = argument.firstIndex(of: ":") else {
      guard !argument.isEmpty else { throw .badMapping(kind, argument, "empty name") }
      return NetworkMapping(kind: kind, targetName: argument)
    }
    let from = String(argument[..<colon])
    let to = String(argument[argument.index(after: colon)...])
    guard !from.isEmpty else { throw .badMapping(kind, argument, "empty source name before ':'") }
    guard !to.isEmpty else { throw .badMapping(kind, argument, "empty target name after ':'") }
    return NetworkMapping(kind: kind, sourceName: from, targetName: to)
  }

  /// The target connection this mapping makes.
  public var connection: TargetNIC.Connection {
    switch kind {
    case .network: return .network(targetName)
    case .bridge: return .bridge(targetName)
    }
  }
}
