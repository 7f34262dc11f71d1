import V2VCore
import V2VModel

/// Pins each NIC's old interface name to its MAC address (placeholder: filled in by the network work).
struct NetworkPinRule: LinuxRule {
  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {}
}
