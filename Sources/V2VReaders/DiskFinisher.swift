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
