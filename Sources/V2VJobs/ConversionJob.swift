import Foundation
import V2VConverters
import V2VCore
import V2VGuestfs
import V2VModel
import V2VReaders
import V2VWriters

/// One conversion as one library call: read the source → pipeline (appliance, converter) → writer →
/// result. `v2v convert` is a thin shell over it; `v2v batch` runs many.
///
/// Every event carries the job's ``id``. Everything the job starts or creates (child processes, the
/// appliance's qemu, overlays, partial outputs) is registered in its own ``JobScope``: ``cancel()`` stops
/// just this job, and SIGINT/SIGTERM (``JobRegistry``) stop every job in flight.
///
/// Limits of running several jobs in one process: libguestfs handles are per job and never shared; the
/// embedded libvirt driver (`qemu:///embed?root=DIR`) can be open with only ONE root per process, so
/// concurrent `-o libvirt` jobs in one process must share their `-oc` (or run in separate processes).
public final class ConversionJob: @unchecked Sendable {
  /// The job id (`job-1a2b3c4d` unless given).
  public let id: String
  /// What to do.
  public let request: JobRequest
  private let scope: JobScope

  /// Creates a job.
  public init(_ request: JobRequest, id: String? = nil) {
    let jobID = id ?? "job-" + UUID().uuidString.prefix(8).lowercased()
    self.id = jobID
    self.request = request
    self.scope = JobScope(id: jobID)
  }

  /// Runs the job on the calling thread (blocking, minutes). Every failure is a ``V2VError`` with its exit
  /// class; a failed `--verify-boot` is not an error here (see ``ConversionResult/boot``).
  public func run(events: EventSink) throws(V2VError) -> ConversionResult {
    do {
      return try scope.run { try runInScope(JobEvents(sink: events, job: id)) }
    } catch {
      if scope.isCancelled { throw V2VError(JobCancelled(jobID: id)) }
      throw V2VError(error)
    }
  }

  /// Stops the job: kills its children and removes its partial output. The running ``run(events:)`` then
  /// throws a ``V2VError`` of class ``ExitClass/interrupted``.
  public func cancel() { scope.cancel() }

  private func runInScope(_ events: JobEvents) throws -> ConversionResult {
    var conversion = request.options
    // A malformed ssh:// URI or SSH option is a usage error, before anything is read.
    try RemoteSources.validate(request.input.locations, options: request.input.ssh)
    if request.input.format == .physical { try SourceDevices.requireReadableDevices(request.input.locations) }
    // A --virtio-win that does not exist (or is neither a directory nor an ISO) is found before any slow work.
    if let path = conversion.windows.virtioWin { _ = try VirtioWinSource.locate(option: path, environment: [:]) }
    events.emit(.stage("Reading the source (\(request.input.format.rawValue))"))
    let readDir = URL(fileURLWithPath: conversion.workDirectory).appendingPathComponent("v2v-read-\(UUID().uuidString.prefix(8))").path
    scope.removeOnCancel(readDir)
    defer {
      try? FileManager.default.removeItem(atPath: readDir)
      scope.forget(readDir)
    }
    let reader = request.input.format.reader(physical: request.input.physical, workDirectory: readDir)
    conversion.source = try reader.read(request.input.locations)
    try WindowsPreflight.check(conversion.source, options: conversion.windows)
    // Local disks: refuse live (read-write mounted) or unreadable ones before any slow work.
    try SourceDevices.check(conversion.source.disks)
    // Remote disks: one read-only nbdkit per ssh:// disk, serving it for the whole conversion (the overlays
    // and the final copy read through it), stopped when the job ends, fails or is cancelled.
    let remote = try RemoteSources.open(
      conversion.source.disks, options: request.input.ssh, workDirectory: conversion.workDirectory, events: events)
    defer { remote.close() }
    conversion.source.disks = remote.disks

    let verdict = AcceleratorProbe(cacheDirectory: request.paths.cacheDirectory).resolve(request.accelerator)
    conversion.accelerator = verdict.accelerator
    if verdict.accelerator == .tcg && request.accelerator == .auto {
      events.emit(.detail("KVM not usable (\(verdict.reason)); using TCG"))
    }
    let accelerator = verdict.accelerator
    let pipeline = Pipeline(
      launcher: GuestfsLauncher(), converterFor: ConverterRegistry(windows: conversion.windows, linux: conversion.linux).converter(for:),
      writer: makeWriter(accelerator: accelerator, sources: conversion.source.disks),
      renderDomain: { DomainXML.string(for: $0, options: .init(accelerator: accelerator)) }, events: events)
    return try pipeline.run(conversion)
  }

  func makeWriter(accelerator: Accelerator, sources: [Disk] = []) -> OutputWriter {
    switch request.output {
    case .local(let dir): return LocalWriter(directory: dir)
    case .qemu(let dir): return QemuWriter(directory: dir, accelerator: accelerator)
    case .libvirt(let uri, let storage):
      return LibvirtWriter(
        uri: uri ?? request.paths.defaultLibvirtURI, storage: storage, defaultDirectory: request.paths.dataDirectory + "/images")
    case .physical(let targets, let grow, let force):
      return PhysicalWriter(targets: targets, grow: grow, force: force, sources: sources)
    }
  }
}
