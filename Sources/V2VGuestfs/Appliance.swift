import Foundation
import Guestfs
import V2VCore
import V2VModel

/// Creates libguestfs handles configured for this host: the accelerator chosen by the probe, enough memory
/// for initramfs rebuilds, and the `direct` backend (no libvirtd needed).
public enum Appliance {
  /// A configured, not yet launched handle.
  public static func handle(accelerator: Accelerator, memoryMiB: Int = 1280, smp: Int = 2, debug: Bool = false) throws -> Guestfs {
    let g = try Guestfs()
    if ProcessInfo.processInfo.environment["LIBGUESTFS_BACKEND"] == nil { try g.setBackend("direct") }
    try g.setBackendSettings([accelerator.guestfsBackendSetting])
    try g.setMemSize(memoryMiB)
    try g.setSMP(smp)
    if debug { try g.setDebug(trace: true, verbose: true) }
    return g
  }
}

/// `v2v doctor`: the libguestfs appliance launches (and how long it took).
public struct ApplianceCheck: HostCheck {
  /// Which accelerator to launch with (read when the check runs, after the accelerator check).
  public var accelerator: () -> Accelerator
  public var name: String { "libguestfs appliance" }
  public var required: Bool { true }

  /// Creates the check.
  public init(accelerator: @escaping () -> Accelerator) { self.accelerator = accelerator }

  public func run() -> CheckResult {
    let accel = accelerator()
    let start = Date()
    do {
      let g = try Appliance.handle(accelerator: accel, smp: 1)
      try g.addDrive("/dev/null", format: "raw", readOnly: true)
      try g.launch()
      let secs = Date().timeIntervalSince(start)
      try g.shutdown()
      return CheckResult(.pass, String(format: "launched in %.1f s (%@)", secs, accel.rawValue.uppercased()), seconds: secs)
    } catch {
      return CheckResult(
        .fail, "cannot launch: \(error)",
        fix: "run scripts/setup-host.sh; then `libguestfs-test-tool` shows the details",
        seconds: Date().timeIntervalSince(start))
    }
  }
}
