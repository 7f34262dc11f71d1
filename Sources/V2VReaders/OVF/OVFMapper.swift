import V2VModel

/// Maps an OVF envelope to the source model. Pure: disks carry their `href` as a placeholder path; the
/// OVA container turns hrefs into real disk sources.
struct OVFMapper {
  /// A disk's file as the envelope names it.
  struct DiskFile {
    /// `References/File/@href`.
    var href: String
    /// Whether the file is gzip-compressed.
    var gzip: Bool
    /// Where it was named.
    var namedBy: SourceLocation
  }

  let envelope: OVFEnvelope
  let file: String

  /// The machine, plus one `DiskFile` per entry of `vm.disks`, and the hrefs of CD/floppy images.
  func map() throws(ReaderError) -> (vm: SourceVM, diskFiles: [DiskFile]) {
    let e = envelope
    let hv: Hypervisor = e.isVirtualBox ? .virtualbox : (e.systemType?.lowercased().hasPrefix("vmx") ?? false) || !e.vmwConfig.isEmpty ? .vmware : .unknown
    var vm = SourceVM(name: e.name, hypervisor: hv, origin: file)
    guard !e.name.isEmpty else { throw .invalidValue(SourceLocation(file: file, context: "VirtualSystem/Name"), "virtual system has no name") }
    vm.guestOSHint = e.osHint
    vm.firmware = e.vmwConfig["firmware"]?.lowercased() == "efi" || e.virtualBoxEFI ? .uefi : .bios
    vm.secureBoot = e.vmwConfig["uefi.secureBoot.enabled"]?.lowercased() == "true"
    var controllers: [String: (bus: Bus, model: String?)] = [:]
    for item in e.items {
      let at = SourceLocation(file: file, line: item.line, context: "Item[InstanceID=\(item.instanceID)]")
      switch item.resourceType {
      case 3:
        guard let q = item.quantity, let n = Int(q), n > 0 else { throw .invalidValue(at, "vCPU count must be at least 1, found '\(item.quantity ?? "")'") }
        vm.vcpus = n
        if let c = item.coresPerSocket, c > 0, n % c == 0 { vm.cpuTopology = CPUTopology(sockets: n / c, cores: c) }
      case 4:
        let bytes = try OVFUnits.bytes(item.quantity ?? "", units: item.units ?? "byte * 2^20", at: at)
        guard bytes > 0 else { throw .invalidValue(at, "memory must be positive") }
        vm.memoryBytes = bytes
      case 5: controllers[item.instanceID] = (.ide, item.subType?.lowercased())
      case 6: controllers[item.instanceID] = (.scsi, Self.scsiModel(item.subType))
      case 20:
        let sub = item.subType?.lowercased() ?? ""
        controllers[item.instanceID] = sub.contains("nvme") ? (.nvme, "nvme") : (.sata, "ahci")
      default: break
      }
    }
    Self.warnDuplicates(e.files.map { ($0.id, $0.line) }, what: "References/File id", file: file)
    Self.warnDuplicates(e.disks.map { ($0.id, $0.line) }, what: "DiskSection/Disk diskId", file: file)
    var files: [DiskFile] = []
    var slots: [Disk] = []
    var slotItems: [SourceLocation] = []
    for item in e.items {
      let at = SourceLocation(file: file, line: item.line, context: "Item[InstanceID=\(item.instanceID)]")
      let ctrl = item.parent.flatMap { controllers[$0] }
      switch item.resourceType {
      case 17:
        guard let hr = item.hostResource, let diskID = Self.ref(hr, kind: "disk") else {
          throw .invalidValue(at, "disk item has no HostResource naming a disk")
        }
        guard let def = e.disks.first(where: { $0.id == diskID }) else { throw .invalidValue(at, "HostResource names unknown disk '\(diskID)'") }
        guard let ref = def.fileRef, let f = e.files.first(where: { $0.id == ref }), !f.href.isEmpty else {
          throw .invalidValue(SourceLocation(file: file, line: def.line, context: "DiskSection/Disk[@diskId=\(diskID)]"), "disk has no file (fileRef)")
        }
        if f.chunked { throw .unsupported(SourceLocation(file: file, line: f.line, context: "References/File"), "chunked disk files are not supported") }
        var variant: String?
        if let fmt = def.format, let hash = fmt.firstIndex(of: "#") { variant = String(fmt[fmt.index(after: hash)...]) }
        vm.disks.append(Disk(
          source: .file(path: f.href), format: def.format?.contains("vmdk") == true ? .vmdk : .raw,
          bus: ctrl?.bus ?? .ide, controllerModel: ctrl?.model, targetName: item.addressOnParent.map { "\(item.parent ?? "?"):\($0)" },
          capacityBytes: def.capacityBytes, vmdkVariant: variant))
        files.append(DiskFile(href: f.href, gzip: f.gzip, namedBy: SourceLocation(file: file, line: f.line, context: "References/File[@href='\(f.href)']")))
        if item.parent != nil, item.addressOnParent != nil {
          slots.append(vm.disks[vm.disks.count - 1])
          slotItems.append(SourceLocation(file: file, line: item.line, context: "Item[InstanceID=\(item.instanceID)]"))
        }
      case 14, 15, 16:
        var path: String?
        if let hr = item.hostResource, let ref = Self.ref(hr, kind: "file"), let f = e.files.first(where: { $0.id == ref }) { path = f.href }
        let kind: RemovableMedium.Kind = item.resourceType == 14 ? .floppy : .cdrom
        vm.removableMedia.append(RemovableMedium(kind: kind, bus: kind == .floppy ? .fdc : ctrl?.bus ?? .ide, path: path))
      case 10:
        var nic = NIC(model: item.subType?.lowercased(), network: item.connection)
        nic.pciSlot = item.vmwConfig["slotInfo.pciSlotNumber"].flatMap { Int($0.trimmingCharacters(in: " ")) }.flatMap { $0 >= 0 ? $0 : nil }
        if let a = item.address, !a.isEmpty {
          guard let m = MACAddress.normalize(a) else { throw .invalidValue(at, "malformed MAC address '\(a)'") }
          nic.mac = m
        }
        vm.nics.append(nic)
      case 3, 4, 5, 6, 20: break
      default:
        readerLog.debug("ignoring OVF item", metadata: ["file": "\(file)", "line": "\(item.line)", "type": "\(item.resourceType)"])
      }
    }
    // Two disks at one controller address (Parent + AddressOnParent) could not have run.
    try DiskTargets.requireUnique(slots, namedBy: slotItems)
    return (vm, files)
  }

  /// Warns about an id defined twice (the first definition is the one references resolve to).
  static func warnDuplicates(_ ids: [(id: String, line: Int)], what: String, file: String) {
    var first: [String: Int] = [:]
    for (id, line) in ids where !id.isEmpty {
      if let earlier = first[id] {
        ReaderWarnings.emit(ReaderWarning(
          SourceLocation(file: file, line: line, context: "\(what) '\(id)'"),
          "defined again (first at \(file):\(earlier)); references use the first"))
      } else {
        first[id] = line
      }
    }
  }

  /// `ovf:/disk/vmdisk1` or `/disk/vmdisk1` → `vmdisk1`.
  static func ref(_ hostResource: String, kind: String) -> String? {
    for prefix in ["ovf:/\(kind)/", "/\(kind)/", "ovf://\(kind)/"] where hostResource.hasPrefix(prefix) {
      return String(hostResource.dropFirst(prefix.count))
    }
    return nil
  }

  static func scsiModel(_ sub: String?) -> String? {
    switch sub?.lowercased() {
    case "virtualscsi"?: return "pvscsi"
    case "lsilogicsas"?: return "lsisas1068"
    case let s?: return s
    case nil: return nil
    }
  }
}
