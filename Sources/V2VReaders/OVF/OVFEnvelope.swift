import LibXML

/// What an OVF envelope says, in the VMware and VirtualBox dialects, read from a parsed document without
/// I/O.
struct OVFEnvelope {
  /// A `<References>/<File>`.
  struct FileRef { var id: String; var href: String; var gzip: Bool; var chunked: Bool; var line: Int }
  /// A `<DiskSection>/<Disk>`.
  struct DiskDef { var id: String; var fileRef: String?; var capacityBytes: UInt64?; var format: String?; var line: Int }
  /// A `<VirtualHardwareSection>/<Item>`, by the rasd fields v2v uses.
  struct Item {
    var instanceID: String, resourceType: Int, subType: String?, quantity: String?, units: String?
    var parent: String?, addressOnParent: String?, address: String?, hostResource: String?
    var connection: String?, coresPerSocket: Int?, line: Int
    /// The item's own `<vmw:Config vmw:key= vmw:value=>` children (`slotInfo.pciSlotNumber`).
    var vmwConfig: [String: String] = [:]
  }

  var name: String
  var systemType: String?
  var osHint: String?
  var files: [FileRef] = []
  var disks: [DiskDef] = []
  var items: [Item] = []
  var vmwConfig: [String: String] = [:]
  var virtualBoxEFI = false
  var isVirtualBox = false

  static let namespaces = [
    "ovf": "http://schemas.dmtf.org/ovf/envelope/1",
    "vmw": "http://www.vmware.com/schema/ovf",
  ]

  /// Reads the envelope; `file` names it in errors.
  init(_ doc: XMLDocument, file: String) throws(ReaderError) {
    guard let root = doc.root, root.name == "Envelope" else {
      throw .syntax(SourceLocation(file: file, line: doc.root?.line), "root element is not an OVF <Envelope>")
    }
    var ns = Self.namespaces
    ns["ovf"] = root.namespaceURI ?? ns["ovf"]
    func xp(_ e: String, _ from: XMLNode? = nil) throws(ReaderError) -> [XMLNode] {
      do { return try doc.xpath(e, namespaces: ns, from: from) } catch {
        throw .syntax(SourceLocation(file: file, context: e), error.message)
      }
    }
    guard let vs = try xp("/ovf:Envelope/ovf:VirtualSystem | /ovf:Envelope/ovf:VirtualSystemCollection/ovf:VirtualSystem").first else {
      throw .invalidValue(SourceLocation(file: file, line: root.line, context: "/Envelope/VirtualSystem"), "OVF has no VirtualSystem")
    }
    name = vs.child(named: "Name")?.text ?? vs.attribute("id") ?? ""
    let hw = try xp("ovf:VirtualHardwareSection", vs).first
    systemType = hw?.child(named: "System")?.child(named: "VirtualSystemType")?.text
    let os = try xp("ovf:OperatingSystemSection", vs).first
    osHint = os?.attribute("osType", namespace: ns["vmw"]) ?? os?.child(named: "Description")?.text
    for f in try xp("/ovf:Envelope/ovf:References/ovf:File") {
      files.append(FileRef(
        id: f.attribute("id") ?? "", href: f.attribute("href") ?? "", gzip: f.attribute("compression") == "gzip",
        chunked: f.attribute("chunkSize") != nil, line: f.line))
    }
    for d in try xp("/ovf:Envelope/ovf:DiskSection/ovf:Disk") {
      let loc = SourceLocation(file: file, line: d.line, context: "DiskSection/Disk/@capacity")
      var cap: UInt64?
      if let c = d.attribute("capacity") {
        cap = try OVFUnits.bytes(c, units: d.attribute("capacityAllocationUnits") ?? "byte", at: loc)
      }
      disks.append(DiskDef(id: d.attribute("diskId") ?? "", fileRef: d.attribute("fileRef"), capacityBytes: cap, format: d.attribute("format"), line: d.line))
    }
    for item in try xp("ovf:Item | ovf:StorageItem | ovf:EthernetPortItem", hw ?? vs) {
      func field(_ n: String) -> String? { item.child(named: n)?.text }
      guard let rt = field("ResourceType"), let type = Int(rt) else {
        throw .invalidValue(SourceLocation(file: file, line: item.line, context: "Item/ResourceType"), "hardware item has no numeric ResourceType")
      }
      items.append(Item(
        instanceID: field("InstanceID") ?? "", resourceType: type, subType: field("ResourceSubType"),
        quantity: field("VirtualQuantity"), units: field("AllocationUnits"), parent: field("Parent"),
        addressOnParent: field("AddressOnParent"), address: field("Address"), hostResource: field("HostResource"),
        connection: field("Connection"), coresPerSocket: field("CoresPerSocket").flatMap { Int($0) }, line: item.line))
      for c in try xp("vmw:Config", item) {
        if let k = c.attribute("key", namespace: ns["vmw"]) { items[items.count - 1].vmwConfig[k] = c.attribute("value", namespace: ns["vmw"]) ?? "" }
      }
    }
    for c in try xp("vmw:Config | vmw:ExtraConfig", hw ?? vs) {
      if let k = c.attribute("key", namespace: ns["vmw"]) { vmwConfig[k] = c.attribute("value", namespace: ns["vmw"]) ?? "" }
    }
    if let fw = hw?.attribute("firmware", namespace: ns["vmw"]) { vmwConfig["firmware"] = fw }
    isVirtualBox = systemType?.lowercased().hasPrefix("virtualbox") ?? false
    for m in try xp(".//*[local-name()='Machine']", vs) {
      isVirtualBox = true
      for fw in try xp(".//*[local-name()='Firmware']", m) where fw.attribute("type")?.uppercased().hasPrefix("EFI") == true {
        virtualBoxEFI = true
      }
    }
  }
}

/// OVF allocation units: `byte * 2^20`, `byte*2^30`, `MegaBytes`, `GigaBytes`, `byte`.
enum OVFUnits {
  /// `value` in `units`, in bytes.
  static func bytes(_ value: String, units: String, at: SourceLocation) throws(ReaderError) -> UInt64 {
    guard let n = UInt64(value.trimmingCharacters(in: " ")) else {
      throw .invalidValue(at, "expected a non-negative integer, found '\(value.prefix(40))'")
    }
    let u = units.lowercased().filter { $0 != " " }
    var scale: UInt64
    switch u {
    case "byte", "bytes", "": scale = 1
    case "kilobytes", "kb", "kib": scale = 1 << 10
    case "megabytes", "mb", "mib": scale = 1 << 20
    case "gigabytes", "gb", "gib": scale = 1 << 30
    case "terabytes", "tb", "tib": scale = 1 << 40
    default:
      // byte*2^N or byte*10^N
      guard u.hasPrefix("byte*"), let caret = u.firstIndex(of: "^"),
        let base = UInt64(u[u.index(u.startIndex, offsetBy: 5)..<caret]), let exp = Int(u[u.index(after: caret)...]),
        base == 2 || base == 10, exp >= 0, exp <= 60
      else { throw .invalidValue(at, "unknown allocation units '\(units)'") }
      scale = 1
      for _ in 0..<exp {
        let (s, o) = scale.multipliedReportingOverflow(by: base)
        guard !o, s <= ByteCount.max else { throw .invalidValue(at, "allocation units '\(units)' are too large") }
        scale = s
      }
    }
    return try ByteCount.scaled(n, by: scale, at: at, what: "\(n) × '\(units)'")
  }
}
