import Foundation
import Guestfs
import Hivex
import Testing
import V2VCore
import V2VGuestfs
import V2VModel
import V2VProcess
import V2VTestSupport

/// Windows guests through the real binary. Windows cannot boot here, so each conversion is proven on the
/// output disk: it is opened again with libguestfs, its hives read with hivex, and the exact services,
/// driver files, registry keys and first-boot entries asserted, with the domain XML.
@Suite("Windows guests", .serialized, .offPool)
struct WindowsTests {
  /// The output disk of a `-o local` run (the one file that is not the XML).
  static func outputDisk(_ dir: String) throws -> String {
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { !$0.hasSuffix(".xml") }
    guard files.count == 1 else { throw FixtureError(description: "\(dir): expected one disk, found \(files)") }
    return dir + "/" + files[0]
  }

  /// A hive of the mounted guest, downloaded and opened.
  static func hive(_ g: Guestfs, _ path: String, into dir: String) throws -> Hive {
    let local = dir + "/" + path.split(separator: "/").last! + "-\(UUID().uuidString.prefix(6))"
    try g.download(path, to: local)
    return try Hive(path: local)
  }

  static func text(_ g: Guestfs, _ path: String) throws -> String { String(decoding: try g.readFile(path), as: UTF8.self) }

  @Test(
    "Server 2019 (VMX, virtio-win directory) and Windows 10 (OVA, virtio-win ISO): drivers, boot-start services in the control set in use, driver database, first boot, VMware services, domain XML"
  )
  func conversions() throws {
    let f = try WindowsFixture.get()
    let dir = try TempDir(prefix: "v2v-win")
    let out19 = dir.path + "/out19", out10 = dir.path + "/out10"
    for d in [out19, out10] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
    let vmdk = try f.field("win2019", "vmdk"), ova = try f.field("win10", "ova")
    let before = (try sha256(vmdk), try sha256(ova))

    let r19 = try V2VRun.run([
      "convert", "-i", "vmx", try f.field("win2019", "vmx"), "-o", "local", "-os", out19, "-of", "qcow2",
      "--virtio-win", f.virtioWinTree, "--json",
    ])
    #expect(r19.status == 0, "\(r19.stderr)")
    let res19 = try #require(r19.jsonResult, "no result: \(r19.stdout.suffix(2000)) \(r19.stderr)")
    let warnings19 = (res19["warnings"] as? [String]) ?? []
    #expect(warnings19.contains { $0.contains("antivirus installed: Symantec Endpoint Protection") }, "\(warnings19)")
    #expect(warnings19.contains { $0.contains("settings managed by Group Policy") }, "\(warnings19)")
    let guest19 = try #require(res19["guest"] as? [String: Any])
    #expect(guest19["productName"] as? String == "Windows Server 2019 Standard")
    #expect(guest19["windowsControlSet"] as? String == "ControlSet002")

    let r10 = try V2VRun.run([
      "convert", "-i", "ova", ova, "-o", "local", "-os", out10, "--virtio-win", f.virtioWinISO, "--json",
    ])
    #expect(r10.status == 0, "\(r10.stderr)")

    // The domain XML: virtio disks and NICs (the drivers were installed), local time for 2019, UTC for the
    // Windows 10 guest whose registry says RealTimeIsUniversal, Hyper-V enlightenments, a USB tablet.
    let xml19 = try String(contentsOfFile: try FileManager.default.contentsOfDirectory(atPath: out19).first { $0.hasSuffix(".xml") }.map { out19 + "/" + $0 }!, encoding: .utf8)
    let xml10 = try String(contentsOfFile: try FileManager.default.contentsOfDirectory(atPath: out10).first { $0.hasSuffix(".xml") }.map { out10 + "/" + $0 }!, encoding: .utf8)
    for piece in [
      "<clock offset='localtime'>", "<hyperv mode='custom'>", "<timer name='hypervclock' present='yes'/>",
      "<target dev='vda' bus='virtio'/>", "<model type='virtio'/>", "<input type='tablet' bus='usb'/>",
      "<mac address='\(try f.field("win2019", "mac"))'/>",
    ] {
      #expect(xml19.contains(piece), "win2019 XML lacks \(piece)")
    }
    #expect(xml10.contains("<clock offset='utc'>"))
    #expect(xml10.contains("<hyperv mode='custom'>"))
    #expect(try libvirtSchemaProblem(xml: xml19) == nil)

    // Both outputs in one appliance.
    let g = try Appliance.handle(accelerator: .tcg, smp: 1)
    try g.addDrive(try Self.outputDisk(out19), format: "qcow2", readOnly: true)
    try g.addDrive(try Self.outputDisk(out10), format: "raw", readOnly: true)
    try g.addDrive(vmdk, format: "vmdk", readOnly: true)  // the negative control: the unconverted source
    try g.launch()
    defer { try? g.shutdown() }

    // --- Server 2019: ControlSet002 is the set in use; 2k19 drivers.
    try g.mountReadOnly("/dev/sda1", at: "/")
    #expect(try Self.text(g, "/Windows/System32/drivers/viostor.sys").hasPrefix("FAKE viostor 2k19 amd64"))
    #expect(try g.isFile("/Windows/Drivers/VirtIO/NetKVM/netkvm.inf"))
    #expect(try g.isFile("/Windows/Drivers/VirtIO/vioscsi/vioscsi.sys"))
    let store = try g.ls("/Windows/System32/DriverStore/FileRepository").filter { $0.hasPrefix("viostor.inf_amd64_") }
    #expect(store.count == 1, "\(store)")
    #expect(try g.isFile("/ProgramData/v2v/firstboot/qemu-ga-x86_64.msi"))
    let script = try Self.text(g, "/Windows/System32/GroupPolicy/Machine/Scripts/Startup/v2v-firstboot.cmd")
    #expect(script.contains("pnputil /add-driver \"%SystemRoot%\\Drivers\\VirtIO\\*.inf\" /subdirs /install"))
    #expect(script.contains("msiexec /x {"), "VMware Tools uninstalled by product code")
    #expect(script.contains("(goto) 2>nul & del \"%~f0\""), "the script removes itself")
    let ini = try g.readFile("/Windows/System32/GroupPolicy/Machine/Scripts/scripts.ini")
    let iniText = String(decoding: stride(from: 2, to: ini.count - 1, by: 2).map { UInt16(ini[$0]) | UInt16(ini[$0 + 1]) << 8 }, as: UTF16.self)
    #expect(iniText.contains("0CmdLine=C:\\Windows\\System32\\GroupPolicy\\Machine\\Scripts\\Startup\\v2v-firstboot.cmd"))
    #expect(try Self.text(g, "/Windows/System32/GroupPolicy/gpt.ini").contains("{42B5FAAE-6536-11D2-AE5A-0000F87570BE}"))

    let sys = try Self.hive(g, "/Windows/System32/config/SYSTEM", into: dir.path)
    let viostor = ["ControlSet002", "Services", "viostor"]
    #expect(try sys.value(at: viostor, "Start") == .dword(0))
    #expect(try sys.value(at: viostor, "Type") == .dword(1))
    #expect(try sys.value(at: viostor, "Group") == .string("SCSI miniport"))
    #expect(try sys.value(at: viostor, "ImagePath") == .expandString("System32\\drivers\\viostor.sys"))
    #expect(try sys.value(at: ["ControlSet002", "Services", "vioscsi"], "Start") == .dword(0))
    #expect(try sys.node(["ControlSet001", "Services", "viostor"]) == nil, "the old control set is untouched")
    #expect(try sys.value(at: ["ControlSet002", "Services", "VMTools"], "Start") == .dword(4))
    #expect(try sys.value(at: ["ControlSet001", "Services", "VMTools"], "Start") != .dword(4))
    let pkg = try sys.value(at: ["DriverDatabase", "DriverInfFiles", "viostor.inf"], "Active")
    #expect(pkg == .string(store.first ?? "?"), "the driver database names the package in the store")
    #expect(
      try sys.value(at: ["DriverDatabase", "DeviceIds", "PCI", "VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00"], "viostor.inf")
        == .binary([0x01, 0xff, 0x00, 0x00]))
    #expect(try sys.node(["ControlSet002", "Control", "CriticalDeviceDatabase", "pci#ven_1af4&dev_1001"]) == nil)
    let sw = try Self.hive(g, "/Windows/System32/config/SOFTWARE", into: dir.path)
    #expect(try sw.value(at: ["Microsoft", "Windows", "CurrentVersion"], "DevicePath")?.text?.hasSuffix(";%SystemRoot%\\Drivers\\VirtIO") == true)
    let startup = ["Microsoft", "Windows", "CurrentVersion", "Group Policy", "Scripts", "Startup"]
    let slots = try sw.children(try #require(try sw.node(startup)))
    #expect(slots.count == 1)
    #expect(try sw.value(at: startup + [slots[0], "0"], "Script")?.text?.hasSuffix("v2v-firstboot.cmd") == true)
    try g.umountAll()

    // --- Windows 10: ControlSet001; w10 drivers read from the ISO.
    try g.mountReadOnly("/dev/sdb1", at: "/")
    #expect(try Self.text(g, "/Windows/System32/drivers/viostor.sys").hasPrefix("FAKE viostor w10 amd64"))
    let sys10 = try Self.hive(g, "/Windows/System32/config/SYSTEM", into: dir.path)
    #expect(try sys10.value(at: ["ControlSet001", "Services", "viostor"], "Start") == .dword(0))
    #expect(try sys10.value(at: ["ControlSet001", "Services", "VMTools"], "Start") == .dword(4))
    try g.umountAll()

    // Negative control: the same checks on the unconverted source find none of it, so they can fail.
    try g.mountReadOnly("/dev/sdc1", at: "/")
    #expect(try !g.isFile("/Windows/System32/drivers/viostor.sys"))
    let sysSource = try Self.hive(g, "/Windows/System32/config/SYSTEM", into: dir.path)
    #expect(try sysSource.value(at: viostor, "Start") == nil)
    #expect(try sysSource.value(at: ["ControlSet002", "Services", "VMTools"], "Start") == .dword(2))
    #expect(try sysSource.node(["DriverDatabase", "DriverInfFiles", "viostor.inf"]) == nil)
    try g.umountAll()

    #expect(try (sha256(vmdk), sha256(ova)) == before, "the sources are untouched")
  }

  @Test("no virtio-win for a source that says Windows: exit 7 before any slow work, naming --virtio-win and --allow-emulated")
  func missingVirtioWin() throws {
    let f = try WindowsFixture.get()
    let dir = try TempDir(prefix: "v2v-win")
    let start = Date()
    let r = try V2VRun.run(["convert", "-i", "vmx", try f.field("win2019", "vmx"), "-o", "local", "-os", dir.path])
    #expect(r.status == 7, "\(r.stderr)")
    #expect(r.stderr.contains("v2v: error: Windows guest: no virtio-win drivers found: give --virtio-win"), "\(r.stderr)")
    #expect(r.stderr.contains("--allow-emulated"))
    #expect(Date().timeIntervalSince(start) < 15, "refused before the appliance started")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    let bad = try V2VRun.run(["convert", "-i", "vmx", try f.field("win2019", "vmx"), "-o", "local", "-os", dir.path, "--virtio-win", dir.path + "/nope.iso"])
    #expect(bad.status != 0 && bad.stderr.contains(dir.path + "/nope.iso"), "\(bad.stderr)")
  }

  @Test("virtio-win without the guest's architecture: exit 5 naming what was found")
  func wrongArchitecture() throws {
    let f = try WindowsFixture.get()
    let dir = try TempDir(prefix: "v2v-win")
    let tree = try WindowsFixture.virtioWin(in: dir.path + "/virtio-win", arches: "x86")
    let out = dir.path + "/out"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let r = try V2VRun.run(["convert", "-i", "vmx", try f.field("win2019", "vmx"), "-o", "local", "-os", out, "--virtio-win", tree])
    #expect(r.status == 5, "\(r.stderr)")
    let line = r.stderr.split(separator: "\n").first { $0.hasPrefix("v2v: error:") }.map(String.init) ?? ""
    #expect(line.contains("viostor") && line.contains("amd64") && line.contains("x86"), "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
  }

  @Test("no driver folder for the guest's version: exit 5; with --allow-emulated it converts onto SATA and e1000e")
  func noDriverForVersion() throws {
    let f = try WindowsFixture.get()
    let dir = try TempDir(prefix: "v2v-win")
    let tree = try WindowsFixture.virtioWin(in: dir.path + "/virtio-win", oses: "w10 w11")
    let out = dir.path + "/out"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    let vmx = try f.field("win2019", "vmx")
    let r = try V2VRun.run(["convert", "-i", "vmx", vmx, "-o", "local", "-os", out, "--virtio-win", tree])
    #expect(r.status == 5, "\(r.stderr)")
    let line = r.stderr.split(separator: "\n").first { $0.hasPrefix("v2v: error:") }.map(String.init) ?? ""
    #expect(line.contains("Windows Server 2019") && line.contains("2k19") && line.contains("--allow-emulated"), "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)

    let ok = try V2VRun.run(["convert", "-i", "vmx", vmx, "-o", "local", "-os", out, "--virtio-win", tree, "--allow-emulated"])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(ok.stderr.contains("--allow-emulated: the guest gets SATA disks"), "\(ok.stderr)")
    let xmlName = try #require(try FileManager.default.contentsOfDirectory(atPath: out).first { $0.hasSuffix(".xml") })
    let xml = try String(contentsOfFile: out + "/" + xmlName, encoding: .utf8)
    #expect(xml.contains("<target dev='sda' bus='sata'/>"), "\(xml)")
    #expect(xml.contains("<model type='e1000e'/>"))
    #expect(!xml.contains("bus='virtio'"))
  }

  @Test("a BitLocker-encrypted volume: exit 5 telling the user to turn BitLocker off first")
  func bitlocker() throws {
    let f = try WindowsFixture.get()
    let dir = try TempDir(prefix: "v2v-win")
    let r = try V2VRun.run([
      "convert", "-i", "vmx", try f.field("bitlocker", "vmx"), "-o", "local", "-os", dir.path, "--allow-emulated",
    ])
    #expect(r.status == 5, "\(r.stderr)")
    #expect(r.stderr.contains("is BitLocker-encrypted") && r.stderr.contains("manage-bde -off"), "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
  }
}
