import V2VCore
import V2VModel

/// The network configuration systems a Linux fleet has.
enum NetworkConfigSystem: String, Sendable, CaseIterable, Equatable {
  /// Debian's `/etc/network/interfaces` and `interfaces.d/`.
  case ifupdown
  /// `/etc/systemd/network/*.network` (and `.link` files that name interfaces).
  case networkd
  /// NetworkManager keyfiles, `/etc/NetworkManager/system-connections/*.nmconnection`.
  case networkManager = "NetworkManager"
  /// RHEL family `ifcfg-*` files in `/etc/sysconfig/network-scripts`.
  case ifcfg
  /// Ubuntu's `/etc/netplan/*.yaml`.
  case netplan
  /// SUSE's wicked, `ifcfg-*` files in `/etc/sysconfig/network`.
  case wicked
  /// udev rules that name interfaces (`70-persistent-net.rules`).
  case udevRules = "udev"
}

/// One interface as one configuration file configures it: what the name mapping and the pinning need.
struct ConfiguredInterface: Sendable, Equatable {
  /// The system that configures it.
  var system: NetworkConfigSystem
  /// The guest file.
  var file: String
  /// The interface name the configuration applies to (`ens192`, `eth0`); nil when it is matched only by
  /// MAC address (or by a glob such as `en*`: see ``nameIsPattern``).
  var name: String?
  /// Whether ``name`` is a pattern (`en*`, `e*`) rather than one interface.
  var nameIsPattern = false
  /// The MAC address the configuration is bound to (`HWADDR=`, `mac-address=`, `[Match] MACAddress=`,
  /// `match: macaddress:`), lower-case colon form.
  var mac: String?
  /// What it configures, for the user: `dhcp4`, `dhcp6`, `static 192.0.2.10/24`, `static 2001:db8::10/64`,
  /// `gateway 192.0.2.1`, `dns 192.0.2.53`, `manual`.
  var settings: [String] = []
  /// Whether this entry only names an interface (a `.link` file, a udev rule, netplan `set-name`) rather
  /// than configuring addresses on it.
  var namesOnly = false
  /// What kind of interface the configuration says it is, nil when it does not say (a plain `iface eth0`).
  var kind: InterfaceKind? = nil
  /// The interfaces this one is built on, by name: a bond's slaves, a bridge's ports, a VLAN's parent
  /// (`bond-slaves`, `bridge_ports`, `vlan-raw-device`, netplan `interfaces:`/`link:`, `BRIDGE_PORTS=`).
  /// These are hardware names too, and must keep working.
  var lowerInterfaces: [String] = []
  /// The bond or bridge this interface is a member of (`Bond=`, `MASTER=`, `master=`, `bond-master`).
  var memberOf: String? = nil
  /// A MAC address the configuration SETS on the interface (`hwaddress`, `MACADDR=`, `LLADDR=`,
  /// `cloned-mac-address=`, netplan `macaddress:` outside `match:`), lower-case colon form; not a match.
  var assignedMAC: String? = nil

  init(system: NetworkConfigSystem, file: String, name: String? = nil, nameIsPattern: Bool = false,
       mac: String? = nil, settings: [String] = [], namesOnly: Bool = false) {
    self.system = system
    self.file = file
    self.name = name
    self.nameIsPattern = nameIsPattern
    self.mac = mac
    self.settings = settings
    self.namesOnly = namesOnly
  }
}

/// The kind of interface a configuration describes.
enum InterfaceKind: String, Sendable, Equatable {
  case ethernet, bond, bridge, vlan, wifi
  /// An alias (`eth0:1`), another address on its base interface.
  case alias
  /// Anything else the configuration names (team, tun, infiniband, ...).
  case other
}

/// Everything the guest's network configuration says about interfaces, read from every system it has.
struct NetworkInventory: Sendable, Equatable {
  /// The configured interfaces, in file order.
  var interfaces: [ConfiguredInterface] = []
  /// Files v2v reads but leaves alone, with why (cloud-init's network configuration).
  var notes: [String] = []
  /// Whether the guest turned predictable names off (`net.ifnames=0` on the kernel command line,
  /// `80-net-setup-link.rules` or `99-default.link` masked): interfaces are then `ethN` in probe order.
  var predictableNamesOff = false
}
