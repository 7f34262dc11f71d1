import Foundation
import V2VModel

/// One conversion, start to finish. Read this file to follow the data:
///
/// source → plan the output (fails early, no slow work) → copy-on-write overlays (source untouched) → ONE
/// appliance → inspect → plan guest changes → apply → fstrim → copy overlays to the output (sparse) →
/// metadata (domain XML / libvirt define / qemu script) → optional test boot → result.
public struct Pipeline {
  /// Starts the appliance.
  public var launcher: ApplianceLauncher
  /// Picks the converter for an inspected guest, or throws ``ConversionError/unsupportedGuest(_:)``.
  public var converterFor: (GuestInspection) throws -> any GuestConverter
  /// Where the output goes.
  public var writer: OutputWriter
  /// Renders the libvirt domain XML of a target.
  public var renderDomain: (TargetVM) -> String
  /// Receives stage, progress and warning events.
  public var events: EventSink
  /// Boots the result for `--verify-boot`.
  public var bootChecker = BootChecker()

  /// Creates a pipeline.
  public init(
    launcher: ApplianceLauncher, converterFor: @escaping (GuestInspection) throws -> any GuestConverter, writer: OutputWriter,
    renderDomain: @escaping (TargetVM) -> String,
    events: EventSink
  ) {
    self.launcher = launcher
    self.converterFor = converterFor
    self.writer = writer
    self.renderDomain = renderDomain
    self.events = events
  }

  /// Runs the conversion. Throws ``ConversionError``, ``OutputError``, ``CopyError``, ``SourceDiskError`` or a
  /// wrapper library's error; on any failure the output is removed and the source is untouched.
  public func run(_ request: ConversionRequest) throws -> ConversionResult {
    var clock = StageClock(events: events)
    var warnings: [String] = []

    // 1. Plan the output: names, paths, conflicts, space. Pure checks, before anything slow.
    clock.begin("Planning the output (\(writer.kind))")
    let dir = try writer.diskDirectory()
    var options = request.plan
    options.outputDirectory = dir
    let plan = try TargetPlanner.plan(request.source, options: options)
    var target = plan.target
    warnings += plan.warnings
    try writer.checkConflicts(target, overwrite: request.overwrite)
    if !request.dryRun { try checkSpace(request, dir: dir) }

    // 2. Overlays: the appliance writes only to these.
    let work = try makeWorkDirectory(request)
    defer {
      try? FileManager.default.removeItem(atPath: work)
      Cleanup.shared.forget(work)
    }
    clock.begin("Opening the source disks (copy-on-write overlays)")
    let overlays = try Overlays.create(for: request.source.disks, in: work)
    for (i, o) in overlays.enumerated() { target.disks[i].capacityBytes = try Overlays.virtualSize(o.path) }

    // 3. One appliance for the whole conversion.
    clock.begin("Starting the appliance (\(request.accelerator.rawValue.uppercased()))")
    let appliance = try launcher.launch(disks: overlays, accelerator: request.accelerator, verbose: request.verbose)
    var closed = false
    defer { if !closed { try? appliance.close() } }

    // 4. Inspect.
    clock.begin("Inspecting the guest")
    let root = try request.rootChoice.choose(from: try appliance.roots())
    let inspection = try appliance.inspect(root: root)
    events.emit(.detail("guest: \(inspection.productName) (\(inspection.distro) \(inspection.majorVersion).\(inspection.minorVersion), \(inspection.arch)), root \(root)"))
    let converter = try converterFor(inspection)
    try appliance.mount(inspection, readOnly: request.dryRun)
    let diskCount = request.source.disks.count
    var context = ConversionContext(source: request.source, diskNameMap: ConversionContext.virtioNameMap(diskCount: diskCount))
    let kernelNames = appliance.kernelDiskNames(diskCount: diskCount, inspection: inspection)
    context.applianceDiskNames = kernelNames.enumerated().map { i, n in n ?? "/dev/sd\(DeviceNames.letters(i))" }
    events.emit(.detail("appliance disk names: \(context.applianceDiskNames!.joined(separator: ", "))"))
    let report = try converter.plan(session: appliance, inspection: inspection, context: context)
    if let osinfo = Self.osinfoID(inspection) { target.osinfo = osinfo }

    if request.dryRun {
      for c in report.changes { events.emit(.detail("would: \(c.summary)  (\(c.reason))")) }
      try appliance.close()
      closed = true
      return result(request, target, inspection, report, warnings + report.warnings, clock, artifacts: [], boot: nil, xml: renderDomain(target))
    }

    // 5. Convert, then trim so the copy skips freed blocks.
    clock.begin("Converting the guest (\(report.changes.count) changes)")
    warnings += try ChangeApplier.apply(report.changes, to: appliance) { c, secs in
      self.events.emit(.detail(String(format: "%6.1f s  %@", secs, c.summary)))
    }
    warnings += report.warnings
    clock.begin("Trimming filesystems")
    warnings += appliance.trim()
    try appliance.close()
    closed = true

    // 6. Copy to temporary names, then rename; metadata last.
    var partials: [String] = []
    var renamed: [String] = []
    var committed = false
    defer {
      if !committed {
        for p in partials + renamed {
          try? FileManager.default.removeItem(atPath: p)
          Cleanup.shared.forget(p)
        }
      }
    }
    for (i, (overlay, disk)) in zip(overlays, target.disks).enumerated() {
      let size = disk.capacityBytes ?? 0
      clock.begin("Copying disk \(i + 1)/\(overlays.count) (\(ByteFormat.human(size)), \(disk.format))")
      let partial = disk.path + ".v2v-part"
      partials.append(Cleanup.shared.removeOnInterrupt(partial))
      let label = "disk \(i + 1)"
      try DiskCopier(allocation: request.plan.allocation).copy(from: overlay.path, to: partial, format: disk.format) { f in
        self.events.emit(.progress(label: label, fraction: f, totalBytes: size))
      }
    }
    clock.begin("Writing metadata")
    for (partial, disk) in zip(partials, target.disks) {
      if request.overwrite, FileManager.default.fileExists(atPath: disk.path) { try FileManager.default.removeItem(atPath: disk.path) }
      try FileManager.default.moveItem(atPath: partial, toPath: disk.path)
      renamed.append(Cleanup.shared.removeOnInterrupt(disk.path))
    }
    let xml = renderDomain(target)
    let artifacts = try writer.commit(target, domainXML: xml, overwrite: request.overwrite)
    committed = true
    for p in partials + renamed { Cleanup.shared.forget(p) }

    // 7. Prove it boots.
    var boot: BootResult?
    var extraStarts = 0
    if request.verifyBoot {
      clock.begin("Verifying the guest boots (virtio, \(request.accelerator.rawValue.uppercased()))")
      let (result, starts) = try verify(target, request, inspection: inspection, hasConsole: report.serialConsole, work: work)
      boot = result
      extraStarts = starts
    }
    var final = result(request, target, inspection, report, warnings, clock, artifacts: artifacts, boot: boot, xml: xml)
    final.applianceStarts += extraStarts
    return final
  }

  func verify(
    _ target: TargetVM, _ request: ConversionRequest, inspection: GuestInspection, hasConsole: Bool, work: String
  ) throws -> (BootResult, applianceStarts: Int) {
    var spec = BootSpec(
      disks: target.disks.map { .init(path: $0.path, format: $0.format, bus: .virtio) },
      nicModel: "virtio-net-pci", mac: target.nics.first?.mac, firmware: target.firmware,
      memoryMiB: Int(min(max(target.memoryBytes >> 20, 512), 2048)), accelerator: request.accelerator,
      timeout: request.bootTimeout)
    let still: (Double) -> Void = { secs in self.events.emit(.detail(String(format: "still booting (%.0f s)", secs))) }
    let useConsole = request.bootEvidence == .console || (request.bootEvidence == .auto && hasConsole)
    if useConsole { return (try bootChecker.boot(spec, progress: still), 0) }

    // No console to read: boot a throw-away overlay (the output is only its backing file), then read back
    // whether the booted OS mounted its root filesystem read-write.
    var overlays: [OverlayDisk] = []
    for (i, d) in target.disks.enumerated() {
      let o = "\(work)/verify-\(i).qcow2"
      let r = try Subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", d.format, "-b", d.path, o], timeout: 60)
      guard r.succeeded else { throw SourceDiskError(path: d.path, message: r.stderr) }
      overlays.append(OverlayDisk(path: o))
    }
    spec.disks = overlays.map { .init(path: $0.path, format: $0.format, bus: .virtio, snapshot: false) }
    spec.timeout = min(request.bootTimeout, 150)
    let started = Date()
    let console = try bootChecker.boot(spec, progress: still)
    // A failure on the console (root not found, panic) is decisive; a success only ends the boot early, and
    // the read-back below still decides.
    if console.outcome == .failed || console.outcome == .qemuError { return (console, 0) }
    events.emit(.detail("reading the test boot's root filesystem back (\(inspection.root))"))
    let appliance = try launcher.launch(disks: overlays, accelerator: request.accelerator, verbose: request.verbose)
    defer { try? appliance.close() }
    let seconds = Date().timeIntervalSince(started)
    if let mounted = appliance.lastMountTime(device: inspection.root), mounted >= started.addingTimeInterval(-60) {
      let at = Int(mounted.timeIntervalSince(started).rounded())
      return (BootResult(
        passed: true, outcome: .booted,
        evidence: "the booted OS mounted its root filesystem read-write \(at) s into the boot (read back from the test boot's overlay)",
        seconds: seconds), 1)
    }
    if console.passed { return (console, 1) }
    return (BootResult(
      passed: false, outcome: .timedOut,
      evidence: "no console evidence, and the root filesystem \(inspection.root) was not mounted read-write within \(Int(spec.timeout)) s",
      seconds: seconds), 1)
  }

  func checkSpace(_ request: ConversionRequest, dir: String) throws {
    var need: UInt64 = 0
    for d in request.source.disks {
      switch d.source {
      case .file(let p), .block(let p):
        let attrs = try? FileManager.default.attributesOfItem(atPath: p)
        need += (attrs?[.size] as? NSNumber)?.uint64Value ?? d.capacityBytes ?? 0
      case .archiveMember(_, _, _, let length): need += length
      case .remote: need += d.capacityBytes ?? 0
      }
      if request.plan.allocation == .preallocated { need = max(need, d.capacityBytes ?? 0) }
    }
    if let free = OutputChecks.freeBytes(dir), free < need {
      throw OutputError.insufficientSpace(directory: dir, needBytes: need, haveBytes: free)
    }
  }

  func makeWorkDirectory(_ request: ConversionRequest) throws -> String {
    let base = URL(fileURLWithPath: request.workDirectory)
    let dir = base.appendingPathComponent("v2v-\(request.source.name.filter { $0.isLetter || $0.isNumber || $0 == "-" })-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    Cleanup.shared.removeOnInterrupt(dir)
    return dir
  }

  func result(
    _ request: ConversionRequest, _ target: TargetVM, _ inspection: GuestInspection, _ report: ConversionReport,
    _ warnings: [String], _ clock: StageClock, artifacts: [String], boot: BootResult?, xml: String?
  ) -> ConversionResult {
    var clock = clock
    clock.end()
    let bytes = target.disks.reduce(UInt64(0)) { sum, d in
      var st = stat()
      return sum + (stat(d.path, &st) == 0 ? UInt64(st.st_blocks) * 512 : 0)
    }
    return ConversionResult(
      name: target.name, output: writer.kind, artifacts: artifacts, guest: inspection, conversion: report,
      warnings: warnings, boot: boot, stages: clock.times, applianceStarts: 1, outputBytes: request.dryRun ? 0 : bytes,
      dryRun: request.dryRun, domainXML: xml)
  }

  /// libosinfo id for common guests (`debian12`, `rhel9.2`), recorded in the domain metadata.
  static func osinfoID(_ i: GuestInspection) -> String? {
    switch i.distro {
    case "debian": return "debian\(i.majorVersion)"
    case "ubuntu": return String(format: "ubuntu%d.%02d", i.majorVersion, i.minorVersion)
    case "rhel", "centos", "rocky", "almalinux": return "\(i.distro)\(i.majorVersion).\(i.minorVersion)"
    case "fedora": return "fedora\(i.majorVersion)"
    default: return nil
    }
  }
}

/// Stage timing: each `begin` ends the previous stage and announces the next.
struct StageClock {
  let events: EventSink
  var times: [ConversionResult.StageTime] = []
  var current: (String, Date)?

  init(events: EventSink) { self.events = events }

  mutating func begin(_ stage: String) {
    end()
    current = (stage, Date())
    events.emit(.stage(stage))
  }

  mutating func end() {
    if let (name, start) = current { times.append(.init(stage: name, seconds: Date().timeIntervalSince(start))) }
    current = nil
  }
}
