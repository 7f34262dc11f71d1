import V2VCore
import V2VModel

/// Reads every network configuration system in the guest into a ``NetworkInventory`` (placeholder: the
/// parsers are being written).
enum NetworkConfigScanner {
  /// The inventory of the guest's network configuration.
  static func scan(_ session: GuestSession) throws -> NetworkInventory { NetworkInventory() }

  /// `text` (a file of `system`) with every MAC address it binds to replaced through `map` (old → new,
  /// lower-case colon form), in the spelling the file used; unchanged when it names none of them.
  static func rewritingMACs(in text: String, system: NetworkConfigSystem, map: [String: String]) -> String { text }
}
