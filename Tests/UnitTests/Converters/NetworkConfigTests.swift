import Foundation
import Testing
@testable import V2VConverters
import V2VCore
import V2VModel
import V2VTestSupport

/// The network configuration parsers, one system at a time, over text: static IPv4 and IPv6, DHCP, two
/// NICs, MAC bindings, and each system's odd cases.
@Suite("network configuration parsers", .offPool)
struct NetworkConfigTests {
  /// The entry named `name` (the only one), failing the test when there is not exactly one.
  func entry(_ entries: [ConfiguredInterface], _ name: String?, namesOnly: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) -> ConfiguredInterface {
    let found = entries.filter { $0.name == name && $0.namesOnly == namesOnly }
    #expect(found.count == 1, "\(found.count) entries for \(name ?? "nil") in \(entries)", sourceLocation: sourceLocation)
    return found.first ?? ConfiguredInterface(system: .ifupdown, file: "missing")
  }

  // MARK: ifupdown

  @Test("ifupdown: static IPv4 (netmask and /prefix) and IPv6, DHCP, two NICs, gateway, DNS, hwaddress is a set")
  func ifupdownStaticAndDHCP() {
    let text = """
      # The loopback network interface
      auto lo
      iface lo inet loopback

      auto ens192
      iface ens192 inet static
          address 192.0.2.10
          netmask 255.255.255.0
          gateway 192.0.2.1
          dns-nameservers 192.0.2.53 192.0.2.54
          hwaddress ether 02:00:00:00:00:01
      iface ens192 inet6 static
          address 2001:db8::10/64
          gateway 2001:db8::1

      allow-hotplug ens224
      iface ens224 inet dhcp
      iface ens224 inet6 auto
      """
    let p = IfupdownConfig.parse(text, file: "/etc/network/interfaces")
    #expect(p.interfaces.map(\.name) == ["ens192", "ens224"])
    let a = entry(p.interfaces, "ens192")
    #expect(a.settings == ["static 192.0.2.10/24", "gateway 192.0.2.1", "dns 192.0.2.53", "dns 192.0.2.54", "static 2001:db8::10/64", "gateway 2001:db8::1"])
    #expect(a.mac == nil && a.assignedMAC == "02:00:00:00:00:01")
    #expect(a.system == .ifupdown && a.file == "/etc/network/interfaces" && !a.namesOnly)
    #expect(entry(p.interfaces, "ens224").settings == ["dhcp4", "slaac"])
  }

  @Test("ifupdown: source and source-directory lines, bond and bridge stanzas name their hardware, VLAN and continuation lines")
  func ifupdownSourcesBondsBridges() {
    let text = """
      source /etc/network/interfaces.d/*
      source-directory interfaces.d
      iface eth0 inet manual
          bond-master bond0
      auto bond0
      iface bond0 inet static
          address 198.51.100.5/24
          bond-slaves eth0 \\
              eth1
          bond-mode active-backup
      iface br0 inet dhcp
          bridge_ports ens192 ens224
      iface eth0.10 inet static
          address 203.0.113.2/24
      iface vlan20 inet manual
          vlan-raw-device eth1
      """
    let p = IfupdownConfig.parse(text, file: "/etc/network/interfaces")
    #expect(p.sources == ["/etc/network/interfaces.d/*"])
    #expect(p.sourceDirectories == ["interfaces.d"])
    let bond = entry(p.interfaces, "bond0")
    #expect(bond.kind == .bond && bond.lowerInterfaces == ["eth0", "eth1"] && bond.settings == ["static 198.51.100.5/24"])
    #expect(entry(p.interfaces, "eth0").memberOf == "bond0")
    let br = entry(p.interfaces, "br0")
    #expect(br.kind == .bridge && br.lowerInterfaces == ["ens192", "ens224"] && br.settings == ["dhcp4"])
    #expect(entry(p.interfaces, "eth0.10").lowerInterfaces == ["eth0"])
    #expect(entry(p.interfaces, "vlan20").kind == .vlan && entry(p.interfaces, "vlan20").lowerInterfaces == ["eth1"])
  }

  // MARK: systemd-networkd

  @Test("networkd: static IPv4+IPv6 with [Address] sections, DHCP, MAC-bound, two names, glob Name=en*")
  func networkd() {
    let staticNet = """
      [Match]
      Name=ens192

      [Network]
      Address=192.0.2.10/24
      Gateway=192.0.2.1
      DNS=192.0.2.53 2001:db8::53
      # Address=192.0.2.99/24

      [Address]
      Address=2001:db8::10/64

      [Route]
      Gateway=2001:db8::1
      """
    let s = NetworkdConfig.parse(staticNet, file: "/etc/systemd/network/10-ens192.network")
    #expect(s.count == 1)
    #expect(s.first?.name == "ens192" && s.first?.nameIsPattern == false)
    #expect(s.first?.settings == ["static 192.0.2.10/24", "gateway 192.0.2.1", "dns 192.0.2.53", "dns 2001:db8::53", "static 2001:db8::10/64", "gateway 2001:db8::1"])

    let byMAC = NetworkdConfig.parse("[Match]\nMACAddress=00:50:56:AA:BB:01\n\n[Network]\nDHCP=yes\n", file: "/etc/systemd/network/20-lan.network")
    #expect(byMAC.count == 1 && byMAC.first?.name == nil && byMAC.first?.mac == "00:50:56:aa:bb:01")
    #expect(byMAC.first?.settings == ["dhcp4", "dhcp6"])

    let two = NetworkdConfig.parse("[Match]\nName=eth0 eth1\n[Network]\nDHCP=ipv4\n", file: "/etc/systemd/network/30.network")
    #expect(two.map(\.name) == ["eth0", "eth1"] && two.allSatisfy { $0.settings == ["dhcp4"] })

    let glob = NetworkdConfig.parse("[Match]\nName=en*\n[Network]\nDHCP=ipv6\n", file: "/etc/systemd/network/99-wildcard.network")
    #expect(glob.count == 1 && glob.first?.name == "en*" && glob.first?.nameIsPattern == true && glob.first?.settings == ["dhcp6"])

    let anything = NetworkdConfig.parse("[Match]\nDriver=vmxnet3\n[Network]\nDHCP=yes\n", file: "/etc/systemd/network/40.network")
    #expect(anything.first?.name == "*" && anything.first?.nameIsPattern == true && anything.first?.settings.first == "match Driver=vmxnet3")

    let member = NetworkdConfig.parse("[Match]\nName=ens192\n[Network]\nBond=bond0\n", file: "/etc/systemd/network/50.network")
    #expect(member.first?.memberOf == "bond0")
  }

  @Test("networkd: .link files are names-only name↔MAC records; without Name= (99-default.link) nothing; .netdev ignored")
  func networkdLinks() {
    let link = """
      [Match]
      MACAddress=00:50:56:aa:bb:01

      [Link]
      Name=lan0
      MACAddress=02:11:22:33:44:55
      """
    let l = NetworkdConfig.parse(link, file: "/etc/systemd/network/10-lan0.link")
    #expect(l == [{
      var e = ConfiguredInterface(system: .networkd, file: "/etc/systemd/network/10-lan0.link", name: "lan0", mac: "00:50:56:aa:bb:01", namesOnly: true)
      e.assignedMAC = "02:11:22:33:44:55"
      return e
    }()])
    #expect(NetworkdConfig.parse("[Match]\nOriginalName=*\n[Link]\nNamePolicy=kernel database onboard slot path\n", file: "/etc/systemd/network/99-default.link").isEmpty)
    #expect(NetworkdConfig.parse("[NetDev]\nName=bond0\nKind=bond\n", file: "/etc/systemd/network/bond0.netdev").isEmpty)
  }

  // MARK: ifcfg

  @Test("ifcfg: static IPv4 (PREFIX and NETMASK) + IPv6, DHCP, HWADDR is a match and MACADDR a set, quoted values")
  func ifcfg() {
    let eth0 = """
      # Generated by anaconda
      TYPE="Ethernet"
      BOOTPROTO=none
      DEVICE=ens192
      NAME="System ens192"
      HWADDR=00:50:56:AA:BB:01
      MACADDR=02:00:00:00:00:02
      IPADDR=192.0.2.10
      PREFIX=24
      IPADDR1='192.0.2.11'
      NETMASK1=255.255.255.0
      GATEWAY=192.0.2.1
      DNS1=192.0.2.53
      DNS2="192.0.2.54"
      IPV6INIT=yes
      IPV6ADDR=2001:db8::10/64
      IPV6_DEFAULTGW=2001:db8::1%ens192
      ONBOOT=yes
      """
    let a = IfcfgConfig.parse(eth0, file: "/etc/sysconfig/network-scripts/ifcfg-ens192")
    #expect(a?.name == "ens192" && a?.mac == "00:50:56:aa:bb:01" && a?.assignedMAC == "02:00:00:00:00:02" && a?.kind == .ethernet)
    #expect(a?.settings == ["static 192.0.2.10/24", "static 192.0.2.11/24", "gateway 192.0.2.1", "static 2001:db8::10/64", "gateway 2001:db8::1", "dns 192.0.2.53", "dns 192.0.2.54"])

    let dhcp = IfcfgConfig.parse("DEVICE=ens224\nBOOTPROTO=dhcp\nIPV6INIT=yes\nDHCPV6C=yes\n", file: "/etc/sysconfig/network-scripts/ifcfg-ens224")
    #expect(dhcp?.settings == ["dhcp4", "dhcp6"] && dhcp?.mac == nil)
  }

  @Test("ifcfg: the file name names an interface without DEVICE=; ifcfg-lo and backups are not interfaces; bond slaves")
  func ifcfgOdd() {
    let noDevice = IfcfgConfig.parse("BOOTPROTO=dhcp\nONBOOT=yes\n", file: "/etc/sysconfig/network-scripts/ifcfg-eth1")
    #expect(noDevice?.name == "eth1" && noDevice?.settings == ["dhcp4"])
    #expect(IfcfgConfig.parse("DEVICE=lo\nIPADDR=127.0.0.1\n", file: "/etc/sysconfig/network-scripts/ifcfg-lo") == nil)
    #expect(IfcfgConfig.nameFromFileName("ifcfg-eth0.bak") == nil && IfcfgConfig.nameFromFileName("ifcfg-eth0~") == nil)
    #expect(IfcfgConfig.nameFromFileName("route-eth0") == nil && IfcfgConfig.nameFromFileName("ifcfg-eth0") == "eth0")
    let slave = IfcfgConfig.parse("DEVICE=eth0\nMASTER=bond0\nSLAVE=yes\n", file: "/etc/sysconfig/network-scripts/ifcfg-eth0")
    #expect(slave?.memberOf == "bond0")
    let vlan = IfcfgConfig.parse("DEVICE=eth0.10\nVLAN=yes\nBOOTPROTO=dhcp\n", file: "/etc/sysconfig/network-scripts/ifcfg-eth0.10")
    #expect(vlan?.kind == .vlan && vlan?.lowerInterfaces == ["eth0"])
  }

  // MARK: NetworkManager

  @Test("NetworkManager: static IPv4+IPv6 with address1=ADDR,GW and dns lists, DHCP, bound by MAC only, comments")
  func networkManager() {
    let staticProfile = """
      [connection]
      id=Wired ens192
      uuid=8b7f8d58-0000-4000-8000-000000000001
      type=ethernet
      interface-name=ens192

      [ethernet]
      mac-address=00:50:56:AA:BB:01
      cloned-mac-address=02:00:00:00:00:03

      [ipv4]
      method=manual
      address1=192.0.2.10/24,192.0.2.1
      dns=192.0.2.53;192.0.2.54;
      ; address2=192.0.2.99/24
      # address3=192.0.2.98/24

      [ipv6]
      method=manual
      addresses=2001:db8::10/64;
      gateway=2001:db8::1
      """
    let s = NetworkManagerConfig.parse(staticProfile, file: "/etc/NetworkManager/system-connections/ens192.nmconnection")
    let a = entry(s, "ens192")
    #expect(a.mac == "00:50:56:aa:bb:01" && a.assignedMAC == "02:00:00:00:00:03" && a.kind == .ethernet)
    #expect(a.settings == ["static 192.0.2.10/24", "gateway 192.0.2.1", "dns 192.0.2.53", "dns 192.0.2.54", "static 2001:db8::10/64", "gateway 2001:db8::1"])

    // Bound by MAC only (no interface-name); the old decimal-byte spelling of the address.
    let byMAC = "[connection]\nid=lan\ntype=802-3-ethernet\n\n[802-3-ethernet]\nmac-address=0;80;86;170;187;2;\n\n[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=auto\n"
    let m = NetworkManagerConfig.parse(byMAC, file: "/etc/NetworkManager/system-connections/lan")
    #expect(m.count == 1 && m.first?.name == nil && m.first?.mac == "00:50:56:aa:bb:02" && m.first?.settings == ["dhcp4", "auto6"])

    let any = NetworkManagerConfig.parse("[connection]\nid=Wired connection 1\ntype=ethernet\n[ipv4]\nmethod=auto\n", file: "/etc/NetworkManager/system-connections/Wired connection 1")
    #expect(any.first?.name == "*" && any.first?.nameIsPattern == true)
    #expect(NetworkManagerConfig.parse("[connection]\nid=lo\ntype=loopback\ninterface-name=lo\n", file: "/x/lo.nmconnection").isEmpty)
    #expect(NetworkManagerConfig.parse("not a keyfile at all", file: "/x/junk").isEmpty)
    #expect(!NetworkManagerConfig.isKeyfileName("ens192.nmconnection~") && NetworkManagerConfig.isKeyfileName("Wired connection 1"))
  }

  // MARK: wicked

  @Test("wicked: the file name names the interface; static IPADDR/IPADDR_1 (IPv4+IPv6), dhcp, LLADDR a set; routes files give gateways")
  func wicked() {
    let eth0 = """
      BOOTPROTO='static'
      STARTMODE='auto'
      IPADDR='192.0.2.10/24'
      IPADDR_1='2001:db8::10/64'
      IPADDR_2='192.0.2.11'
      NETMASK_2='255.255.255.0'
      LLADDR='02:00:00:00:00:04'
      """
    var entries = [
      WickedConfig.parse(eth0, file: "/etc/sysconfig/network/ifcfg-eth0")!,
      WickedConfig.parse("BOOTPROTO='dhcp'\nSTARTMODE='hotplug'\n", file: "/etc/sysconfig/network/ifcfg-eth1")!,
    ]
    #expect(entries[0].name == "eth0" && entries[0].assignedMAC == "02:00:00:00:00:04" && entries[0].mac == nil)
    #expect(entries[0].settings == ["static 192.0.2.10/24", "static 2001:db8::10/64", "static 192.0.2.11/24"])
    #expect(entries[1].settings == ["dhcp4", "dhcp6", "startmode hotplug"])
    #expect(WickedConfig.parse("BOOTPROTO='dhcp4'\n", file: "/etc/sysconfig/network/ifcfg-eth2")?.settings == ["dhcp4"])
    #expect(WickedConfig.parse("", file: "/etc/sysconfig/network/ifcfg-lo") == nil)

    WickedConfig.applyRoutes("# default route\ndefault 192.0.2.1 - -\n", interface: nil, to: &entries)
    WickedConfig.applyRoutes("default 2001:db8::1 - -\n", interface: "eth1", to: &entries)
    #expect(entries[0].settings.last == "gateway 192.0.2.1")
    #expect(entries[1].settings.last == "gateway 2001:db8::1")
    let bond = WickedConfig.parse("BONDING_MASTER='yes'\nBONDING_SLAVE0='eth0'\nBONDING_SLAVE1='eth1'\nBOOTPROTO='dhcp4'\n", file: "/etc/sysconfig/network/ifcfg-bond0")
    #expect(bond?.kind == .bond && bond?.lowerInterfaces == ["eth0", "eth1"])
  }

  // MARK: netplan

  @Test("netplan: static IPv4+IPv6 with routes and nameservers, DHCP, two ethernets; MAC-bound set-name is also a name↔MAC record")
  func netplan() {
    let yaml = """
      network:
        version: 2
        renderer: networkd
        ethernets:
          ens192:
            addresses: [192.0.2.10/24, "2001:db8::10/64"]
            routes:
              - to: default
                via: 192.0.2.1
              - to: "::/0"
                via: 2001:db8::1
            nameservers:
              addresses: [192.0.2.53]
          lan1:
            match:
              macaddress: 52:54:00:12:34:56
            set-name: lan1
            dhcp4: true
            dhcp6: yes
            macaddress: 02:00:00:00:00:05
      """
    let e = NetplanConfig.parse(yaml, file: "/etc/netplan/01-netcfg.yaml")
    let a = entry(e, "ens192")
    #expect(a.settings == ["static 192.0.2.10/24", "static 2001:db8::10/64", "gateway 192.0.2.1", "gateway 2001:db8::1", "dns 192.0.2.53"])
    let lan = entry(e, "lan1")
    // 52:54:00:12:34:56 would be a base-60 integer to a YAML 1.1 loader.
    #expect(lan.mac == "52:54:00:12:34:56" && lan.settings == ["dhcp4", "dhcp6"] && lan.assignedMAC == "02:00:00:00:00:05")
    let rename = entry(e, "lan1", namesOnly: true)
    #expect(rename.mac == "52:54:00:12:34:56" && rename.settings.isEmpty)
    #expect(NetplanConfig.parse("network: [unbalanced", file: "/etc/netplan/bad.yaml").isEmpty)
    #expect(NetplanConfig.parse("network:\n  ethernets:\n    all:\n      match: {name: \"en*\"}\n      dhcp4: true\n", file: "/x.yaml").first.map { $0.name == "en*" && $0.nameIsPattern } == true)
  }

  @Test("netplan: a bond over two ethernets (by netplan id, one renamed) and a VLAN name the hardware; files are read together")
  func netplanBond() {
    let ethernets = """
      network:
        ethernets:
          nic0:
            match: {macaddress: "00:50:56:aa:bb:01"}
            set-name: ens192
          ens224: {}
      """
    let bonds = """
      network:
        bonds:
          bond0:
            interfaces: [nic0, ens224]
            addresses: [198.51.100.5/24]
            parameters: {mode: active-backup}
        vlans:
          vlan10:
            id: 10
            link: bond0
            dhcp4: no
      """
    let e = NetplanConfig.parse([("/etc/netplan/00-eth.yaml", ethernets), ("/etc/netplan/10-bond.yaml", bonds)])
    let bond = entry(e, "bond0")
    #expect(bond.kind == .bond && bond.lowerInterfaces == ["ens192", "ens224"] && bond.file == "/etc/netplan/10-bond.yaml")
    #expect(bond.settings.contains("static 198.51.100.5/24"))
    #expect(entry(e, "ens192").memberOf == "bond0" && entry(e, "ens224").memberOf == "bond0")
    #expect(entry(e, "vlan10").lowerInterfaces == ["bond0"] && entry(e, "vlan10").settings == ["vlan 10 over bond0"])
  }

  // MARK: udev

  @Test("udev: 70-persistent-net.rules gives names-only name↔MAC records; non-network rules and comments are ignored")
  func udev() {
    let rules = """
      # This file was automatically generated by the /lib/udev/write_net_rules
      # program, run by the persistent-net-generator.rules rules file.

      # PCI device 0x15ad:0x07b0 (vmxnet3)
      SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:50:56:AA:BB:01", ATTR{dev_id}=="0x0", ATTR{type}=="1", KERNEL=="eth*", NAME="eth0"
      SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="00:50:56:aa:bb:02", \\
        KERNEL=="eth*", NAME="eth1"
      # SUBSYSTEM=="net", ATTR{address}=="00:50:56:aa:bb:03", NAME="eth9"
      SUBSYSTEM=="block", KERNEL=="sda", SYMLINK+="root"
      SUBSYSTEM=="net", KERNELS=="0000:0b:00.0", NAME:="wan0"
      """
    let e = UdevRulesConfig.parse(rules, file: "/etc/udev/rules.d/70-persistent-net.rules")
    #expect(e.map(\.name) == ["eth0", "eth1", "wan0"])
    #expect(e.map(\.mac) == ["00:50:56:aa:bb:01", "00:50:56:aa:bb:02", nil])
    #expect(e.allSatisfy { $0.namesOnly && $0.system == .udevRules })
    #expect(e.last?.settings == ["match KERNELS==\"0000:0b:00.0\""])
  }

  // MARK: cloud-init, predictable names

  @Test("cloud-init: rendered files are recognised by name or header; network: {config: disabled} in flow and block style")
  func cloudInit() {
    #expect(CloudInitConfig.isGenerated(path: "/etc/netplan/50-cloud-init.yaml", text: "network: {}"))
    #expect(CloudInitConfig.isGenerated(path: "/etc/sysconfig/network-scripts/ifcfg-eth0", text: "# Created by cloud-init on instance boot automatically, do not edit.\n#\nBOOTPROTO=dhcp\n"))
    #expect(CloudInitConfig.isGenerated(path: "/etc/network/interfaces.d/50-net", text: "# This file is generated from information provided by the datasource.  Changes\n# to it will not persist.\nauto eth0\n"))
    #expect(!CloudInitConfig.isGenerated(path: "/etc/netplan/01-netcfg.yaml", text: "# written by the installer\nnetwork: {}\n"))
    #expect(CloudInitConfig.disablesNetwork("network: {config: disabled}\n"))
    #expect(CloudInitConfig.disablesNetwork("# off\nnetwork:\n  config: disabled\n"))
    #expect(!CloudInitConfig.disablesNetwork("network:\n  version: 2\n"))
    #expect(CloudInitConfig.carriesNetworkConfig("network:\n  version: 2\n  ethernets:\n    eth0: {dhcp4: true}\n"))
  }

  @Test("predictable names: net.ifnames=0 in /etc/default/grub, grub.cfg linux lines, BLS options; masked naming policy")
  func predictableNames() {
    typealias P = PredictableNamesConfig
    #expect(P.defaultGrubTurnsOff("GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"quiet net.ifnames=0 biosdevname=0\"\n"))
    #expect(P.defaultGrubTurnsOff("GRUB_CMDLINE_LINUX_DEFAULT='net.ifnames=0'\n"))
    #expect(!P.defaultGrubTurnsOff("GRUB_CMDLINE_LINUX=\"quiet\"\n#GRUB_CMDLINE_LINUX=\"net.ifnames=0\"\n"))
    #expect(!P.defaultGrubTurnsOff("GRUB_CMDLINE_LINUX=\"net.ifnames=0 net.ifnames=1\"\n"))
    #expect(P.bootConfigTurnsOff("menuentry 'Debian' {\n\tlinux /vmlinuz root=/dev/sda1 ro net.ifnames=0 quiet\n}\n"))
    #expect(P.bootConfigTurnsOff("title Red Hat\noptions root=/dev/mapper/rhel-root ro net.ifnames=0\n"))
    #expect(!P.bootConfigTurnsOff("linux /vmlinuz root=/dev/sda1 ro quiet\n# net.ifnames=0\n"))
    #expect(P.masks(linkTarget: "/dev/null", text: nil) && P.masks(linkTarget: nil, text: "# masked\n\n"))
    #expect(!P.masks(linkTarget: nil, text: "[Link]\nNamePolicy=kernel\n") && !P.masks(linkTarget: "/lib/udev/x", text: nil))
  }

  // MARK: MAC rewriting

  @Test("rewritingMACs: bound MACs of every system follow the map in the file's spelling; MAC sets stay")
  func rewritingMACs() {
    let map = ["00:50:56:aa:bb:01": "52:54:00:12:34:56"]
    func rw(_ t: String, _ s: NetworkConfigSystem) -> String { NetworkConfigScanner.rewritingMACs(in: t, system: s, map: map) }
    #expect(rw("DEVICE=eth0\nHWADDR=00:50:56:AA:BB:01\nMACADDR=00:50:56:AA:BB:01\n", .ifcfg) == "DEVICE=eth0\nHWADDR=52:54:00:12:34:56\nMACADDR=00:50:56:AA:BB:01\n")
    #expect(rw("HWADDR=\"00:50:56:aa:bb:01\"  # nic\n", .ifcfg) == "HWADDR=\"52:54:00:12:34:56\"  # nic\n")
    #expect(rw("[ethernet]\nmac-address=00:50:56:AA:BB:01\ncloned-mac-address=00:50:56:AA:BB:01\n", .networkManager) == "[ethernet]\nmac-address=52:54:00:12:34:56\ncloned-mac-address=00:50:56:AA:BB:01\n")
    #expect(rw("[802-3-ethernet]\nmac-address=0;80;86;170;187;1;\n", .networkManager) == "[802-3-ethernet]\nmac-address=82;84;0;18;52;86;\n")
    #expect(rw("[Match]\nMACAddress=00:50:56:aa:bb:01 00:50:56:aa:bb:09\n[Link]\nMACAddress=00:50:56:aa:bb:01\n", .networkd) == "[Match]\nMACAddress=52:54:00:12:34:56 00:50:56:aa:bb:09\n[Link]\nMACAddress=00:50:56:aa:bb:01\n")
    #expect(rw("[Match]\nMACAddress=00-50-56-AA-BB-01\n", .networkd) == "[Match]\nMACAddress=52-54-00-12-34-56\n")
    let plan = """
      network:
        ethernets:
          nic0:
            match:
              macaddress: "00:50:56:aa:bb:01"
            macaddress: 00:50:56:aa:bb:01
          nic1:
            match: {name: "e*", macaddress: 00:50:56:AA:BB:01}
      """
    let planOut = """
      network:
        ethernets:
          nic0:
            match:
              macaddress: "52:54:00:12:34:56"
            macaddress: 00:50:56:aa:bb:01
          nic1:
            match: {name: "e*", macaddress: 52:54:00:12:34:56}
      """
    #expect(rw(plan, .netplan) == planOut)
    #expect(rw("SUBSYSTEM==\"net\", ATTR{address}==\"00:50:56:AA:BB:01\", NAME=\"eth0\"\n", .udevRules) == "SUBSYSTEM==\"net\", ATTR{address}==\"52:54:00:12:34:56\", NAME=\"eth0\"\n")
    #expect(rw("iface eth0 inet dhcp\n  hwaddress ether 00:50:56:aa:bb:01\n", .ifupdown) == "iface eth0 inet dhcp\n  hwaddress ether 00:50:56:aa:bb:01\n")
    #expect(rw("LLADDR='00:50:56:aa:bb:01'\n", .wicked) == "LLADDR='00:50:56:aa:bb:01'\n")
    #expect(rw("DEVICE=eth1\nHWADDR=00:50:56:aa:bb:02\n", .ifcfg) == "DEVICE=eth1\nHWADDR=00:50:56:aa:bb:02\n")
    // A VMware MAC has no letters: the other addresses in the file decide the case, else the system's habit.
    let vm = ["00:50:56:12:34:56": "52:54:00:ab:cd:ef"]
    #expect(NetworkConfigScanner.rewritingMACs(in: "HWADDR=00:50:56:12:34:56\n", system: .ifcfg, map: vm) == "HWADDR=52:54:00:AB:CD:EF\n")
    #expect(NetworkConfigScanner.rewritingMACs(in: "[Match]\nMACAddress=00:50:56:12:34:56\n", system: .networkd, map: vm) == "[Match]\nMACAddress=52:54:00:ab:cd:ef\n")
  }

  @Test("odd content never throws and yields nothing: binary, empty, garbage")
  func robustness() {
    let junk = ["", "\u{0}\u{1}\u{2}", "[[[[", "= = =\n[Match\nName", "iface", "network:\n  ethernets: 5\n", "HWADDR=\"unterminated"]
    for t in junk {
      _ = IfupdownConfig.parse(t, file: "/f")
      _ = NetworkdConfig.parse(t, file: "/f.network")
      _ = NetworkManagerConfig.parse(t, file: "/f")
      _ = IfcfgConfig.parse(t, file: "/etc/sysconfig/network-scripts/ifcfg-x")
      _ = WickedConfig.parse(t, file: "/etc/sysconfig/network/ifcfg-x")
      #expect(NetplanConfig.parse(t, file: "/f.yaml").isEmpty)
      #expect(UdevRulesConfig.parse(t, file: "/f.rules").isEmpty)
      for s in NetworkConfigSystem.allCases {
        #expect(NetworkConfigScanner.rewritingMACs(in: t, system: s, map: ["00:50:56:aa:bb:01": "52:54:00:12:34:56"]) == t)
      }
    }
    #expect(!NetworkConfigSyntax.isText([0x41, 0x00, 0x42]) && !NetworkConfigSyntax.isText([0xff, 0xfe]) && NetworkConfigSyntax.isText(Array("ok".utf8)))
  }
}

/// The scanner over fake guests, one tree per family: what it reads, what it skips, the notes.
@Suite("network configuration scanner over fake guests", .offPool)
struct NetworkConfigScannerTests {
  /// A fake guest over a new tree of `files` (guest path → content; content `@LINK target` makes a link).
  static func guest(_ files: [String: String], in dir: TempDir) throws -> FakeGuestSession {
    let root = dir.path + "/root"
    for (path, content) in files {
      let host = root + path
      try FileManager.default.createDirectory(atPath: (host as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      if content.hasPrefix("@LINK ") {
        try FileManager.default.createSymbolicLink(atPath: host, withDestinationPath: String(content.dropFirst(6)))
      } else if content == "@BINARY" {
        try Data([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0xff, 0xfe]).write(to: URL(fileURLWithPath: host))
      } else {
        try content.write(toFile: host, atomically: true, encoding: .utf8)
      }
    }
    try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
    return FakeGuestSession(root: root)
  }

  static func names(_ inv: NetworkInventory, _ system: NetworkConfigSystem, namesOnly: Bool = false) -> [String] {
    inv.interfaces.filter { $0.system == system && $0.namesOnly == namesOnly }.map { $0.name ?? "<mac \($0.mac ?? "?")>" }
  }

  @Test("Debian: ifupdown through source-directory (run-parts names), networkd .network/.link, udev rules; binary and unsourced files skipped")
  func debian() throws {
    let dir = try TempDir()
    let s = try Self.guest([
      "/etc/network/interfaces": "auto lo\niface lo inet loopback\nsource-directory /etc/network/interfaces.d\nsource extra/*.cfg\nauto ens192\niface ens192 inet static\n  address 192.0.2.10/24\n  gateway 192.0.2.1\n",
      "/etc/network/interfaces.d/ens224": "iface ens224 inet dhcp\niface ens224 inet6 static\n  address 2001:db8::10\n  netmask 64\n",
      "/etc/network/interfaces.d/old.cfg": "iface eth7 inet dhcp\n",
      "/etc/network/extra/br.cfg": "iface br0 inet dhcp\n  bridge_ports ens256\n",
      "/etc/systemd/network/10-wan.link": "[Match]\nMACAddress=00:50:56:aa:bb:05\n[Link]\nName=wan0\n",
      "/etc/systemd/network/20-wan.network": "[Match]\nName=wan0\n[Network]\nDHCP=yes\n",
      "/etc/systemd/network/30-all.network": "[Match]\nName=en*\n[Network]\nDHCP=yes\n",
      "/etc/systemd/network/bond0.netdev": "[NetDev]\nName=bond0\nKind=bond\n",
      "/etc/systemd/network/40-junk.network": "@BINARY",
      "/etc/udev/rules.d/70-persistent-net.rules": "SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"00:50:56:aa:bb:01\", NAME=\"eth0\"\n",
      "/etc/default/grub": "GRUB_CMDLINE_LINUX=\"quiet\"\n",
    ], in: dir)
    let inv = try NetworkConfigScanner.scan(s)
    #expect(Self.names(inv, .ifupdown) == ["ens192", "br0", "ens224"])
    let ens224 = inv.interfaces.first { $0.name == "ens224" }
    #expect(ens224?.file == "/etc/network/interfaces.d/ens224" && ens224?.settings == ["dhcp4", "static 2001:db8::10/64"])
    #expect(inv.interfaces.first { $0.name == "br0" }?.lowerInterfaces == ["ens256"])
    #expect(Self.names(inv, .networkd) == ["wan0", "en*"])
    #expect(Self.names(inv, .networkd, namesOnly: true) == ["wan0"])
    #expect(Self.names(inv, .udevRules, namesOnly: true) == ["eth0"])
    #expect(!inv.interfaces.contains { $0.name == "eth7" || $0.name == "bond0" })
    #expect(inv.notes == ["/etc/network/interfaces.d/old.cfg is not included by /etc/network/interfaces (no source/source-directory line): ifupdown ignores it"])
    #expect(!inv.predictableNamesOff)
  }

  @Test("RHEL: ifcfg (HWADDR-bound, no DEVICE; lo, backups and route files skipped) and NetworkManager keyfiles (one bound by MAC only); masked naming")
  func rhel() throws {
    let dir = try TempDir()
    let s = try Self.guest([
      "/etc/sysconfig/network": "NETWORKING=yes\n",
      "/etc/sysconfig/network-scripts/ifcfg-ens192": "TYPE=Ethernet\nDEVICE=ens192\nHWADDR=00:50:56:AA:BB:01\nBOOTPROTO=none\nIPADDR=192.0.2.10\nPREFIX=24\nGATEWAY=192.0.2.1\nIPV6INIT=yes\nIPV6ADDR=2001:db8::10/64\n",
      "/etc/sysconfig/network-scripts/ifcfg-eth1": "BOOTPROTO=dhcp\nONBOOT=yes\n",
      "/etc/sysconfig/network-scripts/ifcfg-lo": "DEVICE=lo\nIPADDR=127.0.0.1\n",
      "/etc/sysconfig/network-scripts/ifcfg-ens192.bak": "DEVICE=ens192\nBOOTPROTO=dhcp\n",
      "/etc/sysconfig/network-scripts/route-ens192": "default via 192.0.2.1\n",
      "/etc/NetworkManager/system-connections/ens224.nmconnection": "[connection]\nid=ens224\ntype=ethernet\ninterface-name=ens224\n[ipv4]\nmethod=manual\naddress1=198.51.100.5/24,198.51.100.1\n[ipv6]\nmethod=dhcp\n",
      "/etc/NetworkManager/system-connections/Wired connection 1": "[connection]\nid=Wired connection 1\ntype=ethernet\n[ethernet]\nmac-address=00:50:56:AA:BB:02\n[ipv4]\nmethod=auto\n",
      "/etc/NetworkManager/system-connections/ens224.nmconnection.bak": "[connection]\ninterface-name=ens999\n",
      "/etc/udev/rules.d/80-net-setup-link.rules": "@LINK /dev/null",
    ], in: dir)
    let inv = try NetworkConfigScanner.scan(s)
    #expect(Self.names(inv, .ifcfg) == ["ens192", "eth1"])
    let ens192 = inv.interfaces.first { $0.name == "ens192" }
    #expect(ens192?.mac == "00:50:56:aa:bb:01" && ens192?.settings == ["static 192.0.2.10/24", "gateway 192.0.2.1", "static 2001:db8::10/64"])
    #expect(Self.names(inv, .networkManager) == ["<mac 00:50:56:aa:bb:02>", "ens224"])
    #expect(inv.interfaces.first { $0.name == "ens224" }?.settings == ["static 198.51.100.5/24", "gateway 198.51.100.1", "dhcp6"])
    #expect(!inv.interfaces.contains { $0.system == .wicked || $0.name == "ens999" || $0.name == "lo" })
    #expect(inv.notes.isEmpty)
    #expect(inv.predictableNamesOff)
  }

  @Test("SUSE: wicked ifcfg files with routes and ifroute gateways; net.ifnames=0 in /etc/default/grub")
  func suse() throws {
    let dir = try TempDir()
    let s = try Self.guest([
      "/etc/sysconfig/network/config": "NETCONFIG_DNS_STATIC_SERVERS=\"192.0.2.53\"\n",
      "/etc/sysconfig/network/ifcfg-eth0": "BOOTPROTO='static'\nSTARTMODE='auto'\nIPADDR='192.0.2.10/24'\nIPADDR_1='2001:db8::10/64'\n",
      "/etc/sysconfig/network/ifcfg-eth1": "BOOTPROTO='dhcp4'\nSTARTMODE='auto'\nLLADDR='02:00:00:00:00:07'\n",
      "/etc/sysconfig/network/ifcfg-lo": "IPADDR=127.0.0.1/8\n",
      "/etc/sysconfig/network/ifcfg.template": "BOOTPROTO='dhcp'\n",
      "/etc/sysconfig/network/routes": "default 192.0.2.1 - -\n",
      "/etc/sysconfig/network/ifroute-eth1": "default 198.51.100.1 - -\n",
      "/etc/default/grub": "GRUB_CMDLINE_LINUX_DEFAULT=\"splash=silent net.ifnames=0 quiet\"\n",
    ], in: dir)
    let inv = try NetworkConfigScanner.scan(s)
    #expect(Self.names(inv, .wicked) == ["eth0", "eth1"])
    #expect(inv.interfaces.first { $0.name == "eth0" }?.settings == ["static 192.0.2.10/24", "static 2001:db8::10/64", "gateway 192.0.2.1"])
    let eth1 = inv.interfaces.first { $0.name == "eth1" }
    #expect(eth1?.settings == ["dhcp4", "gateway 198.51.100.1"] && eth1?.assignedMAC == "02:00:00:00:00:07" && eth1?.mac == nil)
    #expect(inv.predictableNamesOff)
  }

  @Test("Ubuntu: netplan written by cloud-init plus a bond file; cloud-init notes, and only the file note once its network config is disabled")
  func ubuntuCloudInit() throws {
    let dir = try TempDir()
    var files = [
      "/etc/netplan/50-cloud-init.yaml": "# This file is generated from information provided by the datasource.  Changes\n# to it will not persist across an instance reboot.\nnetwork:\n    version: 2\n    ethernets:\n        ens3:\n            dhcp4: true\n            match:\n                macaddress: fa:16:3e:00:00:01\n            set-name: ens3\n",
      "/etc/netplan/60-bond.yaml": "network:\n  ethernets:\n    ens4: {}\n    ens5: {}\n  bonds:\n    bond0:\n      interfaces: [ens4, ens5]\n      addresses: [192.0.2.10/24, 2001:db8::10/64]\n      routes: [{to: default, via: 192.0.2.1}]\n",
      "/etc/netplan/README": "not yaml config",
      "/etc/cloud/cloud.cfg": "datasource_list: [NoCloud, None]\n",
      "/etc/cloud/cloud.cfg.d/50-curtin-networking.cfg": "network:\n  version: 2\n  ethernets:\n    ens3: {dhcp4: true}\n",
    ]
    let inv = try NetworkConfigScanner.scan(try Self.guest(files, in: dir))
    #expect(Self.names(inv, .netplan) == ["ens3", "ens4", "ens5", "bond0"])
    #expect(Self.names(inv, .netplan, namesOnly: true) == ["ens3"])
    let bond = inv.interfaces.first { $0.name == "bond0" }
    #expect(bond?.lowerInterfaces == ["ens4", "ens5"] && bond?.settings.contains("gateway 192.0.2.1") == true)
    #expect(inv.notes.count == 3, "\(inv.notes)")
    #expect(inv.notes.first == "cloud-init writes /etc/netplan/50-cloud-init.yaml (rendered from its datasource's network configuration); left alone")
    #expect(inv.notes.contains { $0.contains("/etc/cloud/cloud.cfg.d/50-curtin-networking.cfg") })
    #expect(inv.notes.last?.contains("may rewrite /etc/netplan/50-cloud-init.yaml") == true)

    files["/etc/cloud/cloud.cfg.d/99-disable-network-config.cfg"] = "network: {config: disabled}\n"
    files["/etc/cloud/cloud.cfg.d/50-curtin-networking.cfg"] = nil
    let dir2 = try TempDir()
    let inv2 = try NetworkConfigScanner.scan(try Self.guest(files, in: dir2))
    #expect(inv2.notes == ["cloud-init writes /etc/netplan/50-cloud-init.yaml (rendered from its datasource's network configuration); left alone"])
  }

  @Test("an empty guest has an empty inventory")
  func emptyGuest() throws {
    let dir = try TempDir()
    #expect(try NetworkConfigScanner.scan(try Self.guest([:], in: dir)) == NetworkInventory())
  }
}
