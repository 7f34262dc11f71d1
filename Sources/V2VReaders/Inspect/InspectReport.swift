import Foundation
import V2VModel

/// `v2v inspect`'s view of a source machine: the JSON documented in docs/inspect-json.md, and a readable
/// table. Every documented key is always present (null when unknown).
public struct InspectReport: Encodable, Sendable {
  /// The machine shown.
  public let vm: SourceVM

  /// Creates the report.
  public init(_ vm: SourceVM) { self.vm = vm }

  private enum Key: String, CodingKey {
    case name, hypervisor, memoryBytes, vcpus, cpuTopology, firmware, secureBoot, uuid, genid, guestOSHint
    case paravirtBoot, disks, removableMedia, nics, origin
    case path, source, format, bus, controllerModel, targetName, capacityBytes, readOnly, vmdkVariant, chain
    case kind, mac, model, network, bridge, pciSlot, sockets, cores, threads, bootloader, kernel, ramdisk, cmdline
    case type, archive, member, offset, length
  }

  /// Encodes the documented object.
  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: Key.self)
    try c.encode(vm.name, forKey: .name)
    try c.encode(vm.hypervisor.rawValue, forKey: .hypervisor)
    try c.encode(vm.memoryBytes, forKey: .memoryBytes)
    try c.encode(vm.vcpus, forKey: .vcpus)
    if let t = vm.cpuTopology {
      var n = c.nestedContainer(keyedBy: Key.self, forKey: .cpuTopology)
      try n.encode(t.sockets, forKey: .sockets)
      try n.encode(t.cores, forKey: .cores)
      try n.encode(t.threads, forKey: .threads)
    } else {
      try c.encodeNil(forKey: .cpuTopology)
    }
    try c.encode(vm.firmware.rawValue, forKey: .firmware)
    try c.encode(vm.secureBoot, forKey: .secureBoot)
    try c.encode(vm.uuid, forKey: .uuid)
    try c.encode(vm.genid, forKey: .genid)
    try c.encode(vm.guestOSHint, forKey: .guestOSHint)
    if let p = vm.paravirtBoot {
      var n = c.nestedContainer(keyedBy: Key.self, forKey: .paravirtBoot)
      try n.encode(p.bootloader, forKey: .bootloader)
      try n.encode(p.kernel, forKey: .kernel)
      try n.encode(p.ramdisk, forKey: .ramdisk)
      try n.encode(p.cmdline, forKey: .cmdline)
    } else {
      try c.encodeNil(forKey: .paravirtBoot)
    }
    var disks = c.nestedUnkeyedContainer(forKey: .disks)
    for d in vm.disks {
      var n = disks.nestedContainer(keyedBy: Key.self)
      try n.encode(d.source.displayPath, forKey: .path)
      var s = n.nestedContainer(keyedBy: Key.self, forKey: .source)
      switch d.source {
      case .file(let p): try s.encode("file", forKey: .type); try s.encode(p, forKey: .path)
      case .block(let p): try s.encode("block", forKey: .type); try s.encode(p, forKey: .path)
      case .remote(let u): try s.encode("remote", forKey: .type); try s.encode(u, forKey: .path)
      case .archiveMember(let a, let m, let o, let l):
        try s.encode("archiveMember", forKey: .type)
        try s.encode(a, forKey: .archive)
        try s.encode(m, forKey: .member)
        try s.encode(o, forKey: .offset)
        try s.encode(l, forKey: .length)
      }
      try n.encode(d.format.rawValue, forKey: .format)
      try n.encode(d.bus.rawValue, forKey: .bus)
      try n.encode(d.controllerModel, forKey: .controllerModel)
      try n.encode(d.targetName, forKey: .targetName)
      try n.encode(d.capacityBytes, forKey: .capacityBytes)
      try n.encode(d.readOnly, forKey: .readOnly)
      try n.encode(d.vmdkVariant, forKey: .vmdkVariant)
      try n.encode(d.chain, forKey: .chain)
    }
    var media = c.nestedUnkeyedContainer(forKey: .removableMedia)
    for m in vm.removableMedia {
      var n = media.nestedContainer(keyedBy: Key.self)
      try n.encode(m.kind.rawValue, forKey: .kind)
      try n.encode(m.bus.rawValue, forKey: .bus)
      try n.encode(m.path, forKey: .path)
    }
    var nics = c.nestedUnkeyedContainer(forKey: .nics)
    for nic in vm.nics {
      var n = nics.nestedContainer(keyedBy: Key.self)
      try n.encode(nic.mac, forKey: .mac)
      try n.encode(nic.model, forKey: .model)
      try n.encode(nic.network, forKey: .network)
      try n.encode(nic.bridge, forKey: .bridge)
      try n.encode(nic.pciSlot, forKey: .pciSlot)
    }
    try c.encode(vm.origin, forKey: .origin)
  }

  /// Pretty, key-sorted JSON text (stable, so it can be compared with golden files).
  public func json() -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return (try? e.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }

  /// A readable table.
  public func table() -> String {
    func gib(_ b: UInt64?) -> String {
      guard let b else { return "?" }
      return b >= 1 << 30 ? String(format: "%.1f GiB", Double(b) / Double(1 << 30)) : "\(b >> 20) MiB"
    }
    var lines = [
      "name:        \(vm.name)",
      "hypervisor:  \(vm.hypervisor.rawValue)",
      "memory:      \(gib(vm.memoryBytes)) (\(vm.memoryBytes) bytes)",
      "vCPUs:       \(vm.vcpus)" + (vm.cpuTopology.map { " (\($0.sockets) sockets × \($0.cores) cores × \($0.threads) threads)" } ?? ""),
      "firmware:    \(vm.firmware.rawValue)" + (vm.secureBoot ? " (secure boot)" : ""),
    ]
    if let u = vm.uuid { lines.append("uuid:        \(u)") }
    if let g = vm.genid { lines.append("genid:       \(g)") }
    if let o = vm.guestOSHint { lines.append("guest OS:    \(o) (as the source claims)") }
    if let p = vm.paravirtBoot {
      let parts = [p.bootloader.map { "bootloader \($0)" }, p.kernel.map { "kernel \($0)" }, p.cmdline.map { "cmdline '\($0)'" }]
      lines.append("PV boot:     " + parts.compactMap { $0 }.joined(separator: ", "))
    }
    lines.append("disks:")
    for (i, d) in vm.disks.enumerated() {
      let extra = [d.controllerModel, d.targetName, d.vmdkVariant, d.readOnly ? "read-only" : nil].compactMap { $0 }
      lines.append("  \(i)  \(d.bus.rawValue)  \(d.format.rawValue)  \(gib(d.capacityBytes))  \(d.source.displayPath)"
        + (extra.isEmpty ? "" : "  [\(extra.joined(separator: ", "))]"))
      if d.chain.count > 1 { lines.append("     snapshot chain: " + d.chain.joined(separator: " -> ")) }
    }
    lines.append("removable media:")
    for m in vm.removableMedia { lines.append("  \(m.kind.rawValue)  \(m.bus.rawValue)  \(m.path ?? "(empty)")") }
    lines.append("NICs:")
    for n in vm.nics {
      let attach = n.network.map { "network \"\($0)\"" } ?? n.bridge.map { "bridge \"\($0)\"" } ?? "unattached"
      lines.append("  \(n.mac ?? "(generated)")  \(n.model ?? "?")  \(attach)")
    }
    return lines.joined(separator: "\n")
  }
}
