import Foundation
import V2VModel

/// One conversion, start to finish. Read this file to follow the data:
///
/// plan the target (pure) → the writer plans its destinations (fails early, no slow work) → copy-on-write
/// overlays (source untouched) → ONE appliance → inspect → the converter plans changes for the target
/// platform → apply → fstrim → settle the final target from what the converter reports → the writer opens
/// destinations → copy overlays into them (sparse) → the writer finalises (metadata, define) or rolls back
/// → optional test boot on the settled bus → result.
public struct Pipeline {
  /// Starts the appliance.
  public var launcher: ApplianceLauncher
  /// Picks the converter for an inspected guest, or throws ``ConversionError/unsupportedGuest(_:)``.
  public var converterFor: (GuestInspection) throws -> any GuestConverter
  /// Where the output goes.
  public var writer: OutputWriter
  /// Renders the libvirt domain XML of a target.
  public var renderDomain: (TargetVM) -> String
  /// Receives stage, progress and warning events, tagged with the job id.
  public var events: JobEvents
  /// Boots the result for `--verify-boot`.
  public var bootChecker = BootChecker()

  /// Creates a pipeline.
  public init(
    launcher: ApplianceLauncher, converterFor: @escaping (GuestInspection) throws -> any GuestConverter,
    writer: OutputWriter, renderDomain: @escaping (TargetVM) -> String, events: JobEvents
  ) {
    self.launcher = launcher
    self.converterFor = converterFor
    self.writer = writer
    self.renderDomain = renderDomain
    self.events = events
  }

  /// Runs the conversion. Throws a ``ClassifiedError`` (``ConversionError``, ``OutputError``, ``CopyError``,
  /// ``SourceDiskError``, ``PlanError``, …) or a wrapper library's error; on any failure the output is
  /// rolled back and the source is untouched.
  public func run(_ request: ConversionRequest) throws -> ConversionResult {
    var clock = StageClock(events: events)
    var warnings: [String] = []
    // Warnings reach the user as they arise (before the copy, not after it); the result lists them all.
    var announced = 0
    func announce() {
      for w in warnings[announced...] { events.emit(.warning(w)) }
      announced = warnings.count
    }
    let scope = JobScope.current

    // 1. Plan the target and the output: names, paths, conflicts, space. Before anything slow.
    clock.begin("Planning the output (\(writer.kind.rawValue), \(request.platform.summary))")
    let plan = try TargetPlanner.plan(request.source, options: request.plan, platform: request.platform)
    var target = plan.target
    warnings += plan.warnings
    announce()
    let outputPlan = try writer.plan(
      target,
      request: OutputRequest(
        format: request.plan.diskFormat, overwrite: request.overwrite,
        estimatedBytes: request.dryRun ? 0 : Self.estimatedOutputBytes(request)))
    for i in target.disks.indices { target.disks[i].path = outputPlan.diskPaths[i] }
    for line in outputPlan.summary { events.emit(.detail((request.dryRun ? "would write: " : "output: ") + line)) }

    // 2. Overlays: the appliance writes only to these.
    let work = try makeWorkDirectory(request)
    defer {
      try? FileManager.default.removeItem(atPath: work)
      scope?.forget(work)
    }
    clock.begin("Opening the source disks (copy-on-write overlays)")
    let overlays = try Overlays.create(for: request.source.disks, in: work)
    for (i, o) in overlays.enumerated() { target.disks[i].capacityBytes = try Overlays.virtualSize(o.path) }
    // A larger physical target: the overlay takes the target's size, so the appliance can fit the disk to it.
    let dataBytes = target.disks.map { $0.capacityBytes ?? 0 }
    var enlarged: [Int] = []
    for (i, o) in overlays.enumerated() {
      guard i < outputPlan.resizeTo.count, let size = outputPlan.resizeTo[i], size > dataBytes[i] else { continue }
      try Overlays.resize(o.path, to: size)
      target.disks[i].capacityBytes = size
      enlarged.append(i)
    }

    // 3. One appliance for the whole conversion.
    try scope?.checkCancelled()
    clock.begin("Starting the appliance (\(request.accelerator.rawValue.uppercased()))")
    let appliance = try launcher.launch(
      disks: overlays, accelerator: request.accelerator, verbose: request.verbose, report: { events.emit(.detail($0)) })
    var closed = false
    defer { if !closed { try? appliance.close() } }

    // 4. Inspect, then plan the guest's changes for the platform.
    clock.begin("Inspecting the guest")
    let roots = try appliance.roots()
    let encrypted = appliance.encryptedVolumes()
    if roots.isEmpty, let locked = encrypted.first { throw ConversionError.encryptedVolume(locked.device, locked.kind) }
    for v in encrypted {
      warnings.append("\(v.device) is \(v.kind.rawValue)-encrypted: it is copied as it is; the converted machine needs its recovery key or passphrase to open it")
    }
    announce()
    let root = try request.rootChoice.choose(from: roots)
    var inspection = try appliance.inspect(root: root)
    inspection.mountpoints = DiskNameMap.applianceMountpoints(inspection.mountpoints, source: request.source)
    events.emit(
      .detail(
        "guest: \(inspection.displayName) (\(inspection.distro) \(inspection.majorVersion).\(inspection.minorVersion), "
          + "\(inspection.arch.rawValue), \(inspection.firmware.rawValue)), root \(root)"))
    let converter = try converterFor(inspection)
    // Fit enlarged disks to their targets (GPT backup header; --grow) before anything is mounted.
    var layoutChanges: [GuestChange] = []
    if !enlarged.isEmpty {
      guard let editor = appliance as? DiskEditor else { throw ConversionError.guestCommandFailed("fitting the disks to the target", "the appliance cannot edit partitions") }
      let fit = try DiskGrower.plan(
        editor: editor, disks: enlarged.map { "/dev/sd" + DeviceNames.letters($0) }, grow: outputPlan.grow, root: inspection.root)
      warnings += fit.warnings
      layoutChanges = fit.steps.map { GuestChange(.operation(AnyGuestOperation(DiskLayoutOperation(step: $0))), reason: DiskLayoutOperation.reason, summary: $0.summary) }
      if !request.dryRun {
        for (step, change) in zip(fit.steps, layoutChanges) {
          let t0 = Date()
          try DiskGrower.apply([step], editor: editor)
          events.emit(.detail(String(format: "%6.1f s  %@", Date().timeIntervalSince(t0), change.summary)))
        }
      }
    } else if outputPlan.grow {
      warnings.append("--grow: no target is larger than its disk; nothing was grown")
    }
    announce()
    try appliance.mount(inspection, readOnly: request.dryRun)
    let diskCount = request.source.disks.count
    let kernelNames = appliance.kernelDiskNames(diskCount: diskCount, inspection: inspection)
    let context = ConversionContext(
      source: request.source, platform: request.platform,
      applianceDiskNames: kernelNames.enumerated().map { i, n in n ?? "/dev/sd\(DeviceNames.letters(i))" },
      workDirectory: work)
    events.emit(.detail("appliance disk names: \(context.applianceDiskNames!.joined(separator: ", "))"))
    events.emit(.detail("disk name map: \(DeviceNameRewriter.describe(context.diskNameMap))"))
    var report = try converter.plan(session: appliance, inspection: inspection, context: context)
    warnings += report.warnings

    // 5. The final target follows what the converted guest can actually use.
    target = TargetSettler.addingNICs(target, macs: report.addedNICs, plan: request.plan)
    let settled = TargetSettler.settle(target, platform: request.platform, capabilities: report.capabilities, inspection: inspection)
    target = settled.target
    warnings += settled.warnings
    announce()

    if request.dryRun {
      report.changes = layoutChanges + report.changes
      for c in report.changes {
        events.emit(.detail("would: \(c.summary)  (\(c.reason))"))
        // A typed operation's detail says exactly what it does (each registry value, one per line).
        if case .operation(let op) = c.kind, op.detail.contains("\n") {
          for line in op.detail.split(separator: "\n") { events.emit(.detail("         \(line)")) }
        }
      }
      try appliance.close()
      closed = true
      return result(request, target, inspection, report, warnings, clock, artifacts: [], boot: nil, xml: renderDomain(target))
    }

    // 6. Convert, then trim so the copy skips freed blocks.
    clock.begin("Converting the guest (\(report.changes.count) changes)")
    warnings += try ChangeApplier.apply(
      report.changes, to: appliance,
      log: { c, secs in self.events.emit(.detail(String(format: "%6.1f s  %@", secs, c.summary))) },
      output: { _, text in
        // What a guest command printed (e.g. which initramfs path ran), one detail line each.
        for line in text.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
          self.events.emit(.detail("         | \(line)"))
        }
      })
    report.changes = layoutChanges + report.changes
    clock.begin("Trimming filesystems")
    warnings += appliance.trim()
    announce()
    try appliance.close()
    closed = true
    try scope?.checkCancelled()

    // 7. The writer opens destinations, the copier fills them, the writer finalises; or all is rolled back.
    let artifacts: [String]
    var writes: [DiskWriteReport] = []
    let xml = renderDomain(target)
    do {
      let destinations = try writer.open(outputPlan)
      for (i, (overlay, dest)) in zip(overlays, destinations).enumerated() {
        let size = target.disks[i].capacityBytes ?? 0
        let verb = writer.kind == .physical ? "Writing" : "Copying"
        clock.begin("\(verb) disk \(i + 1)/\(overlays.count) (\(ByteFormat.human(size)), \(dest.format.rawValue)) to \(dest.path)")
        let job = DiskWrite(
          index: i, overlay: overlay, destination: dest, dataBytes: dataBytes[i], virtualBytes: size,
          grown: outputPlan.grow && enlarged.contains(i), allocation: request.plan.allocation, work: work)
        let report = try writer.write(job) { phase, f in
          self.events.emit(.progress(label: "disk \(i + 1)" + (phase.isEmpty ? "" : " \(phase)"), fraction: f, totalBytes: size))
        }
        if let report {
          writes.append(report)
          events.emit(
            .detail(
              String(
                format: "%@: %@ written, %@ zeroed (%@) in %.1f s; read back in %.1f s: sha256 %@ %@", report.target,
                ByteFormat.human(report.dataBytesWritten), ByteFormat.human(report.zeroedBytes), report.zeroMethod,
                report.writeSeconds, report.verifySeconds, report.sha256, report.verified ? "verified" : "NOT verified")))
        }
        try scope?.checkCancelled()
      }
      clock.begin("Writing metadata")
      artifacts = try writer.finalize(target, domainXML: xml)
    } catch {
      writer.rollback()
      throw error
    }

    // 8. Prove it boots, on the bus it was settled on.
    var boot: BootResult?
    var extraStarts = 0
    if request.verifyBoot && inspection.osType == .windows {
      // Windows shows neither a serial console nor a filesystem v2v can read back for proof of a boot.
      warnings.append("--verify-boot is not available for Windows guests: the converted guest was not booted")
    } else if request.verifyBoot {
      let bus = target.disks.first.map { KVMDiskBus(libvirtBus: $0.bus)?.rawValue ?? $0.bus.rawValue } ?? "-"
      clock.begin("Verifying the guest boots (\(bus), \(request.accelerator.rawValue.uppercased()))")
      let (result, starts) = try BootVerifier(checker: bootChecker, launcher: launcher, events: events).verify(
        target, request, inspection: inspection, hasConsole: report.serialConsole, work: work)
      boot = result
      extraStarts = starts
    }
    announce()
    var final = result(request, target, inspection, report, warnings, clock, artifacts: artifacts, boot: boot, xml: xml)
    final.applianceStarts += extraStarts
    final.writes = writes
    return final
  }

  /// About how many bytes the output disks take: the sources' allocated sizes (or capacity when
  /// preallocating).
  static func estimatedOutputBytes(_ request: ConversionRequest) -> UInt64 {
    var need: UInt64 = 0
    for d in request.source.disks {
      var size: UInt64
      switch d.source {
      case .file(let p), .block(let p):
        let attrs = try? FileManager.default.attributesOfItem(atPath: p)
        size = (attrs?[.size] as? NSNumber)?.uint64Value ?? d.capacityBytes ?? 0
        // A block device's st_size is 0: its capacity is what it holds.
        if size == 0 { size = d.capacityBytes ?? 0 }
      case .archiveMember(_, _, _, let length): size = length
      case .remote: size = d.capacityBytes ?? 0
      }
      if request.plan.allocation == .preallocated { size = max(size, d.capacityBytes ?? 0) }
      need += size
    }
    return need
  }

  func makeWorkDirectory(_ request: ConversionRequest) throws -> String {
    let base = URL(fileURLWithPath: request.workDirectory)
    let dir = base.appendingPathComponent("v2v-\(request.source.name.filter { $0.isLetter || $0.isNumber || $0 == "-" })-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    JobScope.current?.removeOnCancel(dir)
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
    var platform = request.platform
    if case .kvm(var k) = platform, let first = target.disks.first {
      k.diskBus = KVMDiskBus(libvirtBus: first.bus) ?? .virtioBlk
      if let nic = target.nics.first { k.nicModel = nic.model }
      k.firmware = target.firmware
      platform = .kvm(k)
    } else if case .physical(var p) = platform {
      p.firmware = target.firmware
      platform = .physical(p)
    }
    return ConversionResult(
      job: events.job, name: target.name, output: writer.kind, platform: platform, artifacts: artifacts,
      guest: inspection, conversion: report, warnings: warnings, boot: boot, stages: clock.times, applianceStarts: 1,
      outputBytes: request.dryRun ? 0 : bytes, dryRun: request.dryRun, domainXML: xml)
  }
}

/// Stage timing: each `begin` ends the previous stage and announces the next.
struct StageClock {
  let events: JobEvents
  var times: [ConversionResult.StageTime] = []
  var current: (String, Date)?

  init(events: JobEvents) { self.events = events }

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
