import Foundation
import V2VModel

/// Maps a parsed Xen configuration to the source model. Pure: paths are resolved as strings only.
struct XenMapper {
  /// The parsed file.
  let config: XenConfig

  private static let known: Set<String> = [
    "name", "uuid", "memory", "maxmem", "vcpus", "maxvcpus", "type", "builder", "bootloader", "kernel",
    "ramdisk", "cmdline", "extra", "root", "bios", "firmware", "disk", "vif",
  ]

  /// Produces the machine; disks carry the list entry that named them.
  func map() throws(ReaderError) -> MappedVM {
    let fallback = ((config.file as NSString).lastPathComponent as NSString).deletingPathExtension
    let name = try config.string("name").map { $0 } ?? fallback
    var vm = SourceVM(name: name.isEmpty ? fallback : name, hypervisor: .xen, origin: config.file)
    vm.uuid = try config.string("uuid")?.lowercased()

    // The maximum (what the guest may balloon up to), as libvirt's <memory> and virt-v2v take it; a
    // `maxmem` below `memory` contradicts it (the guest started with `memory`): warn, use the larger.
    var memKey = config["maxmem"] != nil ? "maxmem" : "memory"
    var mem = try config.int(memKey).map { $0 } ?? 128
    guard mem > 0 else { throw .invalidValue(config.location(memKey), "memory must be positive, found \(mem) MiB") }
    if memKey == "maxmem", let current = try config.int("memory"), current > mem {
      let m = config.location("memory")
      ReaderWarnings.emit(ReaderWarning(
        config.location("maxmem"),
        "maxmem \(mem) MiB is below memory \(current) MiB (\(m.file):\(m.line ?? 0)); using memory, \(current) MiB"))
      memKey = "memory"
      mem = current
    }
    vm.memoryBytes = try ByteCount.scaled(UInt64(mem), by: 1 << 20, at: config.location(memKey), what: "\(memKey) of \(mem) MiB")
    let vcpusKey = config["vcpus"] != nil ? "vcpus" : "maxvcpus"
    let vcpus = try config.int(vcpusKey).map { $0 } ?? 1
    guard vcpus > 0 else { throw .invalidValue(config.location("vcpus"), "vCPUs must be at least 1, found \(vcpus)") }
    vm.vcpus = vcpus

    let type = try guestType()
    if type == .hvm {
      let fwKey = config["firmware"] != nil ? "firmware" : "bios"
      let fw = (try config.string(fwKey) ?? "").lowercased()
      vm.firmware = fw == "ovmf" || fw == "uefi" || fw.hasSuffix("ovmf.fd") ? .uefi : .bios
    } else {
      var cmdline = try config.string("cmdline")
      if cmdline == nil {
        let root = try config.string("root").map { "root=\($0)" }
        let parts = [root, try config.string("extra")].compactMap { $0 }
        cmdline = parts.isEmpty ? nil : parts.joined(separator: " ")
      }
      vm.paravirtBoot = ParavirtBoot(
        bootloader: try config.string("bootloader"), kernel: try config.string("kernel"),
        ramdisk: try config.string("ramdisk"), cmdline: cmdline)
    }

    var origins: [DiskOrigin] = []
    for (i, spec) in try config.strings("disk").enumerated() {
      let at = config.location("disk", item: i)
      let d = try XenDiskSpec.parse(spec, at: at)
      let path = d.target.isEmpty ? nil : FileAccess.resolve(d.target, relativeTo: config.file)
      if d.isCDROM {
        vm.removableMedia.append(RemovableMedium(kind: .cdrom, bus: d.bus == .xen ? .ide : d.bus, path: path))
        continue
      }
      let source: DiskSource = d.isBlockDevice ? .block(path: path!) : .file(path: path!)
      vm.disks.append(Disk(source: source, format: d.format ?? .raw, bus: d.bus, targetName: d.vdev, readOnly: d.readOnly))
      origins.append(DiskOrigin(namedBy: at, formatStated: d.format != nil))
    }
    for (i, spec) in try config.strings("vif").enumerated() {
      let v = try XenVifSpec.parse(spec, at: config.location("vif", item: i))
      let model = v.model ?? (type == .hvm && v.type != "vif" ? "rtl8139" : "netfront")
      vm.nics.append(NIC(mac: v.mac, model: model, bridge: v.bridge))
    }
    for (key, s) in config.settings.sorted(by: { $0.value.line < $1.value.line }) where !Self.known.contains(key) {
      readerLog.debug("ignoring Xen setting", metadata: ["file": "\(config.file)", "line": "\(s.line)", "key": "\(key)"])
    }
    return MappedVM(vm: vm, diskOrigins: origins)
  }

  /// From `type` (xl) or `builder` (xm: `hvm`, `linux`/`generic` for PV).
  private func guestType() throws(ReaderError) -> XenGuestType {
    if let t = try config.string("type")?.lowercased() {
      guard let type = XenGuestType(rawValue: t) else { throw .invalidValue(config.location("type"), "unknown guest type '\(t)'") }
      return type
    }
    switch try config.string("builder")?.lowercased() {
    case "hvm": return .hvm
    case nil, "linux", "generic": return .pv
    case let b?: throw .invalidValue(config.location("builder"), "unknown builder '\(b)'")
    }
  }
}

/// How Xen runs a guest.
enum XenGuestType: String, Sendable, Equatable {
  /// Paravirtual: a Xen-aware kernel, started by a host-side kernel or bootloader (pygrub).
  case pv
  /// PV in an HVM container (no emulated devices), still started by a host-side kernel.
  case pvh
  /// Fully virtualised: emulated firmware and devices, boots its own bootloader.
  case hvm
}
