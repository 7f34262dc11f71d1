import Foundation
import V2VModel

/// Disk files written under temporary names (`NAME-sda.v2v-part`) and renamed into place only when
/// everything else succeeded: the file-based writers' (local, qemu, libvirt directory) shared data path.
/// Every partial and every renamed file is registered with the running job's ``JobScope`` so a
/// cancellation removes it too.
public final class FileStaging {
  private(set) var plan: OutputPlan?
  private var partials: [String] = []
  private var finished: [String] = []
  private var overwrite = false

  /// Creates an empty staging area.
  public init() {}

  /// The disk paths in `directory` for `target` (``TargetPlanner/diskFileName(vmName:index:format:)``),
  /// checked for conflicts with `metadata` files, and free space for `request.estimatedBytes`.
  public func plan(
    _ target: TargetVM, in directory: String, metadata: [String], request: OutputRequest
  ) throws -> OutputPlan {
    try OutputChecks.writableDirectory(directory)
    let paths = target.disks.indices.map {
      URL(fileURLWithPath: directory).appendingPathComponent(
        TargetPlanner.diskFileName(vmName: target.name, index: $0, format: request.format)
      ).path
    }
    try OutputChecks.noConflicts(paths + metadata, overwrite: request.overwrite)
    try OutputChecks.space(directory, need: request.estimatedBytes)
    overwrite = request.overwrite
    let p = OutputPlan(diskPaths: paths, metadataFiles: metadata, format: request.format)
    plan = p
    return p
  }

  /// One `*.v2v-part` file name per disk.
  public func open(_ plan: OutputPlan) -> [DiskDestination] {
    self.plan = plan
    partials = plan.diskPaths.map { $0 + ".v2v-part" }
    for p in partials { JobScope.current?.removeOnCancel(p) }
    return partials.map { DiskDestination(path: $0, format: plan.format) }
  }

  /// Renames every partial to its final name (replacing an old file only with `--overwrite`).
  public func commitDisks() throws {
    guard let plan else { return }
    for (partial, final) in zip(partials, plan.diskPaths) {
      do {
        if overwrite, FileManager.default.fileExists(atPath: final) { try FileManager.default.removeItem(atPath: final) }
        try FileManager.default.moveItem(atPath: partial, toPath: final)
      } catch {
        throw OutputError.writeFailed(final, "\(error)")
      }
      JobScope.current?.forget(partial)
      JobScope.current?.removeOnCancel(final)
      finished.append(final)
    }
  }

  /// Records a metadata file written by the writer (removed on rollback).
  public func wrote(_ path: String) {
    JobScope.current?.removeOnCancel(path)
    finished.append(path)
  }

  /// The output is complete: nothing is removed on cancellation any more.
  public func done() {
    for p in finished { JobScope.current?.forget(p) }
    finished.removeAll()
    partials.removeAll()
  }

  /// Removes partials and anything renamed or written so far.
  public func rollback() {
    for p in partials + finished {
      try? FileManager.default.removeItem(atPath: p)
      JobScope.current?.forget(p)
    }
    partials.removeAll()
    finished.removeAll()
  }
}
