import LibXML
import V2VModel

/// Maps a libvirt `<domain>` document (of any type: kvm, qemu, xen, vmware…) to the source model.
/// Pure: works on a parsed document; paths are not checked here.
struct LibvirtDomainMapper {
  /// The parsed document.
  let document: XMLDocument
  /// The file name used in errors and to resolve relative paths.
  let file: String

  private func at(_ node: XMLNode, _ path: String) -> SourceLocation {
    SourceLocation(file: file, line: node.line > 0 ? node.line : nil, context: path)
  }

  /// Produces the machine; disks carry the `<disk>` element that named them.
  func map() throws(ReaderError) -> MappedVM {
    guard var root = document.root else { throw .syntax(SourceLocation(file: file), "empty document") }
    if root.name == "node" {
      // A libvirt test-driver file: accept it when it holds exactly one domain.
      let domains = root.children(named: "domain")
      guard domains.count == 1 else {
        let names = domains.compactMap { $0.child(named: "name")?.text }.joined(separator: ", ")
        throw .unsupported(
          SourceLocation(file: file, line: root.line, context: "/node"),
          "holds \(domains.count) domains (\(names)); give a file with one <domain>")
      }
      root = domains[0]
    }
    guard root.name == "domain" else {
      throw .syntax(SourceLocation(file: file, line: root.line), "root element is <\(root.name)>, not <domain>")
    }
    guard let name = root.child(named: "name")?.text, !name.isEmpty else {
      throw .invalidValue(at(root, "/domain/name"), "domain has no <name>")
    }
    var vm = SourceVM(name: name, hypervisor: Self.hypervisor(root.attribute("type")), origin: file)
    vm.uuid = root.child(named: "uuid")?.text.lowercased()
    if let mem = root.child(named: "memory") ?? root.child(named: "currentMemory") {
      vm.memoryBytes = try LibvirtUnits.bytes(mem.text, unit: mem.attribute("unit"), at: at(mem, "/domain/\(mem.name)"))
      guard vm.memoryBytes > 0 else { throw .invalidValue(at(mem, "/domain/\(mem.name)"), "memory must be positive") }
    }
    if let vcpu = root.child(named: "vcpu") {
      guard let n = Int(vcpu.text), n > 0 else {
        throw .invalidValue(at(vcpu, "/domain/vcpu"), "vCPUs must be a positive number, found '\(vcpu.text)'")
      }
      vm.vcpus = n
    }
    if let topo = root.child(named: "cpu")?.child(named: "topology") {
      let loc = at(topo, "/domain/cpu/topology")
      func count(_ a: String) throws(ReaderError) -> Int {
        guard let v = topo.attribute(a) else { return 1 }
        guard let n = Int(v), n > 0 else { throw .invalidValue(loc, "\(a)='\(v)' is not a positive number") }
        return n
      }
      vm.cpuTopology = CPUTopology(sockets: try count("sockets") * count("dies"), cores: try count("cores"), threads: try count("threads"))
    }
    try mapOS(root, into: &vm)
    var origins: [DiskOrigin] = []
    let devices = root.child(named: "devices")
    for (i, disk) in (devices?.children(named: "disk") ?? []).enumerated() {
      try mapDisk(disk, index: i + 1, into: &vm, origins: &origins)
    }
    for (i, iface) in (devices?.children(named: "interface") ?? []).enumerated() {
      let loc = at(iface, "/domain/devices/interface[\(i + 1)]/mac")
      var nic = NIC(model: iface.child(named: "model")?.attribute("type"))
      if let mac = iface.child(named: "mac")?.attribute("address") {
        guard let m = MACAddress.normalize(mac) else { throw .invalidValue(loc, "malformed MAC address '\(mac)'") }
        nic.mac = m
      }
      let source = iface.child(named: "source")
      switch iface.attribute("type") {
      case "network": nic.network = source?.attribute("network")
      case "bridge": nic.bridge = source?.attribute("bridge")
      case "direct": nic.bridge = source?.attribute("dev")
      default: nic.network = source?.attribute("network"); nic.bridge = source?.attribute("bridge")
      }
      vm.nics.append(nic)
    }
    return MappedVM(vm: vm, diskOrigins: origins)
  }

  private func mapOS(_ root: XMLNode, into vm: inout SourceVM) throws(ReaderError) {
    let os = root.child(named: "os")
    let loader = os?.child(named: "loader")
    let osType = os?.child(named: "type")?.text.lowercased()
    if os?.attribute("firmware") == "efi" || (loader?.attribute("type") == "pflash")
      || (loader?.text.lowercased().contains("ovmf") ?? false) || (loader?.text.lowercased().contains("edk2") ?? false)
    {
      vm.firmware = .uefi
    } else if osType == "hvm" || osType == nil {
      vm.firmware = .bios
    }
    if loader?.attribute("secure") == "yes" { vm.secureBoot = true }
    if os?.child(named: "firmware")?.children(named: "feature").contains(where: {
      $0.attribute("name") == "secure-boot" && $0.attribute("enabled") == "yes"
    }) == true { vm.secureBoot = true }
    let bootloader = root.child(named: "bootloader")?.text
    let kernel = os?.child(named: "kernel")?.text
    if osType == "linux" || osType == "xen" || bootloader != nil || (kernel != nil && root.attribute("type") == "xen") {
      vm.paravirtBoot = ParavirtBoot(
        bootloader: bootloader, kernel: kernel, ramdisk: os?.child(named: "initrd")?.text,
        cmdline: os?.child(named: "cmdline")?.text)
    }
  }

  private func mapDisk(_ disk: XMLNode, index: Int, into vm: inout SourceVM, origins: inout [DiskOrigin]) throws(ReaderError) {
    let path = "/domain/devices/disk[\(index)]"
    let loc = at(disk, path)
    let device = disk.attribute("device") ?? "disk"
    let source = disk.child(named: "source")
    let target = disk.child(named: "target")
    guard let bus = Self.bus(target?.attribute("bus"), dev: target?.attribute("dev")) else {
      throw .unsupported(at(target ?? disk, path + "/target/@bus"), "unknown disk bus '\(target?.attribute("bus") ?? "")'")
    }
    var location: DiskSource?
    switch disk.attribute("type") ?? "file" {
    case "file": location = source?.attribute("file").map { .file(path: FileAccess.resolve($0, relativeTo: file)) }
    case "block": location = source?.attribute("dev").map { .block(path: $0) }
    case "network":
      if let s = source, let proto = s.attribute("protocol") {
        let host = s.child(named: "host")
        let hostPart = host.map { h in (h.attribute("name") ?? "") + (h.attribute("port").map { ":\($0)" } ?? "") } ?? ""
        location = .remote(uri: "\(proto)://\(hostPart)/\(s.attribute("name") ?? "")")
      }
    case let t: throw .unsupported(loc, "disk type '\(t)' is not supported")
    }
    if device == "cdrom" || device == "floppy" {
      vm.removableMedia.append(RemovableMedium(kind: device == "cdrom" ? .cdrom : .floppy, bus: device == "floppy" ? .fdc : bus, path: location?.displayPath))
      return
    }
    guard let location else { throw .invalidValue(at(source ?? disk, path + "/source"), "disk has no source file or device") }
    var format: DiskFormat?
    if let t = disk.child(named: "driver")?.attribute("type") {
      guard let f = DiskFormat(rawValue: t == "vpc" ? "vhd" : t) else { throw .unsupported(at(disk, path + "/driver/@type"), "unknown disk format '\(t)'") }
      format = f
    }
    vm.disks.append(Disk(
      source: location, format: format ?? .raw, bus: bus, targetName: target?.attribute("dev"),
      readOnly: disk.child(named: "readonly") != nil))
    origins.append(DiskOrigin(namedBy: SourceLocation(file: file, line: source?.line ?? disk.line, context: path + "/source"), formatStated: format != nil))
  }

  /// The bus `bus` names, or (when absent) the one the device name implies; nil for a bus v2v does not
  /// know (never a guess from the device name, which would turn `bus='floppybus' dev='vda'` into virtio).
  static func bus(_ bus: String?, dev: String?) -> Bus? {
    if let bus { return Bus(rawValue: bus) }
    let d = dev ?? ""
    if d.hasPrefix("vd") { return .virtio }
    if d.hasPrefix("xvd") { return .xen }
    if d.hasPrefix("sd") { return .scsi }
    if d.hasPrefix("fd") { return .fdc }
    return .ide
  }

  static func hypervisor(_ type: String?) -> Hypervisor {
    switch type?.lowercased() {
    case "kvm": return .kvm
    case "qemu": return .qemu
    case "xen": return .xen
    case "vmware": return .vmware
    case "vbox": return .virtualbox
    case "hyperv": return .hyperv
    default: return .unknown
    }
  }
}
