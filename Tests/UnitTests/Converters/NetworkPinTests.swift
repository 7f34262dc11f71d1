import Foundation
import Testing
@testable import V2VConverters
import V2VCore
import V2VModel
import V2VTestSupport

/// Which old interface name goes to which NIC (NICNameMap), and the files NetworkPinRule writes for it.
@Suite("Network: NIC names pinned to MACs", .offPool)
struct NetworkPinTests {
  typealias T = ConverterTestSupport
  static let mac1 = "00:0c:29:aa:bb:cc", mac2 = "00:0c:29:dd:ee:ff"
  static let new1 = "52:54:00:12:34:56", new2 = "52:54:00:65:43:21"

  static func ifupdown(_ name: String, _ settings: [String] = ["dhcp4"]) -> ConfiguredInterface {
    ConfiguredInterface(system: .ifupdown, file: "/etc/network/interfaces", name: name, settings: settings)
  }

  static func map(
    _ nics: [NIC], _ interfaces: [ConfiguredInterface] = [], hv: Hypervisor = .vmware, physical: Bool = false,
    macMap: [String: String] = [:], kernelNames: Bool = false
  ) -> NICNameMap {
    NICNameMap.build(NICNameMap.Input(
      nics: nics, hypervisor: hv, physicalTarget: physical, macMap: macMap,
      inventory: NetworkInventory(interfaces: interfaces, predictableNamesOff: kernelNames)))
  }

  static func pairs(_ m: NICNameMap) -> [String] { m.pins.map { "\($0.name)=\($0.mac)" } }

  // MARK: NICNameMap

  @Test("VMware with PCI slots: ens<slot> in ethernetN order, named even when the guest never uses it")
  func vmwareSlots() {
    let m = Self.map([NIC(mac: Self.mac1, pciSlot: 192), NIC(mac: Self.mac2, pciSlot: 224)], [Self.ifupdown("ens192")])
    #expect(Self.pairs(m) == ["ens192=\(Self.mac1)", "ens224=\(Self.mac2)"])
    #expect(m.pins[0].evidence.contains("PCI slot 192"))
    #expect(m.ambiguities.isEmpty && m.warnings.isEmpty)
  }

  @Test("VMware without slots: one NIC and one configured hardware name is that name, and says so")
  func vmwareOneNICNoSlot() {
    let m = Self.map([NIC(mac: Self.mac1)], [Self.ifupdown("ens160", ["static 192.0.2.10/24"]), Self.ifupdown("lo")])
    #expect(Self.pairs(m) == ["ens160=\(Self.mac1)"])
    #expect(m.pins[0].evidence.contains("the only NIC") && m.pins[0].evidence.contains("no PCI slot"))
    // Two configured names for one NIC: which one?
    let two = Self.map([NIC(mac: Self.mac1)], [Self.ifupdown("ens160"), Self.ifupdown("ens192")])
    #expect(two.pins.isEmpty && two.ambiguities.first?.contains("ens160, ens192") == true)
  }

  @Test("VMware, two NICs without slots and no guest records: ambiguous, nothing pinned, both NICs named")
  func vmwareMultiNoSlotsAmbiguous() {
    let m = Self.map([NIC(mac: Self.mac1), NIC(mac: Self.mac2)], [Self.ifupdown("ens192"), Self.ifupdown("ens224")])
    #expect(m.pins.isEmpty)
    #expect(m.ambiguities.count == 3)
    #expect(m.ambiguities[0].contains(Self.mac1) && m.ambiguities[0].contains("no PCI slot"))
    #expect(m.ambiguities[1].contains(Self.mac2))
    #expect(m.ambiguities[2].hasPrefix("no interface name pinned"))
  }

  @Test("Xen: eth<N> in vif order; enX<N> when the guest uses systemd's newer Xen names")
  func xen() {
    let m = Self.map([NIC(mac: Self.mac1), NIC(mac: Self.mac2)], hv: .xen)
    #expect(Self.pairs(m) == ["eth0=\(Self.mac1)", "eth1=\(Self.mac2)"])
    #expect(m.pins[1].evidence == "Xen netfront, vif 1")
    let enX = Self.map([NIC(mac: Self.mac1)], [Self.ifupdown("enX0")], hv: .xen)
    #expect(Self.pairs(enX) == ["enX0=\(Self.mac1)"])
  }

  @Test("the guest's records win over the source when they name a MAC the source has; stale ones are reported")
  func recordsWin() {
    let udev = ConfiguredInterface(system: .udevRules, file: "/etc/udev/rules.d/70-persistent-net.rules", name: "lan0", mac: Self.mac1, namesOnly: true)
    let stale = ConfiguredInterface(system: .udevRules, file: "/etc/udev/rules.d/70-persistent-net.rules", name: "eth0", mac: "00:50:56:00:00:01", namesOnly: true)
    let m = Self.map([NIC(mac: Self.mac1, pciSlot: 192), NIC(mac: Self.mac2, pciSlot: 224)], [stale, udev])
    #expect(Self.pairs(m) == ["lan0=\(Self.mac1)", "ens224=\(Self.mac2)"])
    #expect(m.pins[0].evidence.contains("70-persistent-net.rules"))
    #expect(m.warnings == ["/etc/udev/rules.d/70-persistent-net.rules binds eth0 to 00:50:56:00:00:01, which no NIC of the source has; left as it is"])
  }

  @Test("records that disagree, or two NICs with one name: ambiguous, nothing pinned")
  func conflicts() {
    let a = ConfiguredInterface(system: .ifcfg, file: "/etc/sysconfig/network-scripts/ifcfg-eth0", name: "eth0", mac: Self.mac1)
    let b = ConfiguredInterface(system: .networkManager, file: "/etc/NetworkManager/system-connections/x.nmconnection", name: "ens192", mac: Self.mac1)
    let m = Self.map([NIC(mac: Self.mac1, pciSlot: 192)], [a, b])
    #expect(m.pins.isEmpty)
    #expect(m.ambiguities[0].contains("records disagree") && m.ambiguities[0].contains("ifcfg-eth0 says eth0") && m.ambiguities[0].contains("says ens192"))
    // A record gives NIC 1 the name the source gives NIC 2.
    let c = ConfiguredInterface(system: .ifcfg, file: "/etc/sysconfig/network-scripts/ifcfg-ens224", name: "ens224", mac: Self.mac1)
    let dup = Self.map([NIC(mac: Self.mac1, pciSlot: 192), NIC(mac: Self.mac2, pciSlot: 224)], [c])
    #expect(dup.pins.isEmpty && dup.ambiguities.contains("NIC 1 (\(Self.mac1)) and NIC 2 (\(Self.mac2)) would both be named ens224"))
  }

  @Test("a physical source describes no NICs: the guest's records are pinned to their MACs, which become the KVM target's NICs")
  func physicalSource() {
    let rec = ConfiguredInterface(system: .ifcfg, file: "/etc/sysconfig/network-scripts/ifcfg-eno1", name: "eno1", mac: Self.mac1, settings: ["static 192.0.2.10/24"])
    let udev = ConfiguredInterface(system: .udevRules, file: "/etc/udev/rules.d/70-persistent-net.rules", name: "lan1", mac: Self.mac2, namesOnly: true)
    let m = Self.map([], [rec, udev], hv: .physical)
    #expect(Self.pairs(m) == ["eno1=\(Self.mac1)", "lan1=\(Self.mac2)"])
    #expect(m.addedNICs == [Self.mac1, Self.mac2])
    #expect(m.warnings.contains { $0.contains("describes no NICs") && $0.contains("\(Self.mac1) (eno1), \(Self.mac2) (lan1)") }, "\(m.warnings)")
    // Onto a physical machine (V2P of a P2V'd disk) the target's NICs are its own: none added.
    let hw = Self.map([], [rec], hv: .physical, physical: true)
    #expect(hw.addedNICs.isEmpty && hw.pins.isEmpty)
    // Records that disagree: nothing pinned, but the NICs the machine had are still the target's.
    let other = ConfiguredInterface(system: .networkManager, file: "/etc/NetworkManager/system-connections/a.nmconnection", name: "enp3s0", mac: Self.mac1)
    let torn = Self.map([], [rec, other], hv: .physical)
    #expect(torn.pins.isEmpty && torn.addedNICs == [Self.mac1] && !torn.ambiguities.isEmpty)
  }

  @Test("a physical source, no records: one configured hardware name is pinned to a new NIC's new MAC; none: one unpinned NIC; several: none")
  func physicalSourceNoRecords() {
    func build(_ interfaces: [ConfiguredInterface]) -> NICNameMap {
      NICNameMap.build(NICNameMap.Input(
        nics: [], hypervisor: .physical, physicalTarget: false,
        inventory: NetworkInventory(interfaces: interfaces), newMAC: { Self.new1 }))
    }
    let one = build([Self.ifupdown("lo"), Self.ifupdown("eno1", ["dhcp4"])])
    #expect(Self.pairs(one) == ["eno1=\(Self.new1)"])
    #expect(one.addedNICs == [Self.new1])
    #expect(one.pins.first?.evidence.contains("only hardware interface name") == true)
    #expect(one.warnings.contains { $0.contains("new MAC, \(Self.new1), and eno1") }, "\(one.warnings)")
    let none = build([Self.ifupdown("lo")])
    #expect(none.pins.isEmpty && none.addedNICs == [Self.new1] && none.ambiguities.isEmpty)
    let two = build([Self.ifupdown("eno1"), Self.ifupdown("eno2")])
    #expect(two.pins.isEmpty && two.addedNICs.isEmpty)
    #expect(two.warnings.contains { $0.contains("eno1, eno2") && $0.contains("gets no NIC") })
    // A virtual source with no NICs is not given any.
    let vm = NICNameMap.build(NICNameMap.Input(
      nics: [], hypervisor: .vmware, physicalTarget: false, inventory: NetworkInventory(interfaces: [Self.ifupdown("ens192")]),
      newMAC: { Self.new1 }))
    #expect(vm.addedNICs.isEmpty && vm.pins.isEmpty)
    // The generator's MACs are QEMU's, valid and unicast.
    let r = MACAddress.randomKVM()
    #expect(r.hasPrefix("52:54:00:") && MACAddress.normalize(r) == r)
  }

  @Test("V2P without --mac: the new MACs are unknown, so nothing is pinned and the exact --mac syntax is given")
  func v2pWithoutMAC() {
    let m = Self.map([NIC(mac: Self.mac1, pciSlot: 192), NIC(mac: Self.mac2, pciSlot: 224)], physical: true)
    #expect(m.pins.isEmpty)
    #expect(
      m.warnings == [
        "the new machine's MAC addresses are not known, so ens192 (\(Self.mac1) on the source), ens224 (\(Self.mac2) on the source) "
          + "cannot be pinned and will have other names on its NICs; give each NIC's new MAC: --mac \(Self.mac1)=NEW-MAC --mac \(Self.mac2)=NEW-MAC"
      ])
    #expect(LinuxOptions.parseMACMapping("\(Self.mac1)=\(Self.new1)") != nil)
  }

  @Test("V2P with --mac: pinned to the new MAC; an --mac no NIC has is reported")
  func v2pWithMAC() {
    let m = Self.map(
      [NIC(mac: Self.mac1, pciSlot: 192), NIC(mac: Self.mac2, pciSlot: 224)], physical: true,
      macMap: [Self.mac1: Self.new1, "00:11:22:33:44:55": Self.new2])
    #expect(Self.pairs(m) == ["ens192=\(Self.new1)"])
    #expect(m.pins[0].sourceMAC == Self.mac1)
    #expect(m.warnings.contains("--mac 00:11:22:33:44:55: no NIC of the source has MAC 00:11:22:33:44:55; ignored"))
    #expect(m.warnings.contains { $0.contains("ens224 (\(Self.mac2) on the source)") })
  }

  @Test("kernel names (net.ifnames=0) on VMware come in PCI order; a swap of ethN names is warned about")
  func kernelNames() {
    let m = Self.map([NIC(mac: Self.mac1, pciSlot: 224), NIC(mac: Self.mac2, pciSlot: 192)], kernelNames: true)
    #expect(Self.pairs(m) == ["eth1=\(Self.mac1)", "eth0=\(Self.mac2)"])
    #expect(m.warnings.count == 2 && m.warnings[0].contains("eth1 is pinned to NIC 1") && m.warnings[0].contains("swap"))
    // In order: no warning.
    let ok = Self.map([NIC(mac: Self.mac1, pciSlot: 192), NIC(mac: Self.mac2, pciSlot: 224)], kernelNames: true)
    #expect(Self.pairs(ok) == ["eth0=\(Self.mac1)", "eth1=\(Self.mac2)"] && ok.warnings.isEmpty)
    // Without every slot the order cannot be told.
    let amb = Self.map([NIC(mac: Self.mac1, pciSlot: 224), NIC(mac: Self.mac2)], kernelNames: true)
    #expect(amb.pins.isEmpty && amb.ambiguities.count == 3)
  }

  @Test("a source NIC without a MAC (the target generates one) cannot be pinned")
  func noMAC() {
    let m = Self.map([NIC(pciSlot: 192)])
    #expect(m.pins.isEmpty && m.ambiguities.isEmpty)
    #expect(m.warnings.first?.contains("ens192 (NIC 1): the source gives no MAC address") == true)
  }

  // MARK: NetworkPinRule over fake guest trees

  /// Runs NetworkPinRule (with `inventory` instead of the scanner) then NetworkNamingWarningRule on a guest
  /// tree made of `files`; returns the report and the session.
  static func rule(
    _ files: [String: String], nics: [NIC], _ hv: Hypervisor = .vmware, platform: TargetPlatform = .kvmDefault,
    options: LinuxOptions = LinuxOptions(), inventory: NetworkInventory, in dir: TempDir
  ) throws -> (ConversionReport, FakeGuestSession) {
    for (path, text) in files {
      let host = dir.path + path
      try FileManager.default.createDirectory(atPath: (host as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try text.write(toFile: host, atomically: true, encoding: .utf8)
    }
    let s = FakeGuestSession(root: dir.path)
    var context = T.context(hv, platform: platform)
    context.source.nics = nics
    let guest = LinuxGuest(
      session: s, inspection: T.inspection(distro: "debian", major: 12), context: context,
      traits: LinuxFamilyTraits.table[.debian]!, options: options)
    let plan = LinuxPlan(session: s)
    try NetworkPinRule(scan: { _ in inventory }).apply(to: plan, guest: guest)
    try NetworkNamingWarningRule().apply(to: plan, guest: guest)
    return (plan.report, s)
  }

  static let systemd = ["/lib/systemd/network/99-default.link": "[Match]\nOriginalName=*\n\n[Link]\nNamePolicy=keep kernel database onboard slot path\n"]
  static let interfaces = "auto ens192\niface ens192 inet static\n  address 192.0.2.10/24\n  gateway 192.0.2.1\n"
  static let staticInventory = NetworkInventory(interfaces: [ifupdown("ens192", ["static 192.0.2.10/24", "gateway 192.0.2.1"])])

  @Test("a systemd guest gets a .link file per NIC; the summary says what the guest configures on it")
  func systemdLink() throws {
    let dir = try TempDir()
    let inv = NetworkInventory(interfaces: Self.staticInventory.interfaces + [
      ConfiguredInterface(system: .networkd, file: "/etc/systemd/network/20-ens224.network", name: "ens224", settings: ["dhcp4", "dhcp6"])
    ])
    let (r, s) = try Self.rule(
      Self.systemd.merging(["/etc/network/interfaces": Self.interfaces]) { a, _ in a },
      nics: [NIC(mac: Self.mac1, pciSlot: 192), NIC(mac: Self.mac2, pciSlot: 224)], inventory: inv, in: dir)
    #expect(
      r.changes.map(\.summary) == [
        "pin ens192 to \(Self.mac1) (ifupdown: static 192.0.2.10/24, gateway 192.0.2.1)",
        "pin ens224 to \(Self.mac2) (networkd: dhcp4, dhcp6)",
      ])
    #expect(r.changes[0].reason.contains("VMware PCI slot 192"))
    #expect(r.warnings.isEmpty)
    _ = try ChangeApplier.apply(r.changes, to: s)
    #expect(
      T.file(s, "/etc/systemd/network/10-v2v-ens192.link")
        == "# Written by v2v: this NIC was ens192 before the conversion (VMware PCI slot 192 (the source's pciSlotNumber)).\n"
        + "[Match]\nMACAddress=\(Self.mac1)\n\n[Link]\nName=ens192\n")
    #expect(T.file(s, "/etc/systemd/network/10-v2v-ens224.link")?.contains("MACAddress=\(Self.mac2)\n\n[Link]\nName=ens224\n") == true)
    // The configuration itself is untouched.
    #expect(T.file(s, "/etc/network/interfaces") == Self.interfaces)
    #expect(!(try s.exists(NetworkPinRule.udevRulesFile)))
  }

  @Test("a guest without .link support (no systemd udev, or 80-net-setup-link.rules masked) gets one udev rules file")
  func udevRules() throws {
    for masked in [false, true] {
      let dir = try TempDir()
      var files = ["/etc/network/interfaces": Self.interfaces]
      if masked { files = files.merging(Self.systemd) { a, _ in a }.merging(["/etc/udev/rules.d/80-net-setup-link.rules": ""]) { a, _ in a } }
      let (r, s) = try Self.rule(
        files, nics: [NIC(mac: Self.mac1, pciSlot: 192), NIC(mac: Self.mac2, pciSlot: 224)], inventory: Self.staticInventory, in: dir)
      #expect(r.changes.map(\.summary) == [
        "pin ens192 to \(Self.mac1) (ifupdown: static 192.0.2.10/24, gateway 192.0.2.1)",
        "pin ens224 to \(Self.mac2) (the guest configures nothing on it)",
      ])
      _ = try ChangeApplier.apply(r.changes, to: s)
      let text = try #require(T.file(s, NetworkPinRule.udevRulesFile))
      #expect(text.contains("SUBSYSTEM==\"net\", ACTION==\"add\", DRIVERS==\"?*\", ATTR{address}==\"\(Self.mac1)\", ATTR{type}==\"1\", NAME=\"ens192\"\n"))
      #expect(text.contains("ATTR{address}==\"\(Self.mac2)\", ATTR{type}==\"1\", NAME=\"ens224\"\n"))
      #expect(!(try s.exists("/etc/systemd/network/10-v2v-ens192.link")))
    }
  }

  @Test("a Xen guest's eth0 is pinned in the kernel namespace")
  func xenEth0() throws {
    let dir = try TempDir()
    let inv = NetworkInventory(interfaces: [Self.ifupdown("eth0", ["static 192.0.2.20/24"])])
    let (r, s) = try Self.rule(Self.systemd, nics: [NIC(mac: Self.mac1, model: "netfront")], .xen, inventory: inv, in: dir)
    #expect(r.changes.map(\.summary) == ["pin eth0 to \(Self.mac1) (ifupdown: static 192.0.2.20/24)"])
    _ = try ChangeApplier.apply(r.changes, to: s)
    #expect(T.file(s, "/etc/systemd/network/10-v2v-eth0.link")?.contains("Name=eth0") == true)
    #expect(r.warnings.isEmpty)
  }

  static let ifcfg = "DEVICE=ens192\nHWADDR=00:0C:29:AA:BB:CC\nBOOTPROTO=none\nIPADDR=192.0.2.10\nPREFIX=24\n"
  static let ifcfgPath = "/etc/sysconfig/network-scripts/ifcfg-ens192"
  static let ifcfgInventory = NetworkInventory(interfaces: [
    ConfiguredInterface(system: .ifcfg, file: ifcfgPath, name: "ens192", mac: mac1, settings: ["static 192.0.2.10/24"])
  ])

  @Test("V2P without --mac: nothing written, the warning gives the --mac syntax")
  func v2pRuleWithoutMAC() throws {
    let dir = try TempDir()
    let (r, _) = try Self.rule(
      Self.systemd.merging([Self.ifcfgPath: Self.ifcfg]) { a, _ in a }, nics: [NIC(mac: Self.mac1, pciSlot: 192)],
      platform: .physical(PhysicalPlatform()), inventory: Self.ifcfgInventory, in: dir)
    #expect(r.changes.isEmpty)
    #expect(r.warnings.contains { $0.contains("--mac \(Self.mac1)=NEW-MAC") && $0.contains("ens192") })
    #expect(r.warnings.contains { $0.contains("ifcfg-ens192 configures interface ens192 (HWADDR=\(Self.mac1))") })
  }

  @Test("V2P with --mac: pinned to the new MAC, and the configuration's bound MAC rewritten")
  func v2pRuleWithMAC() throws {
    let dir = try TempDir()
    let (r, s) = try Self.rule(
      Self.systemd.merging([Self.ifcfgPath: Self.ifcfg]) { a, _ in a }, nics: [NIC(mac: Self.mac1, pciSlot: 192)],
      platform: .physical(PhysicalPlatform()), options: LinuxOptions(macMap: [Self.mac1: Self.new1]),
      inventory: Self.ifcfgInventory, in: dir)
    #expect(r.changes.map(\.summary) == [
      "\(Self.ifcfgPath): \(Self.mac1) -> \(Self.new1)",
      "pin ens192 to \(Self.new1) (ifcfg: static 192.0.2.10/24)",
    ])
    #expect(r.warnings.isEmpty)
    _ = try ChangeApplier.apply(r.changes, to: s)
    #expect(T.file(s, Self.ifcfgPath)?.contains("HWADDR=\(Self.new1)") == true || T.file(s, Self.ifcfgPath)?.contains("HWADDR=\(Self.new1.uppercased())") == true)
    #expect(T.file(s, "/etc/systemd/network/10-v2v-ens192.link")?.contains("MACAddress=\(Self.new1)\n") == true)
  }

  @Test("--mac on a KVM target is ignored with a warning (the target keeps the source's MACs)")
  func macOnKVM() throws {
    let dir = try TempDir()
    let (r, _) = try Self.rule(
      Self.systemd, nics: [NIC(mac: Self.mac1, pciSlot: 192)], options: LinuxOptions(macMap: [Self.mac1: Self.new1]),
      inventory: Self.staticInventory, in: dir)
    #expect(r.changes.map(\.summary) == ["pin ens192 to \(Self.mac1) (ifupdown: static 192.0.2.10/24, gateway 192.0.2.1)"])
    #expect(r.warnings.contains { $0.hasPrefix("--mac is for -o physical") })
  }

  @Test("--nic-names leave: no change, only the old warnings")
  func leave() throws {
    let dir = try TempDir()
    let (r, _) = try Self.rule(
      Self.systemd.merging(["/etc/network/interfaces": Self.interfaces]) { a, _ in a }, nics: [NIC(mac: Self.mac1, pciSlot: 192)],
      options: LinuxOptions(nicNames: .leave), inventory: Self.staticInventory, in: dir)
    #expect(r.changes.isEmpty)
    #expect(r.warnings == ["/etc/network/interfaces configures interface ens192 (ifupdown), which will have another name on virtio (e.g. enp1s0)"])
  }

  @Test("ambiguous: nothing written, the ambiguity and the unpinned names are reported")
  func ambiguousRule() throws {
    let dir = try TempDir()
    let inv = NetworkInventory(interfaces: [Self.ifupdown("ens192"), Self.ifupdown("ens224")])
    let (r, _) = try Self.rule(Self.systemd, nics: [NIC(mac: Self.mac1), NIC(mac: Self.mac2)], inventory: inv, in: dir)
    #expect(r.changes.isEmpty)
    #expect(r.warnings.contains { $0.hasPrefix("NIC 1 (\(Self.mac1))") })
    #expect(r.warnings.contains("/etc/network/interfaces configures interface ens224, which no NIC will be named after the move (the mapping is ambiguous)"))
  }

  // MARK: With the real scanner

  /// PersistentNetRulesRule, NetworkPinRule (the real scanner) and NetworkNamingWarningRule, as LinuxConverter
  /// runs them, over a guest tree made of `files`.
  static func scanned(
    _ files: [String: String], nics: [NIC], _ hv: Hypervisor = .vmware, platform: TargetPlatform = .kvmDefault,
    options: LinuxOptions = LinuxOptions(), in dir: TempDir
  ) throws -> (ConversionReport, FakeGuestSession) {
    for (path, text) in files {
      let host = dir.path + path
      try FileManager.default.createDirectory(atPath: (host as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try text.write(toFile: host, atomically: true, encoding: .utf8)
    }
    let s = FakeGuestSession(root: dir.path)
    var context = T.context(hv, platform: platform)
    context.source.nics = nics
    let guest = LinuxGuest(
      session: s, inspection: T.inspection(distro: "debian", major: 12), context: context,
      traits: LinuxFamilyTraits.table[.debian]!, options: options)
    let plan = LinuxPlan(session: s)
    for rule: LinuxRule in [PersistentNetRulesRule(), NetworkPinRule(), NetworkNamingWarningRule()] { try rule.apply(to: plan, guest: guest) }
    return (plan.report, s)
  }

  @Test("scanned: VMware, ens192 static (ifupdown, IPv4+IPv6) and ens224 (networkd): one .link each, config untouched")
  func scannedVMware() throws {
    let dir = try TempDir()
    let ifaces = "auto lo\niface lo inet loopback\n\nallow-hotplug ens192\niface ens192 inet static\n  address 192.0.2.10/24\n  gateway 192.0.2.1\n"
      + "iface ens192 inet6 static\n  address 2001:db8:1::10/64\n"
    let network = "[Match]\nName=ens224\n\n[Network]\nAddress=198.51.100.20/24\nAddress=2001:db8:2::20/64\n"
    let (r, s) = try Self.scanned(
      Self.systemd.merging(["/etc/network/interfaces": ifaces, "/etc/systemd/network/20-ens224.network": network]) { a, _ in a },
      nics: [NIC(mac: Self.mac1, model: "vmxnet3", pciSlot: 192), NIC(mac: Self.mac2, model: "vmxnet3", pciSlot: 224)], in: dir)
    #expect(
      r.changes.map(\.summary) == [
        "pin ens192 to \(Self.mac1) (ifupdown: static 192.0.2.10/24, gateway 192.0.2.1, static 2001:db8:1::10/64)",
        "pin ens224 to \(Self.mac2) (networkd: static 198.51.100.20/24, static 2001:db8:2::20/64)",
      ])
    #expect(r.warnings.isEmpty, "\(r.warnings)")
    _ = try ChangeApplier.apply(r.changes, to: s)
    #expect(T.file(s, "/etc/systemd/network/10-v2v-ens224.link")?.hasSuffix("[Match]\nMACAddress=\(Self.mac2)\n\n[Link]\nName=ens224\n") == true)
    #expect(T.file(s, "/etc/network/interfaces") == ifaces && T.file(s, "/etc/systemd/network/20-ens224.network") == network)
  }

  @Test("scanned: an old guest's 70-persistent-net.rules names win over the slots, are folded into a udev pin file and removed")
  func scannedPersistentRules() throws {
    let dir = try TempDir()
    let persistent = """
      # This file was automatically generated by the /lib/udev/write_net_rules
      SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:50:56:00:00:01", ATTR{type}=="1", KERNEL=="eth*", NAME="eth0"
      SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="\(Self.mac1)", ATTR{type}=="1", KERNEL=="eth*", NAME="eth1"

      """
    let ifcfg = "DEVICE=eth1\nHWADDR=\(Self.mac1.uppercased())\nBOOTPROTO=dhcp\nONBOOT=yes\n"
    let (r, s) = try Self.scanned(
      ["/etc/udev/rules.d/70-persistent-net.rules": persistent, "/etc/sysconfig/network-scripts/ifcfg-eth1": ifcfg],
      nics: [NIC(mac: Self.mac1, model: "e1000", pciSlot: 32)], in: dir)
    #expect(r.changes.map(\.summary) == ["remove /etc/udev/rules.d/70-persistent-net.rules", "pin eth1 to \(Self.mac1) (ifcfg: dhcp4)"])
    #expect(r.changes[1].reason.contains("70-persistent-net.rules"))
    #expect(r.warnings == ["/etc/udev/rules.d/70-persistent-net.rules binds eth0 to 00:50:56:00:00:01, which no NIC of the source has; left as it is"])
    _ = try ChangeApplier.apply(r.changes, to: s)
    #expect(T.file(s, NetworkPinRule.udevRulesFile)?.contains("ATTR{address}==\"\(Self.mac1)\", ATTR{type}==\"1\", NAME=\"eth1\"") == true)
    #expect(!(try s.exists("/etc/udev/rules.d/70-persistent-net.rules")))
  }

  @Test("scanned: V2P with --mac rewrites HWADDR and NetworkManager's mac-address in their own spelling")
  func scannedV2PMAC() throws {
    let dir = try TempDir()
    let nm = "[connection]\nid=lan\ntype=ethernet\ninterface-name=ens192\n\n[ethernet]\nmac-address=\(Self.mac1.uppercased())\n\n[ipv4]\nmethod=auto\n"
    let (r, s) = try Self.scanned(
      Self.systemd.merging(["/etc/NetworkManager/system-connections/lan.nmconnection": nm]) { a, _ in a },
      nics: [NIC(mac: Self.mac1, pciSlot: 192)], platform: .physical(PhysicalPlatform()),
      options: LinuxOptions(macMap: [Self.mac1: Self.new1]), in: dir)
    #expect(r.changes.map(\.summary) == [
      "/etc/NetworkManager/system-connections/lan.nmconnection: \(Self.mac1) -> \(Self.new1)",
      "pin ens192 to \(Self.new1) (NetworkManager: dhcp4)",
    ])
    _ = try ChangeApplier.apply(r.changes, to: s)
    #expect(T.file(s, "/etc/NetworkManager/system-connections/lan.nmconnection")?.contains("mac-address=\(Self.new1.uppercased())\n") == true)
  }
}

/// Two configuration systems over one NIC are reported, never resolved by v2v.
@Suite("Network: competing configurations", .offPool)
struct CompetingNetworkConfigTests {
  @Test("ifupdown and a NetworkManager keyfile both configuring ens192: one warning naming both files; a names-only .link, a manual stanza and a second NIC configured once are not")
  func competing() {
    let inv = NetworkInventory(interfaces: [
      ConfiguredInterface(system: .ifupdown, file: "/etc/network/interfaces", name: "ens192", settings: ["static 192.0.2.10/24"]),
      ConfiguredInterface(system: .networkManager, file: "/etc/NetworkManager/system-connections/ens192.nmconnection", name: "ens192", settings: ["dhcp4"]),
      ConfiguredInterface(system: .networkd, file: "/etc/systemd/network/10-ens224.link", name: "ens224", mac: "00:0c:29:dd:ee:ff", namesOnly: true),
      ConfiguredInterface(system: .networkd, file: "/etc/systemd/network/20-ens224.network", name: "ens224", settings: ["static 198.51.100.20/24"]),
      ConfiguredInterface(system: .ifupdown, file: "/etc/network/interfaces", name: "ens256", settings: ["manual"]),
      ConfiguredInterface(system: .networkd, file: "/etc/systemd/network/30-ens256.network", name: "ens256", settings: ["dhcp4"]),
    ])
    let w = NetworkPinRule.competingConfigurations(inv)
    #expect(w.count == 1, "\(w)")
    #expect(w.first?.hasPrefix("ens192 is configured by ifupdown (/etc/network/interfaces) and NetworkManager (/etc/NetworkManager/system-connections/ens192.nmconnection)") == true)
  }
}

/// `--nic-names leave` warns about every configuration system's hardware names, not only ifupdown's.
@Suite("Network: leave warnings over every system", .offPool)
struct LeaveWarningTests {
  @Test("leave on a guest with ifupdown ens192 and networkd ens224: both named, each with its system")
  func bothSystems() throws {
    let dir = try TempDir()
    let session = try FakeGuestSession.copyOfFixture("debian12-vmware", in: dir)
    session.createsParentDirectories = true
    try session.writeText("/etc/network/interfaces", "auto ens192\niface ens192 inet static\n  address 192.0.2.10/24\n")
    try session.writeText("/etc/systemd/network/20-ens224.network", "[Match]\nName=ens224\n\n[Network]\nAddress=198.51.100.20/24\n")
    let r = try LinuxConverter(options: LinuxOptions(nicNames: .leave)).plan(
      session: session, inspection: ConverterTestSupport.inspection(distro: "debian", major: 12),
      context: ConverterTestSupport.context(.vmware, disks: 1))
    #expect(r.warnings.contains("/etc/network/interfaces configures interface ens192 (ifupdown), which will have another name on virtio (e.g. enp1s0)"), "\(r.warnings)")
    #expect(r.warnings.contains("/etc/systemd/network/20-ens224.network configures interface ens224 (networkd), which will have another name on virtio (e.g. enp1s0)"), "\(r.warnings)")
    #expect(!r.changes.contains { $0.summary.hasPrefix("pin ") })
  }
}
