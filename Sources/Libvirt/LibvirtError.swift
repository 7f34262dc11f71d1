import CLibvirt

/// A libvirt call failed.
public struct LibvirtError: Error, Sendable, CustomStringConvertible {
  /// The libvirt function that failed (`virDomainDefineXML`, …).
  public var function: String
  /// libvirt's message (`virGetLastError`).
  public var message: String
  /// libvirt's error code (`virErrorNumber`), 0 when unknown.
  public var code: Int32

  /// Creates an error.
  public init(function: String, message: String, code: Int32 = 0) {
    self.function = function
    self.message = message
    self.code = code
  }

  /// Whether libvirt said the domain does not exist (`VIR_ERR_NO_DOMAIN`).
  public var isNoDomain: Bool { code == Int32(VIR_ERR_NO_DOMAIN.rawValue) }
  /// Whether libvirt said the storage pool does not exist (`VIR_ERR_NO_STORAGE_POOL`).
  public var isNoStoragePool: Bool { code == Int32(VIR_ERR_NO_STORAGE_POOL.rawValue) }

  /// `function: message`.
  public var description: String { "\(function): \(message)" }

  /// Reads and clears libvirt's last error (`virGetLastError`, `virResetLastError`).
  static func last(_ function: String) -> LibvirtError {
    defer { virResetLastError() }
    guard let e = virGetLastError() else { return LibvirtError(function: function, message: "unknown error") }
    let msg = e.pointee.message.map { String(cString: $0) } ?? "unknown error"
    return LibvirtError(function: function, message: msg, code: e.pointee.code)
  }
}
