import V2VModel
import Foundation

/// How qemu (and the libguestfs appliance) runs guests.
public enum Accelerator: String, Sendable, Codable, CaseIterable {
  /// Hardware virtualisation through /dev/kvm.
  case kvm
  /// Software emulation (TCG): slow, works everywhere.
  case tcg

  /// The `-machine accel=` value.
  public var qemuName: String { rawValue }
  /// The libguestfs backend setting that forces it (`force_kvm` / `force_tcg`).
  public var guestfsBackendSetting: String { "force_\(rawValue)" }
}

/// The user's choice: an accelerator, or `auto` (probe KVM for real, fall back to TCG).
public enum AcceleratorChoice: String, Sendable, CaseIterable {
  case auto, kvm, tcg
}
