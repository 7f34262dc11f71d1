import V2VModel

/// Decides what each source NIC connects to on the target, from `--network` / `--bridge` arguments.
///
/// For a NIC, in order: an `IN:OUT` mapping naming its source network (`--network`) or source bridge
/// (`--bridge`); the bare default of its own kind; the bare default of the other kind; the fallback
/// (libvirt network `default` unless the caller says otherwise). A NIC with neither a network nor a bridge
/// name counts as a network NIC.
public struct NetworkMapper: Sendable {
  private var specific: [NetworkMapping.Kind: [String: NetworkMapping]] = [:]
  private var defaults: [NetworkMapping.Kind: NetworkMapping] = [:]
  private let mappings: [NetworkMapping]
  private let fallback: TargetNIC.Connection

  /// Checks the mappings for duplicates and indexes them.
  public init(mappings: [NetworkMapping], fallback: TargetNIC.Connection = .network("default")) throws(PlanError) {
    self.mappings = mappings
    self.fallback = fallback
    for m in mappings {
      if let from = m.sourceName {
        if specific[m.kind]?[from] != nil { throw .duplicateMapping(m.kind, from) }
        specific[m.kind, default: [:]][from] = m
      } else {
        if let previous = defaults[m.kind] { throw .duplicateDefault(m.kind, previous.targetName, m.targetName) }
        defaults[m.kind] = m
      }
    }
  }

  /// The target connection for `nic`.
  public func connection(for nic: NIC) -> TargetNIC.Connection {
    if let n = nic.network, let m = specific[.network]?[n] { return m.connection }
    if let b = nic.bridge, let m = specific[.bridge]?[b] { return m.connection }
    let own: NetworkMapping.Kind = (nic.network == nil && nic.bridge != nil) ? .bridge : .network
    let other: NetworkMapping.Kind = own == .network ? .bridge : .network
    if let m = defaults[own] ?? defaults[other] { return m.connection }
    return fallback
  }

  /// Warnings for `IN:OUT` mappings whose source name no NIC in `nics` carries (likely a typo).
  public func unusedMappingWarnings(for nics: [NIC]) -> [String] {
    let networks = Set(nics.compactMap(\.network))
    let bridges = Set(nics.compactMap(\.bridge))
    var warnings: [String] = []
    for m in mappings {
      guard let from = m.sourceName else { continue }
      let names = m.kind == .network ? networks : bridges
      guard !names.contains(from) else { continue }
      let known = names.isEmpty ? "none" : names.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
      var line =
        "--\(m.kind.rawValue) \"\(from):\(m.targetName)\": the source has no \(m.kind.rawValue) "
        + "named \"\(from)\" (source \(m.kind.rawValue)s: \(known))"
      let otherNames = m.kind == .network ? bridges : networks
      if otherNames.contains(from) {
        line += "; it is a source \(m.kind == .network ? "bridge: use --bridge" : "network: use --network")"
      }
      warnings.append(line)
    }
    return warnings
  }
}
