import Testing
import V2VTestSupport
import V2VCore
import V2VModel

@Suite("Target planner", .offPool)
struct TargetPlannerTests {
  typealias C = TargetCases

  @Test("name: the source's by default, -on overrides")
  func names() throws {
    #expect(try C.plan(C.biosSource, C.options()).target.name == "debian12-bios")
    #expect(try C.plan(C.biosSource, C.options("web-01")).target.name == "web-01")
  }

  @Test(
    "invalid names are refused",
    arguments: ["", "a/b", "..", ".", "tab\there", "nl\n", String(repeating: "x", count: 201)])
  func invalidNames(_ name: String) throws {
    #expect(throws: PlanError.self) { try C.plan(C.biosSource, C.options(name)) }
    do {
      _ = try C.plan(C.biosSource, C.options(name))
    } catch let e as PlanError {
      guard case .invalidName(let n, _) = e else {
        Issue.record("wrong error \(e)")
        return
      }
      #expect(n == name)
      #expect(e.description.contains("-on"))
    }
  }

  @Test("a bad source name is refused too, unless -on replaces it")
  func badSourceName() throws {
    var source = C.biosSource
    source.name = "vm/1"
    #expect(throws: PlanError.self) { try C.plan(source, C.options()) }
    #expect(try C.plan(source, C.options("vm1")).target.name == "vm1")
    #expect(try C.plan(source, C.options("ünïcode ok")).target.name == "ünïcode ok")
  }

  @Test("the UUID comes from the injected generator, not the source")
  func uuid() throws {
    var source = C.biosSource
    source.uuid = "11111111-2222-3333-4444-555555555555"
    #expect(try C.plan(source, C.options()).target.uuid == C.fixedUUID)
    var options = C.options()
    options.uuidGenerator = { "00000000-0000-0000-0000-000000000001" }
    #expect(try C.plan(source, options).target.uuid == "00000000-0000-0000-0000-000000000001")
    let random = PlanOptions()
    let a = try TargetPlanner.plan(source, options: random).target.uuid
    let b = try TargetPlanner.plan(source, options: random).target.uuid
    #expect(a != b && a.count == 36 && a == a.lowercased())
  }

  @Test("disks: virtio vda, vdb… in source order, boot order 1 on the first, NAME-sdX files")
  func disksOnVirtioSCSI() throws {
    let scsi = try C.plan(C.uefiSource, C.options(), platform: .kvm(KVMPlatform(diskBus: .virtioSCSI))).target
    #expect(scsi.disks.map(\.dev) == ["sda", "sdb"])
    #expect(scsi.disks.map(\.bus) == [.scsi, .scsi])
    let e1000e = try C.plan(C.biosSource, C.options(), platform: .kvm(KVMPlatform(nicModel: .e1000e))).target
    #expect(e1000e.nics.map(\.model) == [.e1000e])
  }

  @Test("disks on virtio-blk: vda, vdb… in source order, boot order 1 on the first, NAME-sdX files")
  func disks() throws {
    let raw = try C.plan(C.uefiSource, C.options()).target.disks
    #expect(raw.map(\.dev) == ["vda", "vdb"])
    #expect(raw.map(\.bus) == [.virtio, .virtio])
    #expect(raw.map(\.bootOrder) == [1, nil])
    #expect(raw.map(\.path) == ["\(C.outputDir)/win2k19-sda", "\(C.outputDir)/win2k19-sdb"])
    #expect(raw.map(\.format) == [.raw, .raw])
    #expect(raw.map(\.capacityBytes) == [40 << 30, 100 << 30])
    let qcow = try C.plan(C.uefiSource, C.options("w", format: .qcow2)).target.disks
    #expect(qcow.map(\.path) == ["\(C.outputDir)/w-sda.qcow2", "\(C.outputDir)/w-sdb.qcow2"])
    #expect(qcow.map(\.format) == [.qcow2, .qcow2])
  }

  @Test("27 disks: the 27th is vdaa / NAME-sdaa")
  func manyDisks() throws {
    var source = C.biosSource
    source.disks = (0..<27).map { C.disk("/src/d\($0).vmdk") }
    let disks = try C.plan(source, C.options()).target.disks
    #expect(disks[25].dev == "vdz")
    #expect(disks[26].dev == "vdaa")
    #expect(disks[26].path.hasSuffix("-sdaa"))
  }

  @Test("errors: no disks, zero memory, zero vCPUs")
  func errors() throws {
    var source = C.biosSource
    source.disks = []
    #expect(throws: PlanError.noDisks) { try C.plan(source, C.options()) }
    var options = C.options()
    options.memoryBytes = 0
    #expect(throws: PlanError.invalidMemory(0)) { try C.plan(C.biosSource, options) }
    options = C.options()
    options.vcpus = 0
    #expect(throws: PlanError.invalidVCPUs(0)) { try C.plan(C.biosSource, options) }
  }

  @Test("memory, vCPUs and topology from the source; overrides; topology dropped when it disagrees")
  func cpuAndMemory() throws {
    let t = try C.plan(C.uefiSource, C.options()).target
    #expect(t.memoryBytes == 4 << 30 && t.vcpus == 4)
    #expect(t.cpuTopology == CPUTopology(sockets: 1, cores: 2, threads: 2))
    var options = C.options()
    options.memoryBytes = 8 << 30
    options.vcpus = 6
    let o = try C.plan(C.uefiSource, options)
    #expect(o.target.memoryBytes == 8 << 30 && o.target.vcpus == 6)
    #expect(o.target.cpuTopology == nil)
    #expect(o.warnings.contains { $0.contains("topology") })
    var source = C.biosSource
    source.cpuTopology = CPUTopology(sockets: 0, cores: 2)
    source.vcpus = 0
    #expect(throws: PlanError.invalidVCPUs(0)) { try C.plan(source, C.options()) }
    source.vcpus = 2
    #expect(try C.plan(source, C.options()).target.cpuTopology == nil)
  }

  @Test("firmware: kept; unknown stays unknown until settled; Secure Boot only with UEFI")
  func firmware() throws {
    let uefi = try C.plan(C.uefiSource, C.options()).target
    #expect(uefi.firmware == .uefi && uefi.secureBoot && uefi.machine == .q35)
    let xen = try C.plan(C.xenSource, C.options())
    #expect(xen.target.firmware == .unknown)
    var source = C.biosSource
    source.secureBoot = true
    let bios = try C.plan(source, C.options())
    #expect(bios.target.firmware == .bios && !bios.target.secureBoot)
    #expect(bios.warnings.contains { $0.contains("Secure Boot") })
    // A PV guest started by its host has no firmware of its own: BIOS (the converter installs GRUB for it).
    var pv = C.xenSource
    pv.firmware = .unknown
    pv.paravirtBoot = ParavirtBoot(bootloader: "pygrub")
    #expect(try C.plan(pv, C.options()).target.firmware == .bios)
    pv.paravirtBoot = nil
    #expect(try C.plan(pv, C.options()).target.firmware == .unknown)
  }

  @Test("removable media: CD-ROMs on SATA sda…, floppies fda…, local image paths kept")
  func removableMedia() throws {
    let media = try C.plan(C.xenSource, C.options()).target.removableMedia
    #expect(
      media == [
        TargetRemovable(kind: .cdrom, dev: "sda", bus: .sata, path: "/isos/rhel-5.11 & tools.iso"),
        TargetRemovable(kind: .cdrom, dev: "sdb", bus: .sata),
        TargetRemovable(kind: .floppy, dev: "fda", bus: .fdc, path: "/images/drivers.img"),
      ])
    var source = C.biosSource
    source.removableMedia = [
      RemovableMedium(kind: .cdrom, bus: .ide, path: "[datastore1] iso/x.iso"),
      RemovableMedium(kind: .floppy, bus: .fdc), RemovableMedium(kind: .floppy, bus: .fdc),
      RemovableMedium(kind: .floppy, bus: .fdc),
    ]
    let plan = try C.plan(source, C.options())
    #expect(plan.target.removableMedia.map(\.dev) == ["sda", "fda", "fdb"])
    #expect(plan.target.removableMedia[0].path == nil)
    #expect(plan.warnings.contains { $0.contains("[datastore1] iso/x.iso") })
    #expect(plan.warnings.contains { $0.contains("floppy 3 dropped") })
  }

  @Test("NICs: virtio, source MAC kept, default network 'default'")
  func nics() throws {
    let nics = try C.plan(C.biosSource, C.options()).target.nics
    #expect(nics == [TargetNIC(mac: "00:50:56:aa:bb:01", model: .virtio, connection: .network("default"))])
  }

  @Test("video: virtio, vga for old guests (by hint), or as asked")
  func video() throws {
    #expect(try C.plan(C.biosSource, C.options()).target.video == .virtio)
    #expect(try C.plan(C.xenSource, C.options()).target.video == .vga)
    var source = C.biosSource
    source.guestOSHint = "winXPPro"
    #expect(try C.plan(source, C.options()).target.video == .vga)
    var options = C.options()
    options.videoModel = .qxl
    #expect(try C.plan(C.biosSource, options).target.video == .qxl)
  }

  @Test("provenance, genid and allocation are carried; osinfo is left to the settler")
  func carried() throws {
    var options = C.options()
    options.allocation = .preallocated
    let plan = try TargetPlanner.plan(C.uefiSource, options: options.plan)
    #expect(plan.allocation == .preallocated)
    #expect(plan.target.osinfo == nil)
    #expect(plan.target.sourceHypervisor == .vmware)
    #expect(plan.target.sourceOrigin == "/src/win2k19.vmx")
    #expect(plan.target.genid == "8f5b3c2a-1d4e-4f60-8a7b-9c0d1e2f3a4b")
    var source = C.uefiSource
    source.genid = "12345"
    let bad = try C.plan(source, C.options())
    #expect(bad.target.genid == nil)
    #expect(bad.warnings.contains { $0.contains("generation ID") })
  }
}
