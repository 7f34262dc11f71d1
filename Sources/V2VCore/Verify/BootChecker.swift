import Foundation
import V2VModel
import V2VProcess

/// Boots disk images under qemu and reads the serial console to decide whether the OS came up.
///
/// Never writes to the images: drives are opened with `snapshot=on` (writes go to a temporary overlay qemu
/// discards), except throw-away overlays a caller marks `snapshot: false` to read them back afterwards. qemu is always killed before `boot` returns, whatever happened.
public struct BootChecker: Sendable {
  /// Where OVMF lives (its variable-store template is copied for each boot).
  public var ovmf: OVMFPaths
  /// Poll interval for the console log.
  public var pollInterval: Double
  /// The emulator (a test puts a fake in its place).
  public var qemu: String

  /// Creates a checker with Debian's OVMF paths.
  public init(ovmf: OVMFPaths = .debian, pollInterval: Double = 0.5, qemu: String = "qemu-system-x86_64") {
    self.ovmf = ovmf
    self.pollInterval = pollInterval
    self.qemu = qemu
  }

  /// Console lines that blame the emulator, not the guest: under TCG on a loaded host the kernel's timer
  /// check can miss its window ("IO-APIC + timer doesn't work!") and panic a guest that boots fine on the
  /// next try.
  public static let emulatorFaults = ["IO-APIC + timer doesn't work"]

  /// Boots `spec` and watches the console until a pattern decides, qemu exits, or the time limit passes;
  /// a boot that fails on an ``emulatorFaults`` line is tried once more, and the evidence says so.
  /// `progress` is called with the elapsed seconds about every 10 s.
  public func boot(_ spec: BootSpec, progress: ((Double) -> Void)? = nil) throws -> BootResult {
    let first = try bootOnce(spec, progress: progress)
    guard first.outcome == .failed, Self.emulatorFaults.contains(where: first.evidence.contains) else { return first }
    var second = try bootOnce(spec, progress: progress)
    second.evidence += " (second boot: the first stopped on an emulator fault: \(first.evidence))"
    second.seconds += first.seconds
    return second
  }

  func bootOnce(_ spec: BootSpec, progress: ((Double) -> Void)?) throws -> BootResult {
    let fm = FileManager.default
    let work = fm.temporaryDirectory.appendingPathComponent("v2v-boot-\(UUID().uuidString)").path
    try fm.createDirectory(atPath: work, withIntermediateDirectories: true)
    defer { try? fm.removeItem(atPath: work) }
    let log = spec.consoleLog ?? "\(work)/console.log"
    _ = fm.createFile(atPath: log, contents: nil)

    let argv = try qemuArguments(spec, consoleLog: log, work: work)
    let errFile = "\(work)/qemu.stderr"
    let start = Date()
    // Its own process group, reported to the job's scope while it runs (ProcessTracking.observer).
    let p = try ProcessRunner.start(argv, stdout: nil, stderr: errFile)
    defer { p.terminate(grace: 3) }

    var lastProgress = 0.0
    var text = ""
    func result(_ passed: Bool, _ outcome: BootResult.Outcome, _ evidence: String) -> BootResult {
      let markers = Self.markerLines(in: text)
      return BootResult(
        passed: passed, outcome: outcome, evidence: evidence, seconds: Date().timeIntervalSince(start),
        consoleLog: spec.consoleLog, markers: markers.isEmpty ? nil : markers)
    }
    while true {
      text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? String(decoding: fm.contents(atPath: log) ?? Data(), as: UTF8.self)
      if let line = Self.firstLine(in: text, matching: spec.successPatterns) { return result(true, .booted, line) }
      if let line = Self.firstLine(in: text, matching: spec.failurePatterns) { return result(false, .failed, line) }
      let elapsed = Date().timeIntervalSince(start)
      if !p.isRunning {
        let err = (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? ""
        let why = err.split(separator: "\n").last.map(String.init) ?? "exit status \(p.terminationStatus ?? -1)"
        return result(false, .qemuError, "qemu exited: \(why)")
      }
      if elapsed > spec.timeout {
        let tail = text.split(whereSeparator: \.isNewline).last.map { String($0).trimmingCharacters(in: .whitespaces) }
        return result(false, .timedOut, "no boot evidence within \(Int(spec.timeout)) s; last console line: \(tail ?? "(none)")")
      }
      if elapsed - lastProgress >= 10 {
        lastProgress = elapsed
        progress?(elapsed)
      }
      usleep(UInt32(pollInterval * 1_000_000))
    }
  }

  /// The qemu command line for `spec` (exposed for tests and `-o qemu` scripts).
  public func qemuArguments(_ spec: BootSpec, consoleLog: String, work: String) throws -> [String] {
    let pcMachine = spec.disks.contains { $0.bus == .ide }
    var a = [
      qemu, "-machine", "\(pcMachine ? "pc" : "q35"),accel=\(spec.accelerator.qemuName)",
      "-m", "\(spec.memoryMiB)", "-nodefaults", "-no-user-config", "-display", "none", "-vga", "none",
      "-serial", "file:\(consoleLog)", "-no-reboot",
    ]
    if spec.accelerator == .kvm { a += ["-cpu", "host"] }
    if spec.firmware == .uefi {
      let vars = "\(work)/OVMF_VARS.fd"
      try FileManager.default.copyItem(atPath: ovmf.varsTemplate, toPath: vars)
      a += [
        "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=\(ovmf.code)",
        "-drive", "if=pflash,format=raw,unit=1,file=\(vars)",
      ]
    }
    var scsi = false
    var sataPort = 0
    for (i, d) in spec.disks.enumerated() {
      a += ["-drive", "file=\(d.path),format=\(d.format),if=none,id=disk\(i),snapshot=\(d.snapshot ? "on" : "off")"]
      let boot = i == 0 ? ",bootindex=1" : ""
      switch d.bus {
      case .sata:
        if sataPort == 0 { a += ["-device", "ahci,id=sata0"] }
        a += ["-device", "ide-hd,drive=disk\(i),bus=sata0.\(sataPort)\(boot)"]
        sataPort += 1
      case .ide: a += ["-device", "ide-hd,drive=disk\(i),bus=ide.\(i / 2),unit=\(i % 2)\(boot)"]
      case .scsi:
        if !scsi { a += ["-device", "virtio-scsi-pci,id=scsi0"] }
        scsi = true
        a += ["-device", "scsi-hd,drive=disk\(i),bus=scsi0.0,scsi-id=\(i)\(boot)"]
      default: a += ["-device", "virtio-blk-pci,drive=disk\(i)\(boot)"]
      }
    }
    // One user-mode network per NIC, each restricted (no way out of the host), in the spec's order.
    for (i, nic) in spec.nics.enumerated() {
      a += [
        "-netdev", "user,id=net\(i),restrict=on",
        "-device", "\(nic.model.qemuDevice),netdev=net\(i)" + (nic.mac.map { ",mac=\($0)" } ?? ""),
      ]
    }
    return a
  }

  /// Console lines carrying a `V2V-` marker, in order, trimmed of control characters (at most `limit`).
  static func markerLines(in text: String, limit: Int = 64) -> [String] {
    guard text.contains("V2V-") else { return [] }
    var lines: [String] = []
    for line in text.split(whereSeparator: \.isNewline) where line.contains("V2V-") {
      lines.append(String(line.filter { !$0.isASCII || $0.asciiValue! >= 32 }).trimmingCharacters(in: .whitespaces))
      if lines.count == limit { break }
    }
    return lines
  }

  /// The first console line containing any of `patterns`, trimmed of control characters.
  static func firstLine(in text: String, matching patterns: [String]) -> String? {
    guard patterns.contains(where: { text.contains($0) }) else { return nil }
    for line in text.split(whereSeparator: \.isNewline) where patterns.contains(where: { line.contains($0) }) {
      return String(line.filter { !$0.isASCII || $0.asciiValue! >= 32 }).trimmingCharacters(in: .whitespaces)
    }
    return nil
  }
}
