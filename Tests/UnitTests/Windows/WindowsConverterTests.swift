import Foundation
import Hivex
import Testing
import V2VConverters
import V2VCore
import V2VDrivers
import V2VModel
import V2VProcess
import V2VTestSupport

/// A phony Windows tree for the converter: real hives (an empty regf from Fixtures/windows/empty-hive.py,
/// filled by hivexregedit) in a fake session, and a small virtio-win tree in the real layout.
struct WindowsTestGuest {
  let dir: TempDir
  let session: FakeGuestSession
  let virtioWin: String

  /// SYSTEM and SOFTWARE hives from `.reg` bodies (key paths below the hive root), and a virtio-win tree
  /// with `folders` (`viostor/2k19/amd64`, …).
  init(system: String, software: String, virtioFolders: [String]) throws {
    dir = try TempDir(prefix: "v2v-win")
    let root = dir.path + "/root"
    let config = root + "/Windows/System32/config"
    for d in [config, root + "/Windows/System32/drivers", root + "/Windows/System32/DriverStore/FileRepository", root + "/ProgramData"] {
      try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    }
    try Self.hive(config + "/SYSTEM", prefix: "HKEY_LOCAL_MACHINE\\SYSTEM", body: system, tmp: dir.path)
    try Self.hive(config + "/SOFTWARE", prefix: "HKEY_LOCAL_MACHINE\\SOFTWARE", body: software, tmp: dir.path)
    session = FakeGuestSession(root: root)
    virtioWin = dir.path + "/virtio-win"
    for f in virtioFolders { try Self.driverFolder(virtioWin + "/" + f) }
    let agent = virtioWin + "/guest-agent"
    try FileManager.default.createDirectory(atPath: agent, withIntermediateDirectories: true)
    try Data("msi".utf8).write(to: URL(fileURLWithPath: agent + "/qemu-ga-x86_64.msi"))
  }

  /// Makes a hive: an empty regf, then `body` merged under `prefix` (every key listed, parents first).
  static func hive(_ path: String, prefix: String, body: String, tmp: String) throws {
    let empty = try ProcessRunner.run(["python3", RepoPaths.fixtures + "/windows/empty-hive.py", path])
    guard empty.succeeded else { throw FixtureError(description: "empty-hive.py: \(empty.stderr)") }
    let reg = tmp + "/merge-\(UUID().uuidString.prefix(6)).reg"
    // One blank line before each key, as .reg files have them; no indentation.
    let lines = body.replacingOccurrences(of: "@HIVE@", with: prefix).split(separator: "\n").map {
      $0.trimmingCharacters(in: .whitespaces)
    }.filter { !$0.isEmpty }.map { $0.hasPrefix("[") ? "\n" + $0 : $0 }
    try ("Windows Registry Editor Version 5.00\n" + lines.joined(separator: "\n") + "\n")
      .write(toFile: reg, atomically: true, encoding: .utf8)
    let merge = try ProcessRunner.run(["hivexregedit", "--merge", "--prefix", prefix, path, reg])
    guard merge.succeeded else { throw FixtureError(description: "hivexregedit: \(merge.stderr)") }
  }

  /// One driver folder of virtio-win (`viostor/2k19/amd64`): sys, cat and a real-syntax INF.
  static func driverFolder(_ path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let parts = path.split(separator: "/").suffix(3).map(String.init)
    let (folder, arch) = (parts[0], parts[2])
    let base: String
    let ids: [String]
    let cls: (String, String)
    switch folder.lowercased() {
    case "viostor": (base, ids, cls) = ("viostor", ["PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01"], ("SCSIAdapter", "{4D36E97B-E325-11CE-BFC1-08002BE10318}"))
    case "vioscsi": (base, ids, cls) = ("vioscsi", ["PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00", "PCI\\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01"], ("SCSIAdapter", "{4D36E97B-E325-11CE-BFC1-08002BE10318}"))
    case "netkvm": (base, ids, cls) = ("netkvm", ["PCI\\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00", "PCI\\VEN_1AF4&DEV_1041&SUBSYS_11001AF4&REV_01"], ("Net", "{4D36E972-E325-11CE-BFC1-08002BE10318}"))
    default: (base, ids, cls) = (folder.lowercased(), ["PCI\\VEN_1AF4&DEV_1002"], ("System", "{4D36E97D-E325-11CE-BFC1-08002BE10318}"))
    }
    let deco = arch == "x86" ? "NTx86" : "NTamd64"
    let inf = """
      [Version]
      Signature = "$WINDOWS NT$"
      Class = \(cls.0)
      ClassGuid = \(cls.1)
      Provider = %VENDOR%
      DriverVer = 08/11/2023,100.94.104.24000
      CatalogFile = \(base).cat

      [Manufacturer]
      %VENDOR% = Standard,\(deco)

      [Standard.\(deco)]
      \(ids.map { "%DeviceDesc% = \(base)_inst, \($0)" }.joined(separator: "\n"))

      [\(base)_inst.Services]
      AddService = \(base), 0x00000002, \(base)_service

      [\(base)_service]
      ServiceType = 1
      StartType = 0
      ServiceBinary = %12%\\\(base).sys

      [Strings]
      VENDOR = "Red Hat, Inc."
      DeviceDesc = "Red Hat VirtIO \(base)"
      """
    try inf.replacingOccurrences(of: "\n", with: "\r\n").write(toFile: "\(path)/\(base).inf", atomically: true, encoding: .utf8)
    try Data("FAKE \(base) \(parts[1]) \(arch)".utf8).write(to: URL(fileURLWithPath: "\(path)/\(base).sys"))
    try Data("cat".utf8).write(to: URL(fileURLWithPath: "\(path)/\(base).cat"))
  }

  static func inspection(major: Int, minor: Int, product: String) -> GuestInspection {
    GuestInspection(
      root: "/dev/sda1", osType: .windows, distro: .windows, majorVersion: major, minorVersion: minor, productName: product,
      arch: .x86_64, hostname: "WIN", packageFormat: .unknown, packageManagement: "unknown", mountpoints: ["/": "/dev/sda1"],
      windowsSystemRoot: "/Windows")
  }

  static func context(_ platform: TargetPlatform = .kvmDefault, work: String) -> ConversionContext {
    let disk = Disk(source: .file(path: "/dev/null"), format: .raw, bus: .scsi)
    return ConversionContext(
      source: SourceVM(name: "win", hypervisor: .vmware, disks: [disk], origin: "test"), platform: platform, workDirectory: work)
  }

  /// SOFTWARE for a Windows 10-family release.
  static func software(product: String, build: String, installation: String, extra: String = "") -> String {
    """
    [@HIVE@\\Microsoft]
    [@HIVE@\\Microsoft\\Windows NT]
    [@HIVE@\\Microsoft\\Windows NT\\CurrentVersion]
    "ProductName"="\(product)"
    "CurrentVersion"="6.3"
    "CurrentMajorVersionNumber"=dword:0000000a
    "CurrentMinorVersionNumber"=dword:00000000
    "CurrentBuildNumber"="\(build)"
    "InstallationType"="\(installation)"
    "SystemRoot"="C:\\\\Windows"
    [@HIVE@\\Microsoft\\Windows]
    [@HIVE@\\Microsoft\\Windows\\CurrentVersion]
    "DevicePath"=str(2):"%SystemRoot%\\\\inf"
    [@HIVE@\\Microsoft\\Windows\\CurrentVersion\\Uninstall]
    [@HIVE@\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{9A34D1F8-3C2B-4E5A-9B1F-2F6C1B7E8D90}]
    "DisplayName"="VMware Tools"
    "Publisher"="VMware, Inc."
    "UninstallString"="MsiExec.exe /X{9A34D1F8-3C2B-4E5A-9B1F-2F6C1B7E8D90}"
    "WindowsInstaller"=dword:00000001
    \(extra)
    """
  }

  /// SYSTEM with `current` as the control set in use (both 001 and 002 exist).
  static func system(current: Int, extra: String = "") -> String {
    var s = """
      [@HIVE@\\Select]
      "Current"=dword:0000000\(current)
      """
    for cs in ["ControlSet001", "ControlSet002"] {
      s += """

        [@HIVE@\\\(cs)]
        [@HIVE@\\\(cs)\\Control]
        [@HIVE@\\\(cs)\\Control\\TimeZoneInformation]
        "Bias"=dword:ffffffc4
        [@HIVE@\\\(cs)\\Services]
        [@HIVE@\\\(cs)\\Services\\VMTools]
        "Start"=dword:00000002
        [@HIVE@\\\(cs)\\Services\\pvscsi]
        "Start"=dword:00000000
        """
    }
    return s + "\n" + extra
  }
}

@Suite("Windows converter", .offPool)
struct WindowsConverterTests {
  static func operations(_ r: ConversionReport) -> [String: HiveEditOperation] {
    var out: [String: HiveEditOperation] = [:]
    for c in r.changes {
      if case .operation(let op) = c.kind, let h = op.base as? HiveEditOperation { out[h.hive] = h }
    }
    return out
  }

  static func uploads(_ r: ConversionReport) -> [String] {
    r.changes.compactMap { if case .upload(_, let g, _) = $0.kind { return g } else { return nil } }
  }

  static func written(_ r: ConversionReport, suffix: String) -> [UInt8]? {
    for c in r.changes { if case .writeFile(let p, let b, _) = c.kind, p.hasSuffix(suffix) { return b } }
    return nil
  }

  @Test("Server 2019 (control set 2): viostor boot-start in ControlSet002 only, driver database under viostor.inf, hives really written")
  func server2019() throws {
    let g = try WindowsTestGuest(
      system: WindowsTestGuest.system(current: 2),
      software: WindowsTestGuest.software(product: "Windows Server 2019 Standard", build: "17763", installation: "Server"),
      virtioFolders: ["viostor/2k19/amd64", "vioscsi/2k19/amd64", "NetKVM/2k19/amd64", "Balloon/2k19/amd64"])
    let conv = WindowsConverter(options: WindowsOptions(virtioWin: g.virtioWin), environment: [:])
    let r = try conv.plan(
      session: g.session, inspection: WindowsTestGuest.inspection(major: 10, minor: 0, product: "Windows Server 2019 Standard"),
      context: WindowsTestGuest.context(work: g.dir.path))
    let ops = Self.operations(r)
    let system = try #require(ops["SYSTEM"])
    let sysText = system.detail
    #expect(sysText.contains("ControlSet002\\Services\\viostor: Start = dword:00000000"))
    #expect(sysText.contains("ControlSet002\\Services\\viostor: Type = dword:00000001"))
    #expect(!sysText.contains("ControlSet001"))
    #expect(sysText.contains("DriverDatabase\\DriverInfFiles\\viostor.inf"))
    #expect(sysText.contains("DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00: viostor.inf = hex:01,ff,00,00"))
    #expect(!sysText.contains("CriticalDeviceDatabase"))
    #expect(sysText.contains("ControlSet002\\Services\\VMTools: Start = dword:00000004"))
    #expect(Self.uploads(r).contains("/Windows/System32/drivers/viostor.sys"))
    #expect(Self.uploads(r).contains("/Windows/Drivers/VirtIO/NetKVM/netkvm.inf"))
    #expect(r.capabilities.blockBuses.first == .virtioBlk)
    #expect(r.capabilities.nicModels.first == .virtio)
    #expect(r.capabilities.clock == .localtime)
    #expect(r.capabilities.hyperv)
    #expect(r.capabilities.installedDrivers == ["viostor", "vioscsi"])

    let script = String(decoding: try #require(Self.written(r, suffix: "v2v-firstboot.cmd")), as: UTF8.self)
    #expect(script.contains("pnputil /add-driver \"%SystemRoot%\\Drivers\\VirtIO\\*.inf\" /subdirs /install"))
    #expect(script.contains("msiexec /x {9A34D1F8-3C2B-4E5A-9B1F-2F6C1B7E8D90} /qn"))
    #expect(script.contains("qemu-ga-x86_64.msi"))
    #expect(script.contains("\r\n"))
    let ini = try #require(Self.written(r, suffix: "Scripts/scripts.ini"))
    #expect(Array(ini.prefix(2)) == [0xff, 0xfe])
    #expect(FirstBoot_decode(ini).contains("0CmdLine=C:\\Windows\\System32\\GroupPolicy\\Machine\\Scripts\\Startup\\v2v-firstboot.cmd"))

    // Apply for real, then read the hives back with hivex.
    _ = try ChangeApplier.apply(r.changes, to: g.session)
    let hive = try Hive(path: g.session.root + "/Windows/System32/config/SYSTEM")
    #expect(try hive.value(at: ["ControlSet002", "Services", "viostor"], "Start") == .dword(0))
    #expect(try hive.value(at: ["ControlSet002", "Services", "viostor"], "ImagePath") == .expandString("System32\\drivers\\viostor.sys"))
    #expect(try hive.node(["ControlSet001", "Services", "viostor"]) == nil)
    #expect(try hive.value(at: ["ControlSet002", "Services", "VMTools"], "Start") == .dword(4))
    #expect(try hive.value(at: ["ControlSet001", "Services", "VMTools"], "Start") == .dword(2))
    let sw = try Hive(path: g.session.root + "/Windows/System32/config/SOFTWARE")
    #expect(try sw.value(at: ["Microsoft", "Windows", "CurrentVersion"], "DevicePath") == .expandString("%SystemRoot%\\inf;%SystemRoot%\\Drivers\\VirtIO"))
    #expect(
      try sw.value(at: ["Microsoft", "Windows", "CurrentVersion", "Group Policy", "Scripts", "Startup", "0", "0"], "Script")
        == .string("C:\\Windows\\System32\\GroupPolicy\\Machine\\Scripts\\Startup\\v2v-firstboot.cmd"))
    #expect(FileManager.default.fileExists(atPath: g.session.root + "/Windows/System32/drivers/viostor.sys"))
  }

  @Test("Windows 7 (NT 6.1): the CriticalDeviceDatabase, not the driver database; pnputil -i -a")
  func windows7() throws {
    let sw = """
      [@HIVE@\\Microsoft]
      [@HIVE@\\Microsoft\\Windows NT]
      [@HIVE@\\Microsoft\\Windows NT\\CurrentVersion]
      "ProductName"="Windows 7 Professional"
      "CurrentVersion"="6.1"
      "CurrentBuildNumber"="7601"
      "InstallationType"="Client"
      [@HIVE@\\Microsoft\\Windows]
      [@HIVE@\\Microsoft\\Windows\\CurrentVersion]
      """
    let g = try WindowsTestGuest(
      system: WindowsTestGuest.system(current: 1), software: sw, virtioFolders: ["viostor/w7/amd64", "NetKVM/w7/amd64"])
    let r = try WindowsConverter(options: WindowsOptions(virtioWin: g.virtioWin), environment: [:]).plan(
      session: g.session, inspection: WindowsTestGuest.inspection(major: 6, minor: 1, product: "Windows 7 Professional"),
      context: WindowsTestGuest.context(work: g.dir.path))
    let sys = try #require(Self.operations(r)["SYSTEM"]).detail
    #expect(sys.contains("ControlSet001\\Control\\CriticalDeviceDatabase\\pci#ven_1af4&dev_1001&subsys_00021af4&rev_00: Service = \"viostor\""))
    #expect(sys.contains("CriticalDeviceDatabase\\pci#ven_1af4&dev_1001: ClassGUID = \"{4D36E97B-E325-11CE-BFC1-08002BE10318}\""))
    #expect(!sys.contains("DriverDatabase"))
    let script = String(decoding: try #require(Self.written(r, suffix: "v2v-firstboot.cmd")), as: UTF8.self)
    #expect(script.contains("pnputil -i -a"))
    #expect(!script.contains("/add-driver"))
  }

  @Test("no virtio-win: exit 7 naming --virtio-win; with --allow-emulated: SATA and e1000e with a warning")
  func noVirtioWin() throws {
    let g = try WindowsTestGuest(
      system: WindowsTestGuest.system(current: 1),
      software: WindowsTestGuest.software(product: "Windows 10 Pro", build: "19045", installation: "Client"), virtioFolders: [])
    let insp = WindowsTestGuest.inspection(major: 10, minor: 0, product: "Windows 10 Pro")
    let ctx = WindowsTestGuest.context(work: g.dir.path)
    #expect(throws: WindowsConversionError.noVirtioWin) {
      try WindowsConverter(options: WindowsOptions(), environment: [:]).plan(session: g.session, inspection: insp, context: ctx)
    }
    #expect(WindowsConversionError.noVirtioWin.exitClass == .hostNotReady)
    let r = try WindowsConverter(options: WindowsOptions(allowEmulated: true), environment: [:]).plan(
      session: g.session, inspection: insp, context: ctx)
    #expect(r.capabilities.blockBuses == [.sata])
    #expect(r.capabilities.nicModels == [.e1000e])
    #expect(r.warnings.contains { $0.contains("no virtio-win drivers") })
    let detail = Self.operations(r)["SYSTEM"].map(\.detail) ?? ""
    #expect(detail.contains("VMTools"))
    #expect(!detail.contains("viostor"))
  }

  @Test("a release with no driver folder: a conversion error naming the release; allowed emulated, SATA")
  func noDriverForRelease() throws {
    let g = try WindowsTestGuest(
      system: WindowsTestGuest.system(current: 1),
      software: WindowsTestGuest.software(product: "Windows Server 2019 Standard", build: "17763", installation: "Server"),
      virtioFolders: ["viostor/w10/amd64", "NetKVM/w10/amd64"])
    let insp = WindowsTestGuest.inspection(major: 10, minor: 0, product: "Windows Server 2019 Standard")
    let ctx = WindowsTestGuest.context(work: g.dir.path)
    do {
      _ = try WindowsConverter(options: WindowsOptions(virtioWin: g.virtioWin), environment: [:]).plan(
        session: g.session, inspection: insp, context: ctx)
      Issue.record("a server guest converted with only client drivers")
    } catch let e as WindowsConversionError {
      #expect(e.exitClass == .conversionFailed)
      #expect("\(e)".contains("viostor"))
      #expect("\(e)".contains("--allow-emulated"))
    }
    let r = try WindowsConverter(options: WindowsOptions(virtioWin: g.virtioWin, allowEmulated: true), environment: [:]).plan(
      session: g.session, inspection: insp, context: ctx)
    #expect(r.capabilities.blockBuses == [.sata])
  }

  @Test("RealTimeIsUniversal keeps a UTC clock; an existing gpt.ini is merged and its version raised; warnings for antivirus and policy")
  func clockPolicyAndWarnings() throws {
    let extraSystem = """
      [@HIVE@\\ControlSet001\\Control\\TimeZoneInformation]
      "RealTimeIsUniversal"=dword:00000001
      """
    let extraSoftware = """
      [@HIVE@\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\SEP]
      "DisplayName"="Symantec Endpoint Protection"
      "Publisher"="Broadcom"
      [@HIVE@\\Policies]
      [@HIVE@\\Policies\\Microsoft]
      [@HIVE@\\Policies\\Microsoft\\Windows]
      [@HIVE@\\Policies\\Microsoft\\Windows\\System]
      "DisableLGPOProcessing"=dword:00000001
      """
    let g = try WindowsTestGuest(
      system: WindowsTestGuest.system(current: 1, extra: extraSystem),
      software: WindowsTestGuest.software(product: "Windows 10 Pro", build: "19045", installation: "Client", extra: extraSoftware),
      virtioFolders: ["viostor/w10/amd64", "NetKVM/w10/amd64"])
    try FileManager.default.createDirectory(atPath: g.session.root + "/Windows/System32/GroupPolicy", withIntermediateDirectories: true)
    try "[General]\r\ngPCUserExtensionNames=[{A}{B}]\r\nVersion=65538\r\n".write(
      toFile: g.session.root + "/Windows/System32/GroupPolicy/gpt.ini", atomically: true, encoding: .utf8)
    let r = try WindowsConverter(options: WindowsOptions(virtioWin: g.virtioWin), environment: [:]).plan(
      session: g.session, inspection: WindowsTestGuest.inspection(major: 10, minor: 0, product: "Windows 10 Pro"),
      context: WindowsTestGuest.context(work: g.dir.path))
    #expect(r.capabilities.clock == .utc)
    let gpt = String(decoding: try #require(Self.written(r, suffix: "GroupPolicy/gpt.ini")), as: UTF8.self)
    #expect(gpt.contains("Version=65539"))
    #expect(gpt.contains("gPCUserExtensionNames=[{A}{B}]"))
    #expect(gpt.contains("gPCMachineExtensionNames=[{42B5FAAE-6536-11D2-AE5A-0000F87570BE}{40B6664F-4972-11D1-A7CA-0000F87571E3}]"))
    #expect(Self.written(r, suffix: "firstboot/gpt.ini.orig") != nil)
    #expect(r.warnings.contains { $0.contains("antivirus installed: Symantec Endpoint Protection") })
    #expect(r.warnings.contains { $0.contains("DisableLGPOProcessing") })
    #expect(r.warnings.contains { $0.contains("settings managed by Group Policy") })
  }

  @Test("preflight: a source whose metadata says Windows fails at once without virtio-win, unless --allow-emulated")
  func preflight() throws {
    var vm = SourceVM(name: "w", hypervisor: .vmware, disks: [], origin: "t")
    vm.guestOSHint = "windows2019srv-64"
    #expect(throws: WindowsConversionError.noVirtioWin) { try WindowsPreflight.check(vm, options: WindowsOptions(), environment: [:]) }
    try WindowsPreflight.check(vm, options: WindowsOptions(allowEmulated: true), environment: [:])
    vm.guestOSHint = "debian12-64"
    try WindowsPreflight.check(vm, options: WindowsOptions(), environment: [:])
    vm.guestOSHint = "darwin20-64"
    #expect(!WindowsPreflight.claimsWindows(vm))
    vm.guestOSHint = "windows9_64Guest"
    #expect(WindowsPreflight.claimsWindows(vm))
  }

  @Test("Windows onto physical hardware is refused")
  func physicalRefused() throws {
    let g = try WindowsTestGuest(
      system: WindowsTestGuest.system(current: 1),
      software: WindowsTestGuest.software(product: "Windows 10 Pro", build: "19045", installation: "Client"), virtioFolders: [])
    #expect(throws: WindowsConversionError.self) {
      try WindowsConverter(options: WindowsOptions(allowEmulated: true), environment: [:]).plan(
        session: g.session, inspection: WindowsTestGuest.inspection(major: 10, minor: 0, product: "Windows 10 Pro"),
        context: WindowsTestGuest.context(.physical(PhysicalPlatform()), work: g.dir.path))
    }
  }
}

/// scripts.ini bytes (UTF-16LE with BOM) as text.
func FirstBoot_decode(_ b: [UInt8]) -> String {
  let units = stride(from: 2, to: b.count - 1, by: 2).map { UInt16(b[$0]) | UInt16(b[$0 + 1]) << 8 }
  return String(decoding: units, as: UTF16.self)
}
