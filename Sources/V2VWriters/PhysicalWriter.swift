import Foundation
import V2VCore
import V2VModel
import V2VProcess

/// `-o physical -os TARGET[,TARGET…]`: writes each converted disk onto a block device or a raw image file, for
/// a machine to boot from (V2P).
///
/// - plan: every target passes ``TargetDevices/check(_:needBytes:force:sources:sysfs:)`` (in use, too small,
///   a partition, the source itself: always refused; a partition table or filesystem on it: only with
///   `--force`), and a target larger than its disk asks the pipeline to fit the disk to it.
/// - write: the converted overlay becomes a sparse raw image in the job's scratch directory (`qemu-img
///   convert`), which ``RawStreamer`` puts on the target: head blanked first, zeroes skipped or discarded,
///   the partition table and boot sector written last, then everything read back and compared by SHA-256.
/// - rollback (a failure, a cancellation): an image v2v created is removed; an existing target keeps a blank
///   head, so it never looks like a finished, bootable disk.
public final class PhysicalWriter: OutputWriter, @unchecked Sendable {
  public var kind: OutputKind { .physical }
  /// One target per disk, in disk order.
  public let targets: [String]
  /// `--grow`.
  public let grow: Bool
  /// `--force`.
  public let force: Bool
  /// The conversion's source disks (a target may not be one of them).
  public let sources: [Disk]

  private let lock = NSLock()
  private var checked: [PhysicalTarget] = []
  private var created: Set<String> = []
  private var touched: Set<String> = []
  private var progressNote: String?

  /// Creates a writer.
  public init(targets: [String], grow: Bool, force: Bool, sources: [Disk]) {
    self.targets = targets
    self.grow = grow
    self.force = force
    self.sources = sources
  }

  public func plan(_ target: TargetVM, request: OutputRequest) throws -> OutputPlan {
    guard targets.count == target.disks.count else {
      throw PhysicalTargetError(
        path: targets.joined(separator: ","), kind: .count,
        message: "the source has \(target.disks.count) disk\(target.disks.count == 1 ? "" : "s"); give one target per disk (-os /dev/sdX,/dev/sdY)")
    }
    guard request.format == .raw else {
      throw OutputError.writeFailed(targets[0], "-o physical writes raw disks; -of \(request.format.rawValue) does not apply")
    }
    checked = []
    var resize: [UInt64?] = []
    var summary: [String] = []
    for (i, path) in targets.enumerated() {
      let need = target.disks[i].capacityBytes ?? 0
      let t = try TargetDevices.check(path, needBytes: need, force: force, sources: sources)
      checked.append(t)
      let larger = t.exists && t.sizeBytes > need && need > 0
      resize.append(larger ? t.sizeBytes : nil)
      var line = "disk \(i + 1) (\(ByteFormat.human(need))) -> \(path) (\(t.summary))"
      if !t.signatures.isEmpty { line += "; overwriting \(t.signatures.joined(separator: ", ")) (--force)" }
      if larger { line += grow ? "; the last partition grows to fill it (--grow)" : "; \(ByteFormat.human(t.sizeBytes - need)) left unused (--grow fills it)" }
      summary.append(line)
    }
    return OutputPlan(diskPaths: targets, format: .raw, resizeTo: resize, grow: grow, summary: summary)
  }

  public func open(_ plan: OutputPlan) throws -> [DiskDestination] {
    // Checked again: minutes have passed since planning (something may have mounted the target meanwhile).
    var out: [DiskDestination] = []
    for (i, path) in targets.enumerated() {
      let before = checked[i]
      let need = before.exists ? min(before.sizeBytes, plan.resizeTo[i] ?? before.sizeBytes) : 0
      let now = try TargetDevices.check(path, needBytes: need, force: true, sources: sources)
      if !force && now.signatures != before.signatures && !now.signatures.isEmpty {
        throw PhysicalTargetError(path: path, kind: .hasData, message: "changed since planning (now holds \(now.signatures.joined(separator: ", "))); run v2v again")
      }
      // An empty image file is as good as a new one (it is extended to the disk's size).
      out.append(DiskDestination(path: path, format: .raw, exists: now.exists && (now.isBlockDevice || now.sizeBytes > 0)))
    }
    return out
  }

  public func write(_ disk: DiskWrite, progress: @escaping (String, Double) -> Void) throws -> DiskWriteReport? {
    let target = disk.destination.path
    let scope = JobScope.current
    // 1. The converted disk as a sparse raw image (qemu-img reads the overlay chain; zeroes stay holes).
    let raw = "\(disk.work)/disk\(disk.index + 1).raw"
    scope?.removeOnCancel(raw)
    defer {
      try? FileManager.default.removeItem(atPath: raw)
      scope?.forget(raw)
    }
    let rawDest = DiskDestination(path: raw, format: .raw)
    try DiskCopier(allocation: .sparse).copy(from: disk.overlay.path, sourceFormat: disk.overlay.format, to: rawDest) {
      progress("preparing", $0)
    }
    // 2. Onto the target. Without --grow, a disk fitted to a larger target holds nothing between the end of
    //    the guest's data and the last MiB (the GPT backup): that range is neither written nor read back.
    let fresh = !disk.destination.exists
    lock.withLock {
      if fresh { created.insert(target) }
      touched.insert(target)
    }
    if fresh { scope?.removeOnCancel(target) }
    let length = disk.virtualBytes
    let tail: UInt64 = 1 << 20
    var unwritten: Range<UInt64>?
    if !disk.grown, disk.dataBytes < length, length - disk.dataBytes > tail {
      unwritten = disk.dataBytes..<(length - tail)
    }
    var options = RawStreamer.Options(targetIsFresh: fresh)
    options.unwritten = unwritten
    scope?.onCancel { [weak self] in self?.blankAfterCancel(target) }
    let r = try RawStreamer().stream(
      from: raw, to: target, length: length, options: options,
      progress: { done, total in
        self.lock.withLock { self.progressNote = "\(target): stopped at \(ByteFormat.human(done)) of \(ByteFormat.human(total))" }
        progress(done >= total ? "verifying" : "writing", total == 0 ? 1 : Double(done) / Double(total))
      },
      isCancelled: { scope?.isCancelled ?? false })
    return DiskWriteReport(
      target: target, coveredBytes: r.length - r.unwrittenBytes + r.tailWipedBytes,
      dataBytesWritten: r.dataBytesWritten, zeroedBytes: r.zeroedBytes + r.tailWipedBytes, zeroMethod: r.zeroMethod,
      writeSeconds: r.writeSeconds, verifySeconds: r.verifySeconds, sha256: r.sha256, verified: r.verified)
  }

  public func finalize(_ target: TargetVM, domainXML: String) throws -> [String] {
    for t in targets { JobScope.current?.forget(t) }
    lock.withLock { created.removeAll() }
    return targets
  }

  public func rollback() {
    let (made, written) = lock.withLock { (created, touched) }
    for t in written {
      if made.contains(t) {
        try? FileManager.default.removeItem(atPath: t)
      } else {
        Self.blankHead(t)
      }
    }
  }

  /// Cancellation (SIGINT/SIGTERM): a target v2v did not create gets its head blanked again (in case the
  /// signal came while the head was being written); returns the line saying how far the write got.
  func blankAfterCancel(_ target: String) -> String? {
    let (made, note) = lock.withLock { (created.contains(target), progressNote) }
    if made { return "\(note ?? target): the partial image was removed" }
    Self.blankHead(target)
    return "\(note ?? target); its first MiB is blank, so it neither boots nor mounts: run v2v again to write it"
  }

  /// Zeroes the first MiB of `path` (partition tables, boot sector) and syncs.
  static func blankHead(_ path: String) {
    let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let zeros = [UInt8](repeating: 0, count: 1 << 20)
    _ = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    _ = fdatasync(fd)
  }
}
