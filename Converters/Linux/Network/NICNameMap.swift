import V2VModel

/// One NIC of the converted guest and the name it is to keep.
struct NICPin: Sendable, Equatable {
  /// The interface name the guest knew the NIC by (`ens192`, `eth0`).
  var name: String
  /// The NIC's MAC address on the target (after `--mac`), lower-case colon form.
  var mac: String
  /// The NIC's MAC address on the source; differs from ``mac`` only through `--mac`.
  var sourceMAC: String
  /// Why this name belongs to this NIC, for the user (`VMware PCI slot 192`, `/etc/udev/rules.d/70-…`).
  var evidence: String
}

/// Which old interface name belongs to which NIC of the target, from what the source says and what the
/// guest itself records. Pure.
///
/// Rules, in order of strength:
/// 1. the guest's own records win when they bind a name to a MAC address one of the source's NICs has
///    (udev `70-persistent-net.rules`, `.link` files, netplan `match: macaddress` + `set-name`, ifcfg
///    `DEVICE`+`HWADDR`, NetworkManager `interface-name`+`mac-address`, networkd `[Match]` name + MAC);
/// 2. otherwise the source: VMware names NICs by PCI slot (`ens<slot>`; in kernel order by slot when the
///    guest turned predictable names off); Xen netfront NICs are `eth<N>` (`enX<N>` when the guest uses
///    that newer scheme) in vif order; a source with exactly one NIC whose guest configures exactly one
///    hardware-style name gets that name;
/// 3. a physical source describes no NICs: the guest's records are all there is, pinned to the MACs they name.
///    On a virtual target those MACs become the target's NICs (``addedNICs``). With no records and exactly one
///    hardware-style name configured, the target gets one NIC with a new MAC and that name is pinned to it;
///    with no records and no such name (DHCP on whatever NIC appears), one NIC with a new MAC and no pin.
///
/// When two rules or two records disagree, or a NIC's name cannot be told, the result is ambiguous:
/// ``ambiguities`` says which interfaces and why, and ``pins`` is empty (nothing is changed).
struct NICNameMap: Sendable, Equatable {
  /// The names to pin, in source NIC order.
  var pins: [NICPin] = []
  /// Why the mapping could not be made (each names the interfaces); non-empty means ``pins`` is empty.
  var ambiguities: [String] = []
  /// Other things the user should know (a NIC with no known MAC, names that may swap, `--mac` unused).
  var warnings: [String] = []
  /// MACs of NICs a virtual target must get that the source does not describe (a physical source), in order.
  var addedNICs: [String] = []

  /// What the mapping is made from.
  struct Input: Sendable {
    /// The source machine's NICs, in order (the target's NICs are in the same order).
    var nics: [NIC]
    /// What the machine ran on.
    var hypervisor: Hypervisor
    /// Whether the target is physical hardware (its MACs are known only through `--mac`).
    var physicalTarget: Bool
    /// `--mac`: source MAC → target MAC.
    var macMap: [String: String] = [:]
    /// The guest's network configuration.
    var inventory: NetworkInventory
    /// Makes a MAC for a NIC the target needs and nothing records (tests give a fixed one).
    var newMAC: @Sendable () -> String = MACAddress.randomKVM
  }

  /// A name bound to a MAC by a guest file.
  struct Record: Sendable, Equatable {
    var name: String
    var mac: String
    var file: String
  }

  /// The guest's records that bind one interface name to one MAC address.
  static func records(_ inventory: NetworkInventory) -> [Record] {
    inventory.interfaces.compactMap { i in
      guard let n = i.name, !i.nameIsPattern, let m = i.mac, isValidName(n) else { return nil }
      return Record(name: n, mac: m, file: i.file)
    }
  }

  /// The hardware-style interface names the guest's configuration uses (not patterns, not bonds or bridges),
  /// including the members of bonds, bridges and VLANs, in file order.
  static func configuredHardwareNames(_ inventory: NetworkInventory) -> [String] {
    var out: [String] = []
    for i in inventory.interfaces {
      for n in ([i.name].compactMap { $0 } + i.lowerInterfaces) where !i.nameIsPattern || n != i.name {
        let base = baseName(n)
        if isHardwareName(base) && !out.contains(base) { out.append(base) }
      }
    }
    return out
  }

  /// Names from the NIC's bus position or driver order (``NetworkNamingWarningRule/isHardwareName(_:)``), and
  /// systemd's Xen netfront names (`enX0`).
  static func isHardwareName(_ name: String) -> Bool {
    NetworkNamingWarningRule.isHardwareName(name) || (name.hasPrefix("enX") && name.count > 3 && name.dropFirst(3).allSatisfy(\.isNumber))
  }

  /// `eth0` for `eth0:1` (an alias) and `eth0.10` (a VLAN on it).
  static func baseName(_ name: String) -> String {
    String(name.split(separator: ":").first.flatMap { $0.split(separator: ".").first } ?? Substring(name))
  }

  /// Whether `name` can be an interface name (1-15 bytes, no `/`, whitespace, `:` or `%`, not `.`/`..`).
  static func isValidName(_ name: String) -> Bool {
    !name.isEmpty && name.utf8.count <= 15 && name != "." && name != ".."
      && !name.contains(where: { $0 == "/" || $0 == ":" || $0 == "%" || $0.isWhitespace || $0 == "\"" })
  }

  /// Whether `name` is in the kernel's namespace (`eth0`): the kernel may hand it to another NIC first.
  static func isKernelName(_ name: String) -> Bool {
    name.hasPrefix("eth") && name.count > 3 && name.dropFirst(3).allSatisfy(\.isNumber)
  }

  /// Builds the map.
  static func build(_ input: Input) -> NICNameMap {
    var out = NICNameMap()
    let records = records(input.inventory)
    let configured = configuredHardwareNames(input.inventory)
    let sourceMACs = Set(input.nics.compactMap(\.mac))

    // The NICs to name: the source's, or for a physical source (which describes none) the MACs the guest
    // records, in file order.
    var nics = input.nics
    let fromRecords = nics.isEmpty && input.hypervisor == .physical
    if fromRecords {
      var seen = Set<String>()
      for r in records where seen.insert(r.mac).inserted { nics.append(NIC(mac: r.mac)) }
    }
    // A physical source with no records, going to a virtual machine: the NIC it needs gets a new MAC.
    var generated: (mac: String, name: String?)?
    if fromRecords && nics.isEmpty && !input.physicalTarget {
      if configured.count <= 1 {
        let mac = input.newMAC()
        generated = (mac, configured.first)
        nics.append(NIC(mac: mac))
        out.addedNICs = [mac]
        out.warnings.append(
          "the physical source describes no NICs and the guest records no MAC address: the target gets one NIC with a new MAC, \(mac)"
            + (configured.first.map { ", and \($0) (the only interface the guest configures by a hardware name) is pinned to it" }
              ?? " (the guest configures no interface by a hardware name, so nothing is pinned)"))
      } else {
        out.warnings.append(
          "the physical source describes no NICs and the guest records no MAC address for \(configured.joined(separator: ", ")): "
            + "which NIC was which cannot be told, so the target gets no NIC from v2v; add them, then check the names on first boot")
      }
    } else if fromRecords && !input.physicalTarget {
      out.addedNICs = nics.compactMap(\.mac)
    }

    for old in input.macMap.keys.sorted() where !nics.contains(where: { $0.mac == old }) {
      out.warnings.append("--mac \(old): no NIC of the source has MAC \(old); ignored")
    }

    var named: [(index: Int, name: String, evidence: String)] = []
    for (i, nic) in nics.enumerated() {
      let label = nic.mac.map { "NIC \(i + 1) (\($0))" } ?? "NIC \(i + 1)"
      // 1. The guest's records.
      if let m = nic.mac {
        let mine = records.filter { $0.mac == m }
        let names = Set(mine.map(\.name))
        if names.count > 1 {
          out.ambiguities.append(
            "\(label): the guest's records disagree on its name: "
              + mine.map { "\($0.file) says \($0.name)" }.joined(separator: ", "))
          continue
        }
        if let r = mine.first {
          let files = mine.map(\.file).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
          named.append((i, r.name, "the guest's records bind \(r.name) to \(m): \(files.joined(separator: ", "))"))
          continue
        }
      }
      if let g = generated {
        if let name = g.name {
          named.append((i, name, "the only hardware interface name the guest configures; its NIC is new (\(g.mac))"))
        }
        continue
      }
      // 2. The source.
      switch source(nic, index: i, input: input, configured: configured, nicCount: nics.count, fromRecords: fromRecords) {
      case .name(let n, let why): named.append((i, n, why))
      case .unknown(let why): out.ambiguities.append("\(label): \(why)")
      }
    }

    // Records naming a MAC no NIC has are stale (a replaced card); a name recorded for two NICs is a conflict.
    var byName: [String: [Int]] = [:]
    for n in named { byName[n.name, default: []].append(n.index) }
    for (name, idx) in byName.sorted(by: { $0.key < $1.key }) where idx.count > 1 {
      let who = idx.map { i in nics[i].mac.map { "NIC \(i + 1) (\($0))" } ?? "NIC \(i + 1)" }
      out.ambiguities.append("\(who.joined(separator: " and ")) would both be named \(name)")
    }
    if !sourceMACs.isEmpty {
      for r in records where !sourceMACs.contains(r.mac) {
        out.warnings.append("\(r.file) binds \(r.name) to \(r.mac), which no NIC of the source has; left as it is")
      }
    }
    if !out.ambiguities.isEmpty {
      out.ambiguities.append("no interface name pinned: the guest's configuration is left as it is; check the interface names on first boot")
      return out
    }

    // Target MACs.
    var unknownOnHardware: [(name: String, mac: String)] = []
    for n in named {
      guard let m = nics[n.index].mac else {
        out.warnings.append("\(n.name) (NIC \(n.index + 1)): the source gives no MAC address (the target generates one), so its name cannot be pinned; \(n.name) will not exist after the move")
        continue
      }
      if let new = input.macMap[m] {
        out.pins.append(NICPin(name: n.name, mac: new, sourceMAC: m, evidence: n.evidence))
      } else if input.physicalTarget {
        unknownOnHardware.append((n.name, m))
      } else {
        out.pins.append(NICPin(name: n.name, mac: m, sourceMAC: m, evidence: n.evidence))
      }
    }
    if !unknownOnHardware.isEmpty {
      out.warnings.append(
        "the new machine's MAC addresses are not known, so "
          + unknownOnHardware.map { "\($0.name) (\($0.mac) on the source)" }.joined(separator: ", ")
          + " cannot be pinned and will have other names on its NICs; give each NIC's new MAC: "
          + unknownOnHardware.map { "--mac \($0.mac)=NEW-MAC" }.joined(separator: " "))
    }
    if generated == nil && !out.addedNICs.isEmpty {
      let names = Dictionary(out.pins.map { ($0.mac, $0.name) }, uniquingKeysWith: { a, _ in a })
      out.warnings.append(
        "the physical source describes no NICs: the target gets one per MAC address the guest records, "
          + out.addedNICs.map { m in names[m].map { "\(m) (\($0))" } ?? m }.joined(separator: ", ")
          + "; each connects to the default network unless --network or --bridge says otherwise")
    }
    out.warnings += kernelNameWarnings(out.pins, nics: nics, physicalTarget: input.physicalTarget, fromRecords: fromRecords)
    return out
  }

  /// What the source says about one NIC's name.
  enum SourceName: Equatable {
    case name(String, String)
    case unknown(String)
  }

  static func source(
    _ nic: NIC, index i: Int, input: Input, configured: [String], nicCount: Int, fromRecords: Bool
  ) -> SourceName {
    let kernelNames = input.inventory.predictableNamesOff
    switch input.hypervisor {
    case .vmware where kernelNames:
      // Kernel names come in probe order, which on VMware is PCI order: by slot.
      if nicCount == 1 { return .name("eth0", "the only NIC; the guest uses kernel names (net.ifnames=0)") }
      let slots = input.nics.map(\.pciSlot)
      guard let mine = nic.pciSlot, !slots.contains(nil) else {
        return .unknown("the guest uses kernel names (ethN, in PCI order) and the source gives no PCI slot for every NIC, so the order cannot be told")
      }
      let rank = input.nics.indices.filter { j in slots[j]! < mine || (slots[j]! == mine && j < i) }.count
      return .name("eth\(rank)", "the guest uses kernel names (net.ifnames=0), in PCI order: VMware PCI slot \(mine) is the \(ordinal(rank + 1))")
    case .vmware:
      if let s = nic.pciSlot { return .name("ens\(s)", "VMware PCI slot \(s) (the source's pciSlotNumber)") }
      return single(nic, nicCount: nicCount, configured: configured, why: "the source gives no PCI slot (VMware names NICs ens<slot>)")
    case .xen:
      let eth = "eth\(i)", enX = "enX\(i)"
      if configured.contains(enX) && !configured.contains(eth) {
        return .name(enX, "Xen netfront, vif \(i) (the guest uses systemd's enX<N> names)")
      }
      return .name(eth, "Xen netfront, vif \(i)")
    case .physical where fromRecords:
      return .unknown("a physical source describes no NICs and the guest records no name for this one")
    default:
      return single(nic, nicCount: nicCount, configured: configured, why: "a \(input.hypervisor.rawValue) source does not say which name the guest gave this NIC")
    }
  }

  /// One NIC, one hardware name configured: that name; else unknown with `why`.
  static func single(_ nic: NIC, nicCount: Int, configured: [String], why: String) -> SourceName {
    if nicCount == 1 && configured.count == 1 {
      return .name(configured[0], "the only NIC, and \(configured[0]) is the only hardware interface the guest configures (\(why))")
    }
    if nicCount == 1 && configured.isEmpty { return .unknown("\(why), and the guest configures no hardware interface name") }
    return .unknown(
      "\(why), and the guest has no record of its MAC"
        + (configured.isEmpty ? "" : " (it configures \(configured.joined(separator: ", ")))"))
  }

  /// Warnings for kernel-namespace names (`eth0`) that the kernel may already give another NIC.
  static func kernelNameWarnings(_ pins: [NICPin], nics: [NIC], physicalTarget: Bool, fromRecords: Bool) -> [String] {
    let kernel = pins.filter { isKernelName($0.name) }
    guard !kernel.isEmpty else { return [] }
    if physicalTarget || fromRecords {
      guard kernel.count > 1 else { return [] }
      return ["\(kernel.map(\.name).joined(separator: ", ")) are kernel names: the new machine's kernel may probe the NICs in another order and give one NIC another's name first; udev renames them, but a swap can fail (\"File exists\"): check them on first boot"]
    }
    // On KVM the NICs are probed in target order, which is the source's order.
    var out: [String] = []
    for p in kernel {
      guard let i = nics.firstIndex(where: { $0.mac == p.sourceMAC }), let j = Int(p.name.dropFirst(3)), i != j, j < nics.count else { continue }
      out.append("\(p.name) is pinned to NIC \(i + 1) (\(p.mac)), but the kernel names NIC \(j + 1) \(p.name) first: the two swap kernel names at boot, which udev can fail to do (\"File exists\"); check them on first boot")
    }
    return out
  }

  static func ordinal(_ n: Int) -> String {
    switch n {
    case 1: return "first"
    case 2: return "second"
    case 3: return "third"
    default: return "\(n)th"
    }
  }
}
