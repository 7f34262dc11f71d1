import Foundation
/// A network interface of the source machine.
public struct NIC: Sendable, Equatable, Codable {
  /// MAC address, lower-case colon form (`00:50:56:aa:bb:cc`), or nil when the source generates one.
  public var mac: String?
  /// Device model on the source (`e1000`, `vmxnet3`, `virtio`, `rtl8139`, …), when known.
  public var model: String?
  /// The named network (VMware networkName, libvirt network), if any.
  public var network: String?
  /// The host bridge (Xen `bridge=`, libvirt bridge source), if any.
  public var bridge: String?
  /// The PCI slot number the source gives the NIC (VMware `ethernetN.pciSlotNumber`, the OVF
  /// `slotInfo.pciSlotNumber`), when known: the guest's predictable name follows from it (192 → `ens192`).
  public var pciSlot: Int?

  /// Creates a NIC.
  public init(mac: String? = nil, model: String? = nil, network: String? = nil, bridge: String? = nil, pciSlot: Int? = nil) {
    self.mac = mac
    self.model = model
    self.network = network
    self.bridge = bridge
    self.pciSlot = pciSlot
  }
}

/// MAC address helpers shared by readers.
public enum MACAddress {
  /// Normalises `00-50-56-AA-BB-CC`, `0050.56aa.bbcc` or `00:50:56:AA:BB:CC` to lower-case colon form;
  /// nil when the text is not six bytes of hex.
  public static func normalize(_ text: String) -> String? {
    let hex = text.lowercased().filter { $0 != ":" && $0 != "-" && $0 != "." }
    guard hex.count == 12, hex.allSatisfy({ $0.isHexDigit }) else { return nil }
    var out = ""
    for (i, c) in hex.enumerated() {
      if i > 0 && i % 2 == 0 { out.append(":") }
      out.append(c)
    }
    return out
  }

  /// A new MAC address in the range QEMU and libvirt use for guests (`52:54:00:xx:xx:xx`, locally
  /// administered, unicast), its last three bytes random.
  public static func randomKVM() -> String {
    "52:54:00:" + (0..<3).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined(separator: ":")
  }
}
