import Foundation
import V2VModel

/// `--verify-boot`: boots the converted output (never writing it) on the bus and firmware it was settled on,
/// and decides from the serial console, or, for guests without one, from the root filesystem read back
/// after a boot of a throw-away overlay.
struct BootVerifier {
  let checker: BootChecker
  let launcher: ApplianceLauncher
  let events: JobEvents

  /// The NIC model of the test boot: the target's, or on physical hardware always an Intel e1000 (no virtio
  /// device at all, as on a real machine).
  static func nicModel(_ target: TargetVM, _ platform: TargetPlatform) -> NICModel {
    if case .physical = platform { return .e1000 }
    return target.nics.first?.model ?? .virtio
  }

  /// The NICs of the test boot: every NIC of the target, in order, with its MAC (a guest that names or
  /// configures its interfaces by MAC finds them); on physical hardware each is an e1000. A target without
  /// NICs still gets one (without a MAC), as before.
  static func nics(_ target: TargetVM, _ platform: TargetPlatform) -> [BootSpec.NIC] {
    guard !target.nics.isEmpty else { return [BootSpec.NIC(model: nicModel(target, platform))] }
    var physical = false
    if case .physical = platform { physical = true }
    return target.nics.map { BootSpec.NIC(model: physical ? .e1000 : $0.model, mac: $0.mac) }
  }

  func verify(
    _ target: TargetVM, _ request: ConversionRequest, inspection: GuestInspection, hasConsole: Bool, work: String
  ) throws -> (BootResult, applianceStarts: Int) {
    var spec = BootSpec(
      disks: target.disks.map { .init(path: $0.path, format: $0.format.rawValue, bus: $0.bus) },
      nics: Self.nics(target, request.platform), firmware: target.firmware,
      memoryMiB: Int(min(max(target.memoryBytes >> 20, 512), 2048)), accelerator: request.accelerator,
      timeout: request.bootTimeout)
    let still: (Double) -> Void = { secs in self.events.emit(.detail(String(format: "still booting (%.0f s)", secs))) }
    let useConsole = request.bootEvidence == .console || (request.bootEvidence == .auto && hasConsole)
    if useConsole { return (try checker.boot(spec, progress: still), 0) }

    // No console to read: boot a throw-away overlay (the output is only its backing file), then read back
    // whether the booted OS mounted its root filesystem read-write.
    var overlays: [OverlayDisk] = []
    for (i, d) in target.disks.enumerated() {
      overlays.append(try Overlays.create(over: d.path, format: d.format.rawValue, at: "\(work)/verify-\(i).qcow2"))
    }
    spec.disks = zip(overlays, target.disks).map { o, d in .init(path: o.path, format: o.format, bus: d.bus, snapshot: false) }
    spec.timeout = min(request.bootTimeout, 150)
    let started = Date()
    let console = try checker.boot(spec, progress: still)
    // A failure on the console (root not found, panic) is decisive; a success only ends the boot early, and
    // the read-back below still decides.
    if console.outcome == .failed || console.outcome == .qemuError { return (console, 0) }
    events.emit(.detail("reading the test boot's root filesystem back (\(inspection.root))"))
    let appliance = try launcher.launch(
      disks: overlays, accelerator: request.accelerator, verbose: request.verbose, report: { events.emit(.detail($0)) })
    defer { try? appliance.close() }
    let seconds = Date().timeIntervalSince(started)
    if let mounted = appliance.lastMountTime(device: inspection.root), mounted >= started.addingTimeInterval(-60) {
      let at = Int(mounted.timeIntervalSince(started).rounded())
      return (
        BootResult(
          passed: true, outcome: .booted,
          evidence: "the booted OS mounted its root filesystem read-write \(at) s into the boot (read back from the test boot's overlay)",
          seconds: seconds), 1
      )
    }
    if console.passed { return (console, 1) }
    return (
      BootResult(
        passed: false, outcome: .timedOut,
        evidence: "no console evidence, and the root filesystem \(inspection.root) was not mounted read-write within \(Int(spec.timeout)) s",
        seconds: seconds), 1
    )
  }
}
