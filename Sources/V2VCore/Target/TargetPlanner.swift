import V2VModel

/// A planned target and what the user should know about it.
public struct TargetPlan: Sendable, Equatable {
  /// The machine to write.
  public var target: TargetVM
  /// How the disk copier allocates the output disks (`-oa`).
  public var allocation: DiskAllocation
  /// Things dropped or assumed on the way (for the report; not errors).
  public var warnings: [String]

  /// Creates a plan.
  public init(target: TargetVM, allocation: DiskAllocation, warnings: [String] = []) {
    self.target = target
    self.allocation = allocation
    self.warnings = warnings
  }
}

/// Turns a ``SourceVM`` and the user's ``PlanOptions`` into a ``TargetVM``: pure, so it runs (and fails)
/// before any disk is opened.
///
/// Rules: a new UUID; memory, vCPUs and topology from the source (a topology whose product is not the
/// vCPU count is dropped); the platform's machine; the source's firmware (unknown stays unknown until
/// ``TargetSettler`` knows what inspection found); hard disks on the platform's bus (`vda`, `vdb`, … on
/// virtio-blk; settled again after conversion) in source order, the first with boot order 1, named
/// ``diskFileName(vmName:index:format:)`` until the writer plans where they go; CD-ROMs on SATA (`sda`, …) and floppies
/// on the floppy controller (`fda`, `fdb`), keeping a local image path; virtio NICs keeping the source MAC,
/// connected through ``NetworkMapper``, of the platform's model; video `virtio`, or `vga` for guests too old for virtio-gpu.
public enum TargetPlanner {
  /// Plans the target for `source`.
  public static func plan(
    _ source: SourceVM, options: PlanOptions, platform: TargetPlatform = .kvmDefault
  ) throws(PlanError) -> TargetPlan {
    var warnings: [String] = []
    let name = options.outputName ?? source.name
    try validateName(name)
    guard !source.disks.isEmpty else { throw .noDisks }

    let memory = options.memoryBytes ?? source.memoryBytes
    guard memory >= 1 << 20 else { throw .invalidMemory(memory) }
    let vcpus = options.vcpus ?? source.vcpus
    guard vcpus >= 1 else { throw .invalidVCPUs(vcpus) }
    var topology = source.cpuTopology
    if let t = topology, t.sockets < 1 || t.cores < 1 || t.threads < 1 || t.sockets * t.cores * t.threads != vcpus {
      warnings.append(
        "CPU topology \(t.sockets) sockets × \(t.cores) cores × \(t.threads) threads does not give \(vcpus) vCPUs; "
          + "dropped (the target gets \(vcpus) single-core sockets)")
      topology = nil
    }

    // Unknown firmware stays unknown here: inspection may still find an EFI system partition, and
    // ``TargetSettler`` decides after conversion.
    var firmware = platform.requestedFirmware ?? source.firmware
    // A Xen PV/PVH guest had no firmware: its host started it. The converter gives it a BIOS bootloader.
    if let pv = source.paravirtBoot, pv.kernel != nil || pv.bootloader != nil, firmware == .unknown { firmware = .bios }
    var secureBoot = source.secureBoot
    if secureBoot && firmware == .bios {
      warnings.append("the source claims Secure Boot without UEFI firmware; Secure Boot dropped")
      secureBoot = false
    }

    let kvm: KVMPlatform
    if case .kvm(let k) = platform { kvm = k } else { kvm = KVMPlatform() }
    let disks = source.disks.enumerated().map { i, disk in
      TargetDisk(
        path: diskFileName(vmName: name, index: i, format: options.diskFormat),
        format: options.diskFormat, dev: kvm.diskBus.namePrefix + DeviceNames.letters(i), bus: kvm.diskBus.libvirtBus,
        bootOrder: i == 0 ? 1 : nil, capacityBytes: disk.capacityBytes)
    }

    let media = planRemovableMedia(source.removableMedia, warnings: &warnings)

    let mapper = try NetworkMapper(mappings: options.networkMappings, fallback: options.defaultConnection)
    warnings += mapper.unusedMappingWarnings(for: source.nics)
    let nics = source.nics.map { TargetNIC(mac: $0.mac, model: kvm.nicModel, connection: mapper.connection(for: $0)) }

    let video = options.videoModel ?? (prefersLegacyVideo(guestOSHint: source.guestOSHint) ? .vga : .virtio)

    var genid: String? = nil
    if let g = source.genid {
      if isUUID(g) {
        genid = g.lowercased()
      } else {
        warnings.append("source generation ID \"\(g)\" is not a UUID; dropped")
      }
    }

    let target = TargetVM(
      name: name, uuid: options.uuidGenerator(), memoryBytes: memory, vcpus: vcpus, cpuTopology: topology,
      firmware: firmware, secureBoot: secureBoot, machine: kvm.machine, disks: disks, removableMedia: media,
      nics: nics, video: video, sourceHypervisor: source.hypervisor, sourceOrigin: source.origin,
      genid: genid)
    return TargetPlan(target: target, allocation: options.allocation, warnings: warnings)
  }

  /// Checks a target name: non-empty, at most 200 bytes (disk file names are derived from it), no `/`,
  /// not `.` or `..`, and no control characters.
  public static func validateName(_ name: String) throws(PlanError) {
    guard !name.isEmpty else { throw .invalidName(name, reason: "it is empty") }
    guard !name.contains("/") else { throw .invalidName(name, reason: "it contains '/'") }
    guard name != "." && name != ".." else { throw .invalidName(name, reason: "it is a directory name") }
    guard name.utf8.count <= 200 else { throw .invalidName(name, reason: "it is longer than 200 bytes") }
    if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
      throw .invalidName(name, reason: "it contains control characters")
    }
  }

  /// The output file name of disk `index`: `NAME-sda`, `NAME-sdb`, … as virt-v2v names them, plus a `.qcow2`
  /// suffix for qcow2 (the format is not probed from the bytes, so the name is the only hint a human has).
  public static func diskFileName(vmName: String, index: Int, format: OutputDiskFormat) -> String {
    let base = "\(vmName)-sd\(DeviceNames.letters(index))"
    return format == .qcow2 ? base + ".qcow2" : base
  }

  /// Whether a source guest-OS hint (VMX `guestOS`, OVF OS description) names a guest older than virtio-gpu
  /// support (Windows before 8/2012, RHEL/CentOS 5 and older, SLES 10 and older).
  public static func prefersLegacyVideo(guestOSHint: String?) -> Bool {
    guard let hint = guestOSHint?.lowercased() else { return false }
    let old = [
      "winxp", "windows xp", "win2000", "windows 2000", "winnet", "windows server 2003", "longhorn", "winvista",
      "windows vista", "windows 7", "windows7", "server 2008", "rhel3", "rhel4", "rhel5", "centos5", "sles9",
      "sles10", "red hat enterprise linux 5", "red hat enterprise linux 4",
    ]
    return old.contains { hint.contains($0) }
  }

  /// CD-ROMs → SATA `sda`…, floppies → `fda`, `fdb`; image paths kept when local and absolute.
  static func planRemovableMedia(_ media: [RemovableMedium], warnings: inout [String]) -> [TargetRemovable] {
    var out: [TargetRemovable] = []
    var cdroms = 0
    var floppies = 0
    for m in media {
      var path = m.path
      if let p = path, !p.hasPrefix("/") {
        warnings.append("\(m.kind.rawValue) image \"\(p)\" is not a local absolute path; the drive is left empty")
        path = nil
      }
      switch m.kind {
      case .cdrom:
        out.append(TargetRemovable(kind: .cdrom, dev: "sd" + DeviceNames.letters(cdroms), bus: .sata, path: path))
        cdroms += 1
      case .floppy:
        guard floppies < 2 else {
          warnings.append("more than two floppy drives; floppy \(floppies + 1) dropped")
          continue
        }
        out.append(TargetRemovable(kind: .floppy, dev: "fd" + DeviceNames.letters(floppies), bus: .fdc, path: path))
        floppies += 1
      }
    }
    return out
  }

  /// `8-4-4-4-12` hexadecimal.
  static func isUUID(_ s: String) -> Bool {
    let groups = s.split(separator: "-", omittingEmptySubsequences: false)
    return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
  }
}
