import Testing
import V2VDrivers
import V2VModel

/// The Windows driver catalog: release names, virtio-win OS folders with their fallbacks, architecture
/// folders, the drivers' facts (services, hardware ids, classes), the registry mechanism per release.
@Suite("Windows driver catalog")
struct WindowsDriverCatalogTests {
  static func server(_ build: Int, arch: Architecture = .x86_64) -> WindowsRelease {
    WindowsRelease(major: 10, minor: 0, build: build, isServer: true, arch: arch)
  }
  static func client(_ major: Int, _ minor: Int, build: Int = 0, arch: Architecture = .x86_64) -> WindowsRelease {
    WindowsRelease(major: major, minor: minor, build: build, isServer: false, arch: arch)
  }
  static func names(_ r: WindowsRelease) -> [String] { WindowsDriverCatalog.osFolders(for: r).map(\.name) }

  @Test("release names from NT version, build and variant")
  func names() {
    #expect(Self.server(17763).name == "Windows Server 2019")
    #expect(Self.server(14393).name == "Windows Server 2016")
    #expect(Self.server(20348).name == "Windows Server 2022")
    #expect(Self.server(26100).name == "Windows Server 2025")
    #expect(Self.server(18362).name == "Windows Server (build 18362)")
    #expect(Self.server(0).name == "Windows Server 2016 or later")
    #expect(Self.client(10, 0, build: 19045).name == "Windows 10")
    #expect(Self.client(10, 0, build: 22000).name == "Windows 11")
    #expect(Self.client(10, 0, build: 21999).name == "Windows 10")
    #expect(Self.client(10, 0).name == "Windows 10")
    #expect(WindowsRelease(major: 6, minor: 3, build: 9600, isServer: true, arch: .x86_64).name == "Windows Server 2012 R2")
    #expect(WindowsRelease(major: 6, minor: 2, build: 9200, isServer: true, arch: .x86_64).name == "Windows Server 2012")
    #expect(WindowsRelease(major: 6, minor: 1, build: 7601, isServer: true, arch: .x86_64).name == "Windows Server 2008 R2")
    #expect(WindowsRelease(major: 6, minor: 0, build: 6002, isServer: true, arch: .x86_64).name == "Windows Server 2008")
    #expect(Self.client(6, 3).name == "Windows 8.1")
    #expect(Self.client(6, 2).name == "Windows 8")
    #expect(Self.client(6, 1).name == "Windows 7")
    #expect(Self.client(6, 0).name == "Windows Vista")
    #expect(Self.client(5, 1).name == "Windows XP")
  }

  @Test("server releases: own folder by build, then older servers; never a client folder")
  func serverFolders() {
    #expect(Self.names(Self.server(26100)) == ["2k25", "2k22", "2k19", "2k16"])
    #expect(Self.names(Self.server(20348)) == ["2k22", "2k19", "2k16"])
    #expect(Self.names(Self.server(17763)) == ["2k19", "2k16"])
    #expect(Self.names(Self.server(14393)) == ["2k16"])
    // A semi-annual build between two long-term ones: the newest folder not newer than it.
    #expect(Self.names(Self.server(18362)) == ["2k19", "2k16"])
    #expect(Self.names(Self.server(25398)) == ["2k22", "2k19", "2k16"])
    // Newer than anything v2v knows: 2k25 first.
    #expect(Self.names(Self.server(30000)) == ["2k25", "2k22", "2k19", "2k16"])
    // Unknown build: the folder whose drivers install on every NT 10 server.
    #expect(Self.names(Self.server(0)) == ["2k16"])
    #expect(Self.names(WindowsRelease(major: 6, minor: 3, build: 9600, isServer: true, arch: .x86_64)) == ["2k12R2", "2k12", "2k8R2", "2k8"])
    #expect(Self.names(WindowsRelease(major: 6, minor: 2, build: 9200, isServer: true, arch: .x86_64)) == ["2k12", "2k8R2", "2k8"])
    #expect(Self.names(WindowsRelease(major: 6, minor: 1, build: 7601, isServer: true, arch: .x86_64)) == ["2k8R2", "2k8"])
    #expect(Self.names(WindowsRelease(major: 6, minor: 0, build: 6002, isServer: true, arch: .x86_64)) == ["2k8"])
    for build in [0, 14393, 17763, 20348, 26100] {
      #expect(!Self.names(Self.server(build)).contains { $0.hasPrefix("w") }, "server \(build)")
    }
  }

  @Test("client releases: Windows 11 from build 22000 falls back to w10; never a server folder")
  func clientFolders() {
    #expect(Self.names(Self.client(10, 0, build: 22631)) == ["w11", "w10"])
    #expect(Self.names(Self.client(10, 0, build: 22000)) == ["w11", "w10"])
    #expect(Self.names(Self.client(10, 0, build: 19045)) == ["w10"])
    #expect(Self.names(Self.client(10, 0)) == ["w10"])
    #expect(Self.names(Self.client(6, 3)) == ["w8.1", "w8", "w7"])
    #expect(Self.names(Self.client(6, 2)) == ["w8", "w7"])
    #expect(Self.names(Self.client(6, 1)) == ["w7"])
    for r in [Self.client(10, 0, build: 22631), Self.client(10, 0), Self.client(6, 3), Self.client(6, 1)] {
      #expect(!Self.names(r).contains { $0.hasPrefix("2k") }, "\(r.name)")
    }
    // Releases without a virtio-win folder.
    #expect(Self.names(Self.client(6, 0)).isEmpty)
    #expect(Self.names(Self.client(5, 1)).isEmpty)
    #expect(Self.names(WindowsRelease(major: 5, minor: 2, build: 3790, isServer: true, arch: .i386)).isEmpty)
  }

  @Test("every folder has a reason; fallbacks say they are fallbacks")
  func reasons() {
    let folders = WindowsDriverCatalog.osFolders(for: Self.server(20348))
    #expect(folders.allSatisfy { !$0.reason.isEmpty })
    #expect(folders[0].reason.contains("Windows Server 2022"), "\(folders[0].reason)")
    #expect(!folders[0].reason.contains("fallback"))
    #expect(folders.dropFirst().allSatisfy { $0.reason.hasPrefix("fallback") }, "\(folders)")
    let semiAnnual = WindowsDriverCatalog.osFolders(for: Self.server(18362))
    #expect(semiAnnual[0].reason.contains("18362") && semiAnnual[0].reason.contains("17763"), "\(semiAnnual[0].reason)")
  }

  @Test("architecture folders and guest agent installers")
  func archFolders() {
    #expect(WindowsDriverCatalog.archFolder(for: .x86_64) == "amd64")
    #expect(WindowsDriverCatalog.archFolder(for: .i386) == "x86")
    #expect(WindowsDriverCatalog.archFolder(for: .aarch64) == "ARM64")
    #expect(WindowsDriverCatalog.archFolder(for: .ppc64le) == nil)
    #expect(WindowsDriverCatalog.guestAgentMSI(for: .x86_64) == "qemu-ga-x86_64.msi")
    #expect(WindowsDriverCatalog.guestAgentMSI(for: .i386) == "qemu-ga-i386.msi")
    #expect(WindowsDriverCatalog.guestAgentMSI(for: .aarch64) == nil)
  }

  @Test("CriticalDeviceDatabase before NT 6.2, DriverDatabase from Windows 8 / Server 2012")
  func criticalDeviceDatabase() {
    #expect(WindowsDriverCatalog.usesCriticalDeviceDatabase(Self.client(6, 1)))
    #expect(WindowsDriverCatalog.usesCriticalDeviceDatabase(WindowsRelease(major: 6, minor: 1, build: 7601, isServer: true, arch: .x86_64)))
    #expect(WindowsDriverCatalog.usesCriticalDeviceDatabase(Self.client(6, 0)))
    #expect(WindowsDriverCatalog.usesCriticalDeviceDatabase(Self.client(5, 2)))
    #expect(!WindowsDriverCatalog.usesCriticalDeviceDatabase(Self.client(6, 2)))
    #expect(!WindowsDriverCatalog.usesCriticalDeviceDatabase(Self.client(6, 3)))
    #expect(!WindowsDriverCatalog.usesCriticalDeviceDatabase(Self.server(17763)))
  }

  @Test("driver facts as virtio-win's INFs state them")
  func driverFacts() {
    #expect(WindowsDriverCatalog.drivers.map(\.id) == WindowsDriver.ID.allCases)
    let viostor = WindowsDriverCatalog.driver(.viostor)
    #expect(viostor.folder == "viostor" && viostor.infName == "viostor.inf" && viostor.service == "viostor")
    #expect(viostor.bootCritical)
    #expect(viostor.pciIDs == ["PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00", "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01"])
    #expect(viostor.classGUID == "{4D36E97B-E325-11CE-BFC1-08002BE10318}" && viostor.className == "SCSIAdapter")
    let vioscsi = WindowsDriverCatalog.driver(.vioscsi)
    #expect(vioscsi.bootCritical && vioscsi.service == "vioscsi")
    #expect(vioscsi.pciIDs == ["PCI\\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00", "PCI\\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01"])
    let net = WindowsDriverCatalog.driver(.netkvm)
    #expect(net.folder == "NetKVM" && net.service == "netkvm" && net.className == "Net" && !net.bootCritical)
    #expect(net.classGUID == "{4D36E972-E325-11CE-BFC1-08002BE10318}")
    #expect(net.pciIDs.first == "PCI\\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00")
    #expect(WindowsDriverCatalog.driver(.balloon).service == "BALLOON")
    #expect(WindowsDriverCatalog.driver(.balloon).folder == "Balloon")
    #expect(WindowsDriverCatalog.driver(.vioserial).infName == "vioser.inf")
    #expect(WindowsDriverCatalog.driver(.vioserial).service == "VirtioSerial")
    #expect(WindowsDriverCatalog.driver(.viorng).service == "VirtRng")
    #expect(WindowsDriverCatalog.driver(.pvpanic).service == "PVPanic")
    #expect(WindowsDriverCatalog.driver(.pvpanic).pciIDs == ["ACPI\\QEMU0001"])
    #expect(WindowsDriverCatalog.driver(.qemupciserial).service == nil)
    #expect(WindowsDriverCatalog.driver(.qxldod).className == "Display")
    // Only the storage drivers are boot-critical; every entry says why it is there.
    #expect(WindowsDriverCatalog.drivers.filter(\.bootCritical).map(\.id) == [.viostor, .vioscsi])
    #expect(WindowsDriverCatalog.drivers.allSatisfy { !$0.reason.isEmpty && !$0.pciIDs.isEmpty })
    // Every virtio device has its legacy (0x1000 + n) and modern (0x1040 + type) id.
    for d in WindowsDriverCatalog.drivers where d.pciIDs.first?.hasPrefix("PCI\\VEN_1AF4") == true {
      #expect(d.pciIDs.count == 2 && d.pciIDs[0].hasSuffix("&REV_00") && d.pciIDs[1].hasSuffix("SUBSYS_11001AF4&REV_01"), "\(d.id)")
    }
  }
}
