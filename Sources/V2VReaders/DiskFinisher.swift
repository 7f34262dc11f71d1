import Foundation
import Logging
import V2VModel

/// A source machine as a mapping produced it, with where each disk was named, before disks are probed.
struct MappedVM {
  /// The machine; disk formats and sizes are provisional until `DiskFinisher.finish` runs.
  var vm: SourceVM
  /// For each entry of `vm.disks`: where the source named it, and whether its format was stated.
  var diskOrigins: [DiskOrigin]
}

/// Where a disk was named and what the source stated about it.
struct DiskOrigin {
  /// The key or element that named the disk.
  var namedBy: SourceLocation
  /// Whether the source stated the image format (Xen `format=`, libvirt `driver type`), which then wins.
  var formatStated: Bool = false
}

/// The I/O step every reader ends with: each local disk must exist; its format, size, VMDK variant and
/// snapshot chain come from the image itself.
enum DiskFinisher {
  /// Probes every `.file`/`.block` disk of `mapped` and returns the finished machine.
  static func finish(_ mapped: MappedVM) throws(ReaderError) -> SourceVM {
    var vm = mapped.vm
    try DiskTargets.requireUnique(vm.disks, namedBy: mapped.diskOrigins.map(\.namedBy))
    for i in vm.disks.indices {
      let origin = mapped.diskOrigins[i]
      let path: String
      switch vm.disks[i].source {
      case .file(let p), .block(let p): path = p
      case .archiveMember, .remote: continue
      }
      let probed = try DiskProbe.probe(path, namedBy: origin.namedBy)
      // A source that says block (libvirt `<disk type='block'>`) stays block, whatever the path is today.
      var declaredBlock = false
      if case .block = vm.disks[i].source { declaredBlock = true }
      vm.disks[i].source = probed.isBlockDevice || declaredBlock ? .block(path: path) : .file(path: path)
      if !origin.formatStated { vm.disks[i].format = probed.format }
      if vm.disks[i].capacityBytes == nil { vm.disks[i].capacityBytes = probed.capacityBytes }
      if vm.disks[i].format == .vmdk { vm.disks[i].vmdkVariant = probed.vmdkVariant }
      vm.disks[i].chain = probed.chain
    }
    return vm
  }
}

/// The readers' logger: unknown keys and elements are reported at debug level.
let readerLog = Logger(label: "v2v.readers")

/// Where reader warnings go: each is logged through `readerLog` at warning level, and handed to the
/// collector of the enclosing `collect` call, if any.
public enum ReaderWarnings {
  final class Box: @unchecked Sendable {
    let log: Bool
    init(log: Bool) { self.log = log }
    private let lock = NSLock()
    private var items: [ReaderWarning] = []
    func append(_ w: ReaderWarning) { lock.lock(); items.append(w); lock.unlock() }
    var all: [ReaderWarning] { lock.lock(); defer { lock.unlock() }; return items }
  }

  @TaskLocal static var collector: Box?

  /// Reports `warning`.
  static func emit(_ warning: ReaderWarning) {
    if collector?.log ?? true { readerLog.warning("\(warning)") }
    collector?.append(warning)
  }

  /// Runs `body` (a read) and returns its result with the warnings it reported; with `log: false` they
  /// are only collected (a fuzz run reading millions of inputs).
  public static func collect<T>(log: Bool = true, _ body: () throws(ReaderError) -> T) throws(ReaderError) -> (T, [ReaderWarning]) {
    let box = Box(log: log)
    let result: Result<T, ReaderError> = $collector.withValue(box) { Result { () throws(ReaderError) in try body() } }
    return (try result.get(), box.all)
  }
}

/// Disk targets (`vda`, `xvda`, `scsi0:1`, an OVF controller slot) must be unique: two disks on one target
/// could not have run, and the guest's own device names (fstab) would map ambiguously.
enum DiskTargets {
  /// Refuses the second disk of `disks` whose target repeats an earlier one, naming both places.
  static func requireUnique(_ disks: [Disk], namedBy: [SourceLocation]) throws(ReaderError) {
    var seen: [String: Int] = [:]
    for (i, d) in disks.enumerated() {
      guard let t = d.targetName, !t.isEmpty else { continue }
      let key = t.hasPrefix("/dev/") ? String(t.dropFirst(5)) : t
      if let first = seen[key] {
        let at = i < namedBy.count ? namedBy[i] : SourceLocation(file: "-")
        let other = first < namedBy.count ? namedBy[first] : SourceLocation(file: "-")
        let place = other.file + (other.line.map { ":\($0)" } ?? "")
        throw .invalidValue(at, "disk target '\(t)' is already used by \(other.context.map { "'\($0)'" } ?? "another disk") at \(place)")
      }
      seen[key] = i
    }
  }
}
