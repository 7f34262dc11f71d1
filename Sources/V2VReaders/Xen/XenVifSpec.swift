import V2VModel

/// One Xen `vif = [...]` entry (`mac=00:16:3e:..., bridge=xenbr0, model=e1000, type=ioemu`), parsed
/// without I/O.
public struct XenVifSpec: Sendable, Equatable {
  /// MAC address, normalised, when given.
  public var mac: String?
  /// Host bridge, when given.
  public var bridge: String?
  /// Emulated model (`model=`), when given.
  public var model: String?
  /// `type=` (`ioemu` for an emulated NIC on HVM, `vif` for PV only).
  public var type: String?

  /// Parses one spec; `at` names the list entry in errors.
  public static func parse(_ spec: String, at: SourceLocation) throws(ReaderError) -> XenVifSpec {
    var v = XenVifSpec()
    for item in spec.split(separator: ",") {
      let text = item.trimmingCharacters(in: " ")
      if text.isEmpty { continue }
      guard let eq = text.firstIndex(of: "=") else { throw .syntax(at, "expected key=value in vif spec, found '\(text)'") }
      let key = text[..<eq].lowercased()
      let value = String(text[text.index(after: eq)...])
      switch key {
      case "mac":
        guard let m = MACAddress.normalize(value) else { throw .invalidValue(at, "malformed MAC address '\(value)'") }
        v.mac = m
      case "bridge": v.bridge = value
      case "model": v.model = value
      case "type": v.type = value
      default: readerLog.debug("ignoring Xen vif parameter", metadata: ["at": "\(at)", "key": "\(key)"])
      }
    }
    return v
  }
}
