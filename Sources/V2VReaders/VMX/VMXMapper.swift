import Foundation
import V2VModel

/// Maps a parsed `.vmx` to the source model. Pure: path resolution only computes strings (the existence
/// check of `/vmfs/volumes` paths is injected).
struct VMXMapper {
  /// The parsed file.
  let vmx: VMXFile
  /// Whether a path exists (used to fall back from `/vmfs/volumes/...` to the VMX's own directory).
  var exists: (String) -> Bool = { FileAccess.kind($0) != .missing }

  private static let diskBuses: [(prefix: String, bus: Bus)] = [
    ("scsi", .scsi), ("sata", .sata), ("nvme", .nvme), ("ide", .ide),
  ]

  /// Produces the machine; disks carry the key that named them.
  func map() throws(ReaderError) -> MappedVM {
    let name = vmx["displayName"].flatMap { $0.isEmpty ? nil : $0 }
      ?? ((vmx.file as NSString).lastPathComponent as NSString).deletingPathExtension
    var vm = SourceVM(name: name, hypervisor: .vmware, origin: vmx.file)

    let memMiB = try vmx.int("memSize") ?? 1024
    guard memMiB > 0 else { throw .invalidValue(vmx.location("memSize"), "memory must be positive, found \(memMiB) MiB") }
    vm.memoryBytes = try ByteCount.scaled(UInt64(memMiB), by: 1 << 20, at: vmx.location("memSize"), what: "memSize of \(memMiB) MiB")
    let vcpus = try vmx.int("numvcpus") ?? 1
    guard vcpus > 0 else { throw .invalidValue(vmx.location("numvcpus"), "vCPUs must be at least 1, found \(vcpus)") }
    vm.vcpus = vcpus
    if let cores = try vmx.int("cpuid.coresPerSocket") {
      guard cores > 0 else { throw .invalidValue(vmx.location("cpuid.coresPerSocket"), "cores per socket must be at least 1") }
      if vcpus % cores == 0 { vm.cpuTopology = CPUTopology(sockets: vcpus / cores, cores: cores) }
    }
    switch vmx["firmware"]?.lowercased() {
    case "efi": vm.firmware = .uefi
    case nil, "", "bios": vm.firmware = .bios
    case let other?: throw .invalidValue(vmx.location("firmware"), "unknown firmware '\(other)'")
    }
    vm.secureBoot = try vmx.bool("uefi.secureBoot.enabled") ?? false
    vm.guestOSHint = vmx["guestOS"]
    if let u = vmx["uuid.bios"] { vm.uuid = try Self.biosUUID(u, at: vmx.location("uuid.bios")) }
    if let lo = vmx["vm.genid"], let hi = vmx["vm.genidX"] {
      vm.genid = try Self.genid(low: lo, high: hi, at: vmx.location("vm.genid"))
    }

    var found: [(rank: [Int], disk: Disk, origin: DiskOrigin)] = []
    for (rank, (prefix, bus)) in Self.diskBuses.enumerated() {
      for (ctrl, unit) in deviceSlots(prefix: prefix) {
        let dev = "\(prefix)\(ctrl):\(unit)"
        guard try vmx.bool("\(dev).present") == true, try vmx.bool("\(prefix)\(ctrl).present") != false else { continue }
        let type = vmx["\(dev).deviceType"]?.lowercased() ?? ""
        let fileName = vmx["\(dev).fileName"] ?? ""
        if type.contains("cdrom") {
          let path = type == "cdrom-image" && !fileName.isEmpty && fileName != "emptyBackingString"
            ? resolve(fileName) : nil
          vm.removableMedia.append(RemovableMedium(kind: .cdrom, bus: bus, path: path))
          continue
        }
        if type == "floppy" { vm.removableMedia.append(RemovableMedium(kind: .floppy, bus: .fdc, path: nil)); continue }
        let at = vmx.location("\(dev).fileName")
        guard !fileName.isEmpty else { throw .invalidValue(vmx.location("\(dev).present"), "hard disk \(dev) has no fileName") }
        let path = resolve(fileName)
        let controller: String? = switch bus {
        case .scsi: vmx["\(prefix)\(ctrl).virtualDev"]?.lowercased()
        case .sata: "ahci"
        case .nvme: "nvme"
        default: nil
        }
        let disk = Disk(
          source: .file(path: path), format: .vmdk, bus: bus, controllerModel: controller, targetName: dev,
          readOnly: vmx["\(dev).mode"]?.lowercased().contains("nonpersistent") ?? false)
        found.append(([rank, ctrl, unit], disk, DiskOrigin(namedBy: at)))
      }
    }
    found.sort { $0.rank.lexicographicallyPrecedes($1.rank) }
    vm.disks = found.map(\.disk)
    for n in indexes(prefix: "floppy") where try vmx.bool("floppy\(n).present") == true {
      let client = try vmx.bool("floppy\(n).clientDevice") ?? false
      let file = vmx["floppy\(n).fileName"] ?? ""
      let isImage = vmx["floppy\(n).fileType"]?.lowercased() == "file" || file.lowercased().hasSuffix(".flp")
      vm.removableMedia.append(RemovableMedium(kind: .floppy, bus: .fdc, path: !client && isImage && !file.isEmpty ? resolve(file) : nil))
    }
    for n in indexes(prefix: "ethernet") where try vmx.bool("ethernet\(n).present") == true {
      vm.nics.append(try nic(n))
    }
    logUnknownKeys()
    return MappedVM(vm: vm, diskOrigins: found.map(\.origin))
  }

  private func nic(_ n: Int) throws(ReaderError) -> NIC {
    let p = "ethernet\(n)"
    let addressType = vmx["\(p).addressType"]?.lowercased() ?? "generated"
    let macKey = addressType == "static" ? "\(p).address" : "\(p).generatedAddress"
    var mac: String?
    if let raw = vmx[macKey] ?? vmx["\(p).address"], !raw.isEmpty {
      guard let m = MACAddress.normalize(raw) else { throw .invalidValue(vmx.location(macKey), "malformed MAC address '\(raw)'") }
      mac = m
    }
    let network = vmx["\(p).networkName"].flatMap { $0.isEmpty ? nil : $0 }
    // -1 (or nothing) until the VM first powers on; the guest's predictable name follows from it (192 → ens192).
    let slot = vmx["\(p).pciSlotNumber"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 >= 0 ? $0 : nil }
    return NIC(mac: mac, model: vmx["\(p).virtualDev"]?.lowercased(), network: network, pciSlot: slot)
  }

  /// (controller, unit) pairs named by keys like `scsi0:1.present`.
  private func deviceSlots(prefix: String) -> [(Int, Int)] {
    var slots = Set<[Int]>()
    for key in vmx.entries.keys where key.hasPrefix(prefix) {
      let rest = key.dropFirst(prefix.count)
      guard let colon = rest.firstIndex(of: ":"), let dot = rest.firstIndex(of: "."), colon < dot,
        let c = Int(rest[..<colon]), let u = Int(rest[rest.index(after: colon)..<dot]) else { continue }
      slots.insert([c, u])
    }
    return slots.sorted { $0.lexicographicallyPrecedes($1) }.map { ($0[0], $0[1]) }
  }

  /// N of keys like `ethernetN.present`.
  private func indexes(prefix: String) -> [Int] {
    Set(vmx.entries.keys.compactMap { k -> Int? in
      guard k.hasPrefix(prefix), let dot = k.firstIndex(of: ".") else { return nil }
      return Int(k[k.index(k.startIndex, offsetBy: prefix.count)..<dot])
    }).sorted()
  }

  /// A fileName relative to the VMX, absolute, or on a datastore (`/vmfs/volumes/<ds>/dir/file`): a
  /// datastore path that is not mounted here falls back to the same file name next to the VMX.
  func resolve(_ fileName: String) -> String {
    if fileName.hasPrefix("/vmfs/volumes/"), !exists(fileName) {
      return FileAccess.resolve((fileName as NSString).lastPathComponent, relativeTo: vmx.file)
    }
    return FileAccess.resolve(fileName, relativeTo: vmx.file)
  }

  private func logUnknownKeys() {
    let known = ["displayname", "memsize", "numvcpus", "cpuid.corespersocket", "firmware", "guestos",
                 "uefi.secureboot.enabled", "uuid.bios", "vm.genid", "vm.genidx", ".encoding"]
    let devicePrefixes = ["scsi", "sata", "nvme", "ide", "ethernet", "floppy"]
    for (key, e) in vmx.entries.sorted(by: { $0.value.line < $1.value.line })
    where !known.contains(key) && !devicePrefixes.contains(where: key.hasPrefix) {
      readerLog.debug("ignoring VMX key", metadata: ["file": "\(vmx.file)", "line": "\(e.line)", "key": "\(e.key)"])
    }
  }
}
