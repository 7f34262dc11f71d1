import Foundation
import Testing
import V2VConverters
import V2VDrivers
import V2VModel
import V2VProcess
import V2VTestSupport

/// Finding virtio-win (option, environment, distribution places), and finding a driver in it for a
/// release: OS-folder fallbacks, case-insensitive names, wrong architecture, the guest agent; the same
/// from an ISO built here with xorriso, extracting only what is asked for.
@Suite("virtio-win source and tree", .offPool)
struct VirtioWinTests {
  static let server2022 = WindowsRelease(major: 10, minor: 0, build: 20348, isServer: true, arch: .x86_64)
  static let server2019 = WindowsRelease(major: 10, minor: 0, build: 17763, isServer: true, arch: .x86_64)
  static let windows10 = WindowsRelease(major: 10, minor: 0, build: 19045, isServer: false, arch: .x86_64)

  /// A storage INF for `service`, valid for amd64 and x86.
  static func inf(service: String, id: String = "PCI\\VEN_1AF4&DEV_1001") -> String {
    """
    [Version]
    Signature="$Windows NT$"
    Class=SCSIAdapter
    ClassGUID={4D36E97B-E325-11CE-BFC1-08002BE10318}
    Provider=%VENDOR%
    DriverVer=08/11/2023,100.94.104.24000
    CatalogFile=\(service).cat
    [Manufacturer]
    %VENDOR% = Models,NTamd64,NTx86
    [Models.NTamd64]
    %Desc% = inst, \(id)
    [Models.NTx86]
    %Desc% = inst, \(id)
    [inst]
    [inst.Services]
    AddService = \(service), 2, svc
    [Strings]
    VENDOR = "Red Hat, Inc."
    Desc = "test device"
    """
  }

  static func write(_ root: String, _ relative: String, _ content: String) throws {
    let path = root + "/" + relative
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try content.write(toFile: path, atomically: false, encoding: .utf8)
  }

  /// viostor for 2k19 and 2k16 (amd64, x86), with media-style upper case for 2k16; NetKVM only for w10;
  /// the amd64 guest agent.
  static func makeTree(_ root: String) throws {
    for (os, arch) in [("2k19", "amd64"), ("2k19", "x86")] {
      let dir = "viostor/\(os)/\(arch)"
      try write(root, "\(dir)/viostor.inf", inf(service: "viostor"))
      try write(root, "\(dir)/viostor.sys", "sys")
      try write(root, "\(dir)/viostor.cat", "cat")
    }
    try write(root, "VIOSTOR-not-this/2k22/amd64/viostor.inf", inf(service: "wrong"))
    try write(root, "viostor/2K16/AMD64/VIOSTOR.INF", inf(service: "viostor16"))
    try write(root, "NetKVM/w10/amd64/netkvm.inf", inf(service: "netkvm", id: "PCI\\VEN_1AF4&DEV_1000"))
    try write(root, "NetKVM/w10/amd64/netkvm.sys", "sys")
    try write(root, "guest-agent/qemu-ga-x86_64.msi", "msi64")
    try write(root, "Balloon/2k19/amd64/balloon.inf", "[Strings]\nnot an inf")
  }

  static func error(_ body: () throws -> Void) -> VirtioWinError? {
    do { try body() } catch let e as VirtioWinError { return e } catch { return nil }
    return nil
  }

  @Test("locate: --virtio-win, else VIRTIO_WIN, else the distribution's places (ISO first), else nil")
  func locateOrder() throws {
    let dir = try TempDir()
    let tree = dir.path + "/tree", iso = dir.path + "/fake.iso", plain = dir.path + "/notes.txt"
    try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
    // An ISO 9660 image as far as the check goes: CD001 after the type byte of sector 16.
    var bytes = [UInt8](repeating: 0, count: 34816)
    bytes.replaceSubrange(32768..<32774, with: [1] + Array("CD001".utf8))
    try Data(bytes).write(to: URL(fileURLWithPath: iso))
    try "hello".write(toFile: plain, atomically: false, encoding: .utf8)

    #expect(try VirtioWinSource.locate(option: tree, environment: ["VIRTIO_WIN": iso]) == VirtioWinSource(path: tree, kind: .directory))
    #expect(try VirtioWinSource.locate(option: iso, environment: [:]) == VirtioWinSource(path: iso, kind: .iso))
    #expect(try VirtioWinSource.locate(option: nil, environment: ["VIRTIO_WIN": iso]) == VirtioWinSource(path: iso, kind: .iso))
    let places = [dir.path + "/none.iso", iso, tree]
    #expect(
      try VirtioWinSource.locate(option: nil, environment: ["VIRTIO_WIN": ""], distributionPlaces: places)
        == VirtioWinSource(path: iso, kind: .iso))
    #expect(
      try VirtioWinSource.locate(option: nil, environment: [:], distributionPlaces: [dir.path + "/none.iso", tree])
        == VirtioWinSource(path: tree, kind: .directory))
    #expect(try VirtioWinSource.locate(option: nil, environment: [:], distributionPlaces: [dir.path + "/none"]) == nil)
    #expect(try VirtioWinSource.locate(option: nil, environment: [:], distributionPlaces: []) == nil)
  }

  @Test("locate refuses a missing path and a file that is not an ISO, naming the option or the variable")
  func locateRefusals() throws {
    let dir = try TempDir()
    let plain = dir.path + "/notes.txt"
    try String(repeating: "x", count: 40000).write(toFile: plain, atomically: false, encoding: .utf8)
    let missing = Self.error { _ = try VirtioWinSource.locate(option: "/nonexistent/virtio-win", environment: [:]) }
    #expect(missing == .missing(path: "/nonexistent/virtio-win", origin: .option))
    #expect(missing?.description == "--virtio-win /nonexistent/virtio-win: no such file or directory")
    let env = Self.error { _ = try VirtioWinSource.locate(option: nil, environment: ["VIRTIO_WIN": "/nope"]) }
    #expect(env?.description == "VIRTIO_WIN=/nope: no such file or directory")
    let notISO = Self.error { _ = try VirtioWinSource.locate(option: plain, environment: [:]) }
    #expect(notISO == .notVirtioWin(path: plain, origin: .option))
    #expect(notISO?.description.hasPrefix("--virtio-win \(plain): neither a directory nor an ISO 9660 image") == true)
    #expect(!VirtioWinSource.isISO9660(plain))
    #expect(Self.error { _ = try VirtioWinSource.locate(option: "", environment: [:]) } == .missing(path: "", origin: .option))
    // Host trouble, exit code 7, through the job's one error type too.
    #expect(missing?.exitClass == .hostNotReady)
    #expect(V2VError(missing!).exitClass == .hostNotReady)
  }

  @Test("a directory tree: own folder, fallback, case-insensitive names, files and the parsed INF")
  func directoryTree() throws {
    let dir = try TempDir()
    try Self.makeTree(dir.path)
    let tree = try VirtioWinSource(path: dir.path, kind: .directory).open(scratch: dir.path + "/scratch")
    let viostor = WindowsDriverCatalog.driver(.viostor)

    let own = try tree.locate(viostor, for: Self.server2019)
    #expect(own.osFolder == "2k19" && !own.fellBack)
    #expect(own.directory == dir.path + "/viostor/2k19/amd64")
    #expect(own.files == ["viostor.cat", "viostor.inf", "viostor.sys"])
    #expect(own.inf.services == ["viostor"] && own.inf.provider == "Red Hat, Inc.")
    #expect(own.driver == viostor)

    // Server 2022: no 2k22 folder, so 2k19, flagged as a fallback.
    let fallback = try tree.locate(viostor, for: Self.server2022)
    #expect(fallback.osFolder == "2k19" && fallback.fellBack)

    // Server 2016: found through upper-case names.
    let upper = try tree.locate(viostor, for: WindowsRelease(major: 10, minor: 0, build: 14393, isServer: true, arch: .x86_64))
    #expect(upper.osFolder == "2k16" && upper.directory == dir.path + "/viostor/2K16/AMD64")
    #expect(upper.files == ["VIOSTOR.INF"] && upper.inf.services == ["viostor16"])

    // 32-bit: the x86 folder.
    var x86 = Self.server2019
    x86.arch = .i386
    #expect(try tree.locate(viostor, for: x86).directory == dir.path + "/viostor/2k19/x86")

    // Nothing was extracted for a directory source.
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/scratch"))
  }

  @Test("no driver for the release (never a folder of the other line); wrong architecture names what there is")
  func refusals() throws {
    let dir = try TempDir()
    try Self.makeTree(dir.path)
    let tree = try VirtioWinSource(path: dir.path, kind: .directory).open(scratch: dir.path + "/scratch")
    let viostor = WindowsDriverCatalog.driver(.viostor)

    // Windows 10 never takes a server folder.
    let client = Self.error { _ = try tree.locate(viostor, for: Self.windows10) }
    #expect(client == .noDriver(driver: .viostor, release: Self.windows10, tried: ["w10"], source: dir.path))
    // Server 2022 and NetKVM, which exists only for w10.
    let net = Self.error { _ = try tree.locate(WindowsDriverCatalog.driver(.netkvm), for: Self.server2022) }
    #expect(
      net?.description
        == "virtio-win at \(dir.path) has no netkvm driver for Windows Server 2022 (tried 2k22, 2k19, 2k16): use a newer virtio-win")
    // A driver folder that is not there at all.
    #expect(Self.error { _ = try tree.locate(WindowsDriverCatalog.driver(.vioscsi), for: Self.server2019) } != nil)
    // A release v2v has no folder for.
    let vista = WindowsRelease(major: 6, minor: 0, build: 6002, isServer: false, arch: .x86_64)
    let none = Self.error { _ = try tree.locate(viostor, for: vista) }
    #expect(none == .noDriver(driver: .viostor, release: vista, tried: [], source: dir.path))
    #expect(none?.description.contains("knows no virtio-win folder") == true)

    var arm = Self.server2019
    arm.arch = .aarch64
    let wrong = Self.error { _ = try tree.locate(viostor, for: arm) }
    #expect(wrong == .wrongArchitecture(driver: .viostor, arch: .aarch64, available: ["amd64", "x86"], osFolder: "2k19", source: dir.path))
    #expect(wrong?.description == "virtio-win at \(dir.path) has viostor for 2k19 but not for ARM64 (found: amd64, x86)")

    // An INF that is not one: a broken virtio-win, said with the file's path.
    let bad = Self.error { _ = try tree.locate(WindowsDriverCatalog.driver(.balloon), for: Self.server2019) }
    #expect(bad == .badINF(path: dir.path + "/Balloon/2k19/amd64/balloon.inf", problem: "not a driver INF: no [Version] section"))
    #expect(
      bad?.description
        == "virtio-win driver \(dir.path)/Balloon/2k19/amd64/balloon.inf: not a driver INF: no [Version] section: reinstall virtio-win")
    #expect([client, net, none, wrong, bad].allSatisfy { $0?.exitClass == .hostNotReady })
  }

  @Test("an architecture missing from the best folder falls back to an older folder that has it")
  func archFallback() throws {
    let dir = try TempDir()
    try Self.write(dir.path, "viostor/2k22/x86/viostor.inf", Self.inf(service: "viostor"))
    try Self.write(dir.path, "viostor/2k19/amd64/viostor.inf", Self.inf(service: "viostor"))
    let tree = try VirtioWinSource(path: dir.path, kind: .directory).open(scratch: dir.path + "/scratch")
    let found = try tree.locate(WindowsDriverCatalog.driver(.viostor), for: Self.server2022)
    #expect(found.osFolder == "2k19" && found.fellBack)
  }

  @Test("the guest agent installer, by its current or older name; none for other architectures")
  func guestAgent() throws {
    let dir = try TempDir()
    try Self.makeTree(dir.path)
    try Self.write(dir.path, "guest-agent/QEMU-GA-X86.MSI", "msi32")
    let tree = try VirtioWinSource(path: dir.path, kind: .directory).open(scratch: dir.path + "/scratch")
    #expect(try tree.guestAgent(for: .x86_64) == dir.path + "/guest-agent/qemu-ga-x86_64.msi")
    #expect(try tree.guestAgent(for: .i386) == dir.path + "/guest-agent/QEMU-GA-X86.MSI")
    #expect(try tree.guestAgent(for: .aarch64) == nil)
    let empty = try TempDir()
    #expect(try VirtioWinSource(path: empty.path, kind: .directory).open(scratch: empty.path + "/s").guestAgent(for: .x86_64) == nil)
  }

  @Test(
    "an ISO built with xorriso: listed, and only the driver folder and the agent asked for are extracted",
    .enabled(if: ProcessRunner.which("xorriso") != nil, "xorriso is not installed (apt-get install xorriso)"))
  func isoTree() throws {
    let dir = try TempDir()
    let content = dir.path + "/content"
    try Self.makeTree(content)
    // ISO files are often read-only: extraction must leave a scratch directory that can be removed.
    try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: content + "/viostor/2k19/amd64/viostor.sys")
    let iso = dir.path + "/virtio-win.iso"
    let made = try ProcessRunner.run(["xorriso", "-as", "mkisofs", "-R", "-J", "-V", "virtio-win-test", "-o", iso, content], timeout: 120)
    try #require(made.succeeded, "xorriso -as mkisofs: \(made.stderr)")

    let source = try #require(try VirtioWinSource.locate(option: iso, environment: [:]))
    #expect(source.kind == .iso)
    let scratch = dir.path + "/scratch"
    let tree = try source.open(scratch: scratch)
    let found = try tree.locate(WindowsDriverCatalog.driver(.viostor), for: Self.server2022)
    #expect(found.osFolder == "2k19" && found.fellBack)
    #expect(found.directory == scratch + "/viostor/2k19/amd64")
    #expect(found.files == ["viostor.cat", "viostor.inf", "viostor.sys"])
    #expect(found.inf.services == ["viostor"])
    #expect(try String(contentsOfFile: found.directory + "/viostor.sys", encoding: .utf8) == "sys")
    let mode = try FileManager.default.attributesOfItem(atPath: found.directory + "/viostor.sys")[.posixPermissions] as? Int
    #expect(mode.map { $0 & 0o200 != 0 } == true, "extracted files are left writable by their owner: \(String(describing: mode))")
    // Case-insensitive inside the ISO too.
    let upper = try tree.locate(
      WindowsDriverCatalog.driver(.viostor), for: WindowsRelease(major: 10, minor: 0, build: 14393, isServer: true, arch: .x86_64))
    #expect(upper.directory == scratch + "/viostor/2K16/AMD64" && upper.files == ["VIOSTOR.INF"])
    let agent = try #require(try tree.guestAgent(for: .x86_64))
    #expect(agent == scratch + "/guest-agent/qemu-ga-x86_64.msi")
    #expect(try String(contentsOfFile: agent, encoding: .utf8) == "msi64")

    // Only what was asked for is in scratch.
    let extracted = (FileManager.default.subpaths(atPath: scratch) ?? []).sorted()
    #expect(
      extracted == [
        "guest-agent", "guest-agent/qemu-ga-x86_64.msi", "viostor", "viostor/2K16", "viostor/2K16/AMD64",
        "viostor/2K16/AMD64/VIOSTOR.INF", "viostor/2k19", "viostor/2k19/amd64", "viostor/2k19/amd64/viostor.cat",
        "viostor/2k19/amd64/viostor.inf", "viostor/2k19/amd64/viostor.sys",
      ], "\(extracted)")
    // Refusals read the listing, without extracting.
    #expect(Self.error { _ = try tree.locate(WindowsDriverCatalog.driver(.netkvm), for: Self.server2022) } != nil)
    #expect(!FileManager.default.fileExists(atPath: scratch + "/NetKVM"))
    try FileManager.default.removeItem(atPath: scratch)
  }

  @Test(
    "a corrupt ISO is a clear error, not a crash",
    .enabled(if: ProcessRunner.which("xorriso") != nil, "xorriso is not installed (apt-get install xorriso)"))
  func corruptISO() throws {
    let dir = try TempDir()
    let iso = dir.path + "/broken.iso"
    var bytes = [UInt8](repeating: 0xAB, count: 40960)
    bytes.replaceSubrange(32768..<32774, with: [1] + Array("CD001".utf8))
    try Data(bytes).write(to: URL(fileURLWithPath: iso))
    let source = try #require(try VirtioWinSource.locate(option: iso, environment: [:]))
    let e = Self.error { _ = try source.open(scratch: dir.path + "/scratch") }
    guard case .unreadable(let path, _) = e else {
      Issue.record("expected .unreadable, got \(String(describing: e))")
      return
    }
    #expect(path == iso)
  }
}
