import Foundation
import V2VProcess
import Testing
import V2VConverters
import V2VCore
import V2VModel
import V2VTestSupport
import V2VWriters

/// The pipeline's stages and failure handling, with a fake appliance over a fixture tree (no qemu guest;
/// `qemu-img` makes the tiny overlays and copies). Every failure must leave no finished-looking output.
@Suite("pipeline", .offPool)
struct PipelineTests {
  static let debian = GuestInspection(
    root: "/dev/sda1", osType: .linux, distro: .debian, majorVersion: 12, minorVersion: 0,
    productName: "Debian GNU/Linux 12", arch: .x86_64, hostname: "vm", packageFormat: .deb,
    packageManagement: "apt", mountpoints: ["/": "/dev/sda1"])

  /// A source VM with one tiny raw disk, an appliance over the debian12-vmware tree, and an output dir.
  struct Rig {
    let dir: TempDir
    let out: String
    let source: SourceVM
    let appliance: FakeAppliance
    let launcher: FakeLauncher
    let events = RecordingEventSink()

    init(roots: [String] = ["/dev/sda1"], inspection: GuestInspection? = PipelineTests.debian) throws {
      dir = try TempDir()
      out = dir.path + "/out"
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
      let disk = dir.path + "/source.img"
      let r = try ProcessRunner.run(["qemu-img", "create", "-q", "-f", "raw", disk, "16M"])
      #expect(r.succeeded)
      source = SourceVM(
        name: "guest", hypervisor: .vmware, memoryBytes: 1 << 30, vcpus: 1, firmware: .bios,
        disks: [Disk(source: .file(path: disk), format: .raw, bus: .scsi)],
        nics: [NIC(mac: "00:0c:29:aa:bb:cc", model: "vmxnet3", network: "VM Network")], origin: disk)
      appliance = FakeAppliance(session: try FakeGuestSession.copyOfFixture("debian12-vmware", in: dir), roots: roots, inspection: inspection)
      launcher = FakeLauncher(appliance: appliance)
    }

    /// `rig` with its source changed.
    init(copying rig: Rig, source change: (inout SourceVM) -> Void) {
      dir = rig.dir
      out = rig.out
      var s = rig.source
      change(&s)
      source = s
      appliance = rig.appliance
      launcher = rig.launcher
    }

    func pipeline(_ writer: OutputWriter? = nil) -> Pipeline {
      Pipeline(
        launcher: launcher, converterFor: ConverterRegistry().converter(for:), writer: writer ?? LocalWriter(directory: out),
        renderDomain: { DomainXML.string(for: $0, options: .init(accelerator: .tcg)) },
        events: JobEvents(sink: events, job: "job-test"))
    }

    func request(_ change: (inout ConversionRequest) -> Void = { _ in }) -> ConversionRequest {
      var r = ConversionRequest(source: source)
      r.workDirectory = dir.path + "/work"
      try? FileManager.default.createDirectory(atPath: r.workDirectory, withIntermediateDirectories: true)
      change(&r)
      return r
    }

    var outputFiles: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).sorted() }
    var workFiles: [String] { (try? FileManager.default.contentsOfDirectory(atPath: dir.path + "/work")) ?? [] }
  }

  @Test("a conversion runs every stage with one appliance and writes disk then metadata")
  func success() throws {
    let rig = try Rig()
    let result = try rig.pipeline().run(rig.request())
    #expect(rig.launcher.launches == 1)
    #expect(rig.appliance.closed)
    #expect(rig.outputFiles == ["guest-sda", "guest.xml"])
    #expect(rig.workFiles.isEmpty, "overlays removed")
    #expect(result.applianceStarts == 1)
    #expect(result.conversion.changes.contains { $0.summary.contains("/etc/fstab") })
    #expect(rig.appliance.session.commands.contains { $0.contains("v2v-initramfs") })
    #expect(try String(contentsOfFile: rig.out + "/guest.xml", encoding: .utf8).contains("<target dev='vda' bus='virtio'/>"))
    #expect(rig.events.stages.first?.hasPrefix("Planning") == true)
    #expect(rig.events.stages.contains { $0.hasPrefix("Copying disk 1/1") })
    #expect(!rig.events.jobs.isEmpty && rig.events.jobs.allSatisfy { $0 == "job-test" }, "every event names its job")
    #expect(result.job == "job-test")
  }

  @Test("--block-driver virtio-scsi: sdX names stay, the initramfs gets virtio_scsi and sd_mod, the XML has the controller")
  func virtioSCSI() throws {
    let rig = try Rig()
    let result = try rig.pipeline().run(rig.request { $0.platform = .kvm(KVMPlatform(diskBus: .virtioSCSI)) })
    let xml = try String(contentsOfFile: rig.out + "/guest.xml", encoding: .utf8)
    #expect(xml.contains("<target dev='sda' bus='scsi'/>"))
    #expect(xml.contains("<controller type='scsi' index='0' model='virtio-scsi'/>"))
    #expect(!xml.contains("bus='virtio'/>"))
    #expect(try rig.appliance.session.readText("/etc/fstab")?.contains("/dev/sda1 / ext4") == true, "sda stays sda")
    #expect(!result.conversion.changes.contains { $0.summary.hasPrefix("/etc/fstab") })
    #expect(rig.appliance.session.commands.contains { $0.contains("v2v-initramfs") && $0.contains("sd_mod") && $0.contains("virtio_scsi") })
    #expect(result.conversion.capabilities.blockBuses.first == .virtioSCSI)
    guard case .kvm(let k) = result.platform else { Issue.record("not KVM"); return }
    #expect(k.diskBus == .virtioSCSI)
  }

  @Test("writer contract: plan before anything slow, then open, then finalize; nothing else")
  func writerOrder() throws {
    let rig = try Rig()
    let writer = RecordingWriter(directory: rig.out)
    let result = try rig.pipeline(writer).run(rig.request())
    #expect(writer.calls == [.plan, .open, .finalize])
    #expect(result.artifacts == [rig.out + "/disk0.raw.partial"])
    #expect(FileManager.default.fileExists(atPath: rig.out + "/disk0.raw.partial"), "the copier wrote into the opened destination")
    let dry = RecordingWriter(directory: rig.out)
    _ = try rig.pipeline(dry).run(rig.request { $0.dryRun = true })
    #expect(dry.calls == [.plan], "a dry run only plans")
  }

  @Test("writer contract: a failing plan stops before the appliance; a failing finalize rolls back")
  func writerFailures() throws {
    let rig = try Rig()
    let early = RecordingWriter(directory: rig.out, failIn: .plan)
    #expect(throws: RecordingWriter.Injected(phase: .plan)) { try rig.pipeline(early).run(rig.request()) }
    #expect(rig.launcher.launches == 0)
    #expect(early.calls == [.plan])
    let late = RecordingWriter(directory: rig.out, failIn: .finalize)
    #expect(throws: RecordingWriter.Injected(phase: .finalize)) { try rig.pipeline(late).run(rig.request()) }
    #expect(late.calls == [.plan, .open, .finalize, .rollback])
    #expect(rig.outputFiles.isEmpty, "rollback removed the copied disk: \(rig.outputFiles)")
    #expect(rig.workFiles.isEmpty, "overlays removed")
  }

  @Test("a physical source (no NICs described): the VM gets the NIC the converter reports, and its name is pinned to that MAC")
  func physicalSourceGetsNIC() throws {
    var rig = try Rig()
    rig = Rig(copying: rig, source: { $0.hypervisor = .physical; $0.nics = [] })
    let result = try rig.pipeline().run(rig.request())
    let added = result.conversion.addedNICs
    #expect(added.count == 1 && added[0].hasPrefix("52:54:00:"), "\(added)")
    let xml = try String(contentsOfFile: rig.out + "/guest.xml", encoding: .utf8)
    #expect(xml.contains("<mac address='\(added.first ?? "none")'/>") && xml.contains("<source network='default'/>"), "\(xml)")
    #expect(result.conversion.changes.contains { $0.summary.hasPrefix("pin ens192 to \(added.first ?? "none")") })
    #expect(rig.events.warnings.contains { $0.contains("describes no NICs") })
  }

  @Test("--dry-run lists the changes and writes nothing, not even to the guest")
  func dryRun() throws {
    let rig = try Rig()
    let fstab = try rig.appliance.session.readText("/etc/fstab")
    let result = try rig.pipeline().run(rig.request { $0.dryRun = true })
    #expect(result.dryRun)
    #expect(!result.conversion.changes.isEmpty)
    #expect(rig.outputFiles.isEmpty)
    #expect(try rig.appliance.session.readText("/etc/fstab") == fstab)
    #expect(rig.appliance.session.commands.isEmpty)
  }

  @Test("no operating system is a conversion error, and leaves no output")
  func noOS() throws {
    let rig = try Rig(roots: [])
    #expect(throws: ConversionError.noOperatingSystem) { try rig.pipeline().run(rig.request()) }
    #expect(rig.outputFiles.isEmpty)
    #expect(rig.workFiles.isEmpty)
    #expect(rig.appliance.closed)
  }

  @Test("an encrypted volume hiding the OS names itself and what to do; beside a readable OS it is a warning")
  func encryptedVolumes() throws {
    let rig = try Rig(roots: [])
    rig.appliance.encrypted = [EncryptedVolume(device: "/dev/sda2", kind: .bitlocker)]
    #expect(throws: ConversionError.encryptedVolume("/dev/sda2", .bitlocker)) { try rig.pipeline().run(rig.request()) }
    #expect("\(ConversionError.encryptedVolume("/dev/sda2", .bitlocker))".contains("manage-bde -off"))
    #expect(rig.outputFiles.isEmpty)
    let ok = try Rig()
    ok.appliance.encrypted = [EncryptedVolume(device: "/dev/sdb1", kind: .luks)]
    let result = try ok.pipeline().run(ok.request { $0.dryRun = true })
    #expect(result.warnings.contains { $0.hasPrefix("/dev/sdb1 is LUKS-encrypted") })
  }

  @Test("several roots need --root; --root first and --root DEVICE choose")
  func severalRoots() throws {
    let rig = try Rig(roots: ["/dev/sda1", "/dev/sda2"])
    #expect(throws: ConversionError.multipleRoots(["/dev/sda1", "/dev/sda2"])) { try rig.pipeline().run(rig.request()) }
    #expect(throws: ConversionError.rootNotFound("/dev/sdb1", ["/dev/sda1", "/dev/sda2"])) {
      try rig.pipeline().run(rig.request { $0.rootChoice = .device("/dev/sdb1") })
    }
    #expect(try RootChoice.first.choose(from: ["/dev/sda2", "/dev/sda1"]) == "/dev/sda1")
    #expect(rig.outputFiles.isEmpty)
  }

  @Test("an unsupported guest is a conversion error, and leaves no output")
  func unsupported() throws {
    var windows = Self.debian
    windows.osType = .windows
    windows.distro = .windows
    let rig = try Rig(inspection: windows)
    let err = #expect(throws: ConversionError.self) { try rig.pipeline().run(rig.request()) }
    #expect("\(err!)".contains("Windows"))
    #expect(rig.outputFiles.isEmpty)
  }

  @Test("an existing output is refused before the appliance starts, unless --overwrite")
  func existingOutput() throws {
    let rig = try Rig()
    _ = FileManager.default.createFile(atPath: rig.out + "/guest.xml", contents: Data("old".utf8))
    #expect(throws: OutputError.exists(rig.out + "/guest.xml")) { try rig.pipeline().run(rig.request()) }
    #expect(rig.launcher.launches == 0)
    _ = try rig.pipeline().run(rig.request { $0.overwrite = true })
    #expect(try String(contentsOfFile: rig.out + "/guest.xml", encoding: .utf8).hasPrefix("<domain"))
  }

  @Test("a missing output directory is refused before any slow work")
  func missingDirectory() throws {
    let rig = try Rig()
    #expect(throws: OutputError.directoryMissing("/nonexistent/v2v-out")) {
      try rig.pipeline(LocalWriter(directory: "/nonexistent/v2v-out")).run(rig.request())
    }
    #expect(rig.launcher.launches == 0)
  }

  @Test("a failed copy removes the partial disk and writes no metadata")
  func failedCopy() throws {
    let rig = try Rig()
    // A directory where the partial disk would go makes qemu-img fail mid-way through the output stage.
    try FileManager.default.createDirectory(atPath: rig.out + "/guest-sda.v2v-part/x", withIntermediateDirectories: true)
    #expect(throws: CopyError.self) { try rig.pipeline().run(rig.request()) }
    #expect(rig.outputFiles.isEmpty, "\(rig.outputFiles)")
    #expect(rig.workFiles.isEmpty)
  }
}
