import V2VCore
import V2VModel

/// Reads every network configuration system in the guest into a ``NetworkInventory``.
///
/// The file I/O edge: each system's parser (`IfupdownConfig`, `NetworkdConfig`, `IfcfgConfig`,
/// `WickedConfig`, `NetworkManagerConfig`, `NetplanConfig`, `UdevRulesConfig`) is a pure function over
/// text. Only `/etc` is read (not `/run`, `/lib`). Files that are not text, or larger than
/// ``maxFileSize``, are skipped; odd content never throws (a failing session does).
enum NetworkConfigScanner {
  /// Larger files are not network configuration.
  static let maxFileSize: Int64 = 4 << 20

  /// The inventory of the guest's network configuration.
  static func scan(_ session: GuestSession) throws -> NetworkInventory {
    var scan = Scan(session: session)
    try scan.udevRules()
    try scan.networkd()
    try scan.ifupdown()
    try scan.ifcfg()
    try scan.wicked()
    try scan.networkManager()
    try scan.netplan()
    try scan.cloudInit()
    try scan.predictableNames()
    return scan.inventory
  }

  /// `text` (a file of `system`) with every MAC address it binds to replaced through `map` (old → new,
  /// lower-case colon form), in the spelling the file used; unchanged when it names none of them.
  static func rewritingMACs(in text: String, system: NetworkConfigSystem, map: [String: String]) -> String {
    guard !map.isEmpty else { return text }
    switch system {
    case .ifupdown, .wicked: return text  // they only SET addresses (`hwaddress`, `LLADDR=`)
    case .networkd: return NetworkdConfig.rewritingMACs(in: text, map: map)
    case .networkManager: return NetworkManagerConfig.rewritingMACs(in: text, map: map)
    case .ifcfg: return IfcfgConfig.rewritingMACs(in: text, map: map)
    case .netplan: return NetplanConfig.rewritingMACs(in: text, map: map)
    case .udevRules: return UdevRulesConfig.rewritingMACs(in: text, map: map)
    }
  }

  /// One scan's state.
  private struct Scan {
    let session: GuestSession
    var inventory = NetworkInventory()
    /// Files cloud-init rendered, in the order read.
    var cloudInitFiles: [String] = []

    init(session: GuestSession) { self.session = session }

    /// The text of a regular file; nil when missing, too large or not text.
    func text(_ path: String) throws -> String? {
      if let info = try session.fileInfo(path), info.size > NetworkConfigScanner.maxFileSize { return nil }
      guard let bytes = try session.readFile(path), NetworkConfigSyntax.isText(bytes) else { return nil }
      return String(decoding: bytes, as: UTF8.self)
    }

    /// Full paths of the entries of `dir` whose names pass `keep`, sorted by name.
    func files(_ dir: String, _ keep: (String) -> Bool = { _ in true }) throws -> [String] {
      try session.list(dir).filter { !$0.hasPrefix(".") && keep($0) }.sorted().map { dir + "/" + $0 }
    }

    /// Records a file cloud-init rendered (with its note) when it is one.
    mutating func checkCloudInit(_ path: String, _ text: String) {
      guard CloudInitConfig.isGenerated(path: path, text: text), !cloudInitFiles.contains(path) else { return }
      cloudInitFiles.append(path)
      inventory.notes.append(CloudInitConfig.generatedNote(path))
    }

    mutating func add(_ entries: [ConfiguredInterface]) { inventory.interfaces += entries }

    // MARK: systems

    mutating func udevRules() throws {
      for path in try files("/etc/udev/rules.d", { $0.hasSuffix(".rules") }) {
        guard let t = try text(path) else { continue }
        add(UdevRulesConfig.parse(t, file: path))
      }
    }

    mutating func networkd() throws {
      let dir = "/etc/systemd/network"
      for path in try files(dir, { $0.hasSuffix(".network") || $0.hasSuffix(".link") }) {
        guard let t = try text(path) else { continue }
        checkCloudInit(path, t)
        add(NetworkdConfig.parse(t, file: path))
      }
    }

    mutating func ifupdown() throws {
      let main = "/etc/network/interfaces"
      var visited: Set<String> = []
      try ifupdownFile(main, depth: 0, visited: &visited)
      // interfaces.d files nothing includes are not read by ifupdown: say so rather than count them.
      for path in try files("/etc/network/interfaces.d") where !visited.contains(path) {
        guard try session.readFile(path) != nil else { continue }
        inventory.notes.append("\(path) is not included by \(main) (no source/source-directory line): ifupdown ignores it")
      }
    }

    private mutating func ifupdownFile(_ path: String, depth: Int, visited: inout Set<String>) throws {
      guard depth < 8, !visited.contains(path) else { return }
      visited.insert(path)
      guard let t = try text(path) else { return }
      checkCloudInit(path, t)
      let parsed = IfupdownConfig.parse(t, file: path)
      add(parsed.interfaces)
      let here = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
      func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : (here.isEmpty ? "" : here) + "/" + p }
      for source in parsed.sources {
        for p in try expand(absolute(source)) { try ifupdownFile(p, depth: depth + 1, visited: &visited) }
      }
      for dir in parsed.sourceDirectories {
        // run-parts names: letters, digits, `_` and `-` only (so `50-cloud-init.cfg` is skipped).
        let ok: (String) -> Bool = { n in n.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") } }
        for p in try files(absolute(dir), ok) { try ifupdownFile(p, depth: depth + 1, visited: &visited) }
      }
    }

    /// The files a `source` argument names: a path, or a glob in its last component.
    private func expand(_ path: String) throws -> [String] {
      let slash = path.lastIndex(of: "/") ?? path.startIndex
      let dir = String(path[..<slash])
      let pattern = String(path[path.index(after: slash)...])
      guard NetworkConfigSyntax.isGlob(pattern) else { return [path] }
      return try files(dir.isEmpty ? "/" : dir) { NetworkConfigSyntax.glob(pattern, matches: $0) }
    }

    mutating func ifcfg() throws {
      for path in try files("/etc/sysconfig/network-scripts", { IfcfgConfig.nameFromFileName($0) != nil }) {
        guard let t = try text(path) else { continue }
        checkCloudInit(path, t)
        if let e = IfcfgConfig.parse(t, file: path) { add([e]) }
      }
    }

    mutating func wicked() throws {
      let dir = "/etc/sysconfig/network"
      guard try session.isDirectory(dir) else { return }
      var entries: [ConfiguredInterface] = []
      for path in try files(dir, { WickedConfig.nameFromFileName($0) != nil }) {
        guard let t = try text(path) else { continue }
        checkCloudInit(path, t)
        if let e = WickedConfig.parse(t, file: path) { entries.append(e) }
      }
      var routes: [(file: String, text: String, interface: String?)] = []
      if let t = try text(dir + "/routes") { routes.append((dir + "/routes", t, nil)) }
      for path in try files(dir, { $0.hasPrefix("ifroute-") }) {
        guard let t = try text(path) else { continue }
        routes.append((path, t, String(path.split(separator: "/").last!.dropFirst("ifroute-".count))))
      }
      for r in routes { WickedConfig.applyRoutes(r.text, interface: r.interface, to: &entries) }
      add(entries)
    }

    mutating func networkManager() throws {
      let dir = "/etc/NetworkManager/system-connections"
      for path in try files(dir, NetworkManagerConfig.isKeyfileName) {
        guard let t = try text(path) else { continue }
        checkCloudInit(path, t)
        add(NetworkManagerConfig.parse(t, file: path))
      }
    }

    mutating func netplan() throws {
      var docs: [(path: String, text: String)] = []
      for path in try files("/etc/netplan", { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }) {
        guard let t = try text(path) else { continue }
        checkCloudInit(path, t)
        docs.append((path, t))
      }
      add(NetplanConfig.parse(docs))
    }

    mutating func cloudInit() throws {
      let cfg = "/etc/cloud/cloud.cfg"
      let installed = try session.exists(cfg) || session.exists("/usr/bin/cloud-init")
      var disabled = false
      var configFiles = [cfg]
      configFiles += try files("/etc/cloud/cloud.cfg.d", { $0.hasSuffix(".cfg") || $0.contains("network") })
      for path in configFiles {
        guard let t = try text(path) else { continue }
        if CloudInitConfig.disablesNetwork(t) { disabled = true }
        let base = path.split(separator: "/").last.map(String.init) ?? path
        if path != cfg, base.contains("network"), CloudInitConfig.carriesNetworkConfig(t) {
          inventory.notes.append("cloud-init renders the network configuration in \(path) at an instance's first boot; left alone")
        }
      }
      if let t = try text("/etc/kernel/cmdline"), CloudInitConfig.commandLineDisables(t) { disabled = true }
      if installed && !disabled {
        inventory.notes.append(CloudInitConfig.mayRewriteNote(cloudInitFiles))
      }
    }

    mutating func predictableNames() throws {
      typealias P = PredictableNamesConfig
      var off = false
      if let t = try text("/etc/default/grub"), P.defaultGrubTurnsOff(t) { off = true }
      var boot = ["/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", "/boot/grub2/grubenv", "/boot/grub/grubenv"]
      for efi in try session.list("/boot/efi/EFI") { boot.append("/boot/efi/EFI/\(efi)/grub.cfg") }
      boot += try files("/boot/loader/entries", { $0.hasSuffix(".conf") })
      for path in boot where !off {
        if let t = try text(path), P.bootConfigTurnsOff(t) { off = true }
      }
      if !off, let t = try text("/etc/kernel/cmdline"), P.bootConfigTurnsOff(t, wholeFileIsCommandLine: true) { off = true }
      for path in ["/etc/udev/rules.d/80-net-setup-link.rules", "/etc/systemd/network/99-default.link"] where !off {
        let link = try session.readLink(path)
        guard try link != nil || session.exists(path) else { continue }
        if try P.masks(linkTarget: link, text: link == nil ? text(path) : nil) { off = true }
      }
      inventory.predictableNamesOff = off
    }
  }
}
