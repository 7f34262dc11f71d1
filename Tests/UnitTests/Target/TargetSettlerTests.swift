import Testing
import V2VTestSupport
import V2VCore
import V2VModel

/// The final target is settled after conversion from the platform, the guest's capabilities and inspection.
@Suite("target settler", .offPool)
struct TargetSettlerTests {
  typealias C = TargetCases
  static let scsi = TargetPlatform.kvm(KVMPlatform(diskBus: .virtioSCSI))

  static func inspection(firmware: Firmware = .unknown) -> GuestInspection {
    GuestInspection(
      root: "/dev/sda1", osType: .linux, distro: .debian, majorVersion: 12, minorVersion: 4, productName: "Debian",
      arch: .x86_64, hostname: "h", packageFormat: .deb, packageManagement: "apt", mountpoints: [:], firmware: firmware)
  }

  @Test("the wanted bus when the guest can boot from it; disks and CD-ROMs renamed to match")
  func wantedBus() throws {
    var source = C.uefiSource
    source.removableMedia = [RemovableMedium(kind: .cdrom, bus: .ide)]
    let planned = try C.plan(source, C.options(), platform: Self.scsi).target
    let (t, w) = TargetSettler.settle(planned, platform: Self.scsi, capabilities: GuestCapabilities(), inspection: Self.inspection())
    #expect(t.disks.map(\.dev) == ["sda", "sdb"])
    #expect(t.disks.map(\.bus) == [.scsi, .scsi])
    #expect(t.removableMedia.map(\.dev) == ["sdc"], "a SATA CD-ROM must not collide with sda/sdb")
    #expect(w.isEmpty)
    #expect(t.osinfo == "debian12")
  }

  @Test("a physical source's NICs come from the converter: one per reported MAC, on the --network/--bridge default, model settled")
  func addedNICs() throws {
    var source = C.biosSource
    source.hypervisor = .physical
    source.nics = []
    let macs = ["00:25:90:5e:00:51", "52:54:00:12:34:56"]
    let planned = try C.plan(source, C.options(), platform: .kvmDefault).target
    #expect(planned.nics.isEmpty)
    let added = TargetSettler.addingNICs(planned, macs: macs, plan: C.options().plan)
    #expect(added.nics.map(\.mac) == macs)
    #expect(added.nics.map(\.connection) == [.network("default"), .network("default")])
    let caps = GuestCapabilities(blockBuses: [.virtioBlk], nicModels: [.e1000e], video: nil, virtioRNG: false, virtioBalloon: false, clock: .utc)
    let (t, w) = TargetSettler.settle(added, platform: .kvmDefault, capabilities: caps, inspection: Self.inspection())
    #expect(t.nics.map(\.model) == [.e1000e, .e1000e] && w.contains { $0.contains("e1000e") })
    // A bare --bridge default applies; a mapping naming a source network cannot (the NIC has none).
    let bridged = try C.options(mappings: [NetworkMapping.parse("br0", kind: .bridge), NetworkMapping.parse("VM Network:lan", kind: .network)]).plan
    #expect(TargetSettler.addingNICs(planned, macs: macs, plan: bridged).nics.map(\.connection) == [.bridge("br0"), .bridge("br0")])
    // A source that described NICs keeps exactly those.
    let vmware = try C.plan(C.biosSource, C.options(), platform: .kvmDefault).target
    #expect(TargetSettler.addingNICs(vmware, macs: macs, plan: C.options().plan).nics == vmware.nics)
  }

  @Test("a guest without the wanted driver falls back to its best bus and NIC, with warnings")
  func fallback() throws {
    let planned = try C.plan(C.uefiSource, C.options(), platform: Self.scsi).target
    let caps = GuestCapabilities(blockBuses: [.sata], nicModels: [.e1000e], video: .vga, virtioRNG: false, virtioBalloon: false, clock: .localtime)
    let (t, w) = TargetSettler.settle(planned, platform: Self.scsi, capabilities: caps, inspection: Self.inspection())
    #expect(t.disks.map(\.bus) == [.sata, .sata])
    #expect(t.disks.map(\.dev) == ["sda", "sdb"])
    #expect(t.nics.map(\.model) == [.e1000e])
    #expect(t.video == .vga && t.clock == .localtime && !t.virtioRNG && !t.memoryBalloon)
    #expect(w.contains { $0.contains("virtio-scsi") && $0.contains("sata") })
    #expect(w.contains { $0.contains("e1000e") })
    let xml = DomainXML.string(for: t)
    #expect(xml.contains("<target dev='sda' bus='sata'/>") && xml.contains("<clock offset='localtime'>"))
    #expect(xml.contains("<memballoon model='none'/>") && !xml.contains("<rng"))
    #expect(try TargetGolden.validate(xml) == nil)
  }

  @Test("unknown firmware follows inspection (an ESP means UEFI), else BIOS with a warning")
  func firmware() throws {
    let planned = try C.plan(C.xenSource, C.options()).target
    #expect(planned.firmware == .unknown)
    let uefi = TargetSettler.settle(planned, platform: .kvmDefault, capabilities: GuestCapabilities(), inspection: Self.inspection(firmware: .uefi))
    #expect(uefi.target.firmware == .uefi && uefi.warnings.isEmpty)
    let bios = TargetSettler.settle(planned, platform: .kvmDefault, capabilities: GuestCapabilities(), inspection: Self.inspection())
    #expect(bios.target.firmware == .bios)
    #expect(bios.warnings.contains { $0.contains("assuming BIOS") })
    let forced = TargetSettler.settle(
      planned, platform: .kvm(KVMPlatform(firmware: .uefi)), capabilities: GuestCapabilities(), inspection: Self.inspection())
    #expect(forced.target.firmware == .uefi)
  }

  @Test("virtio-scsi domain XML is schema-valid with its controller")
  func scsiXML() throws {
    let planned = try C.plan(C.uefiSource, C.options(), platform: Self.scsi).target
    let t = TargetSettler.settle(planned, platform: Self.scsi, capabilities: GuestCapabilities(), inspection: Self.inspection()).target
    let xml = DomainXML.string(for: t)
    #expect(xml.contains("<controller type='scsi' index='0' model='virtio-scsi'/>"))
    #expect(try TargetGolden.validate(xml) == nil)
    let script = QemuScript.script(for: t)
    #expect(script.contains("-device virtio-scsi-pci,id=scsi0"))
    #expect(script.contains("-device scsi-hd,drive=disk0,bus=scsi0.0,scsi-id=0,bootindex=1"))
    #expect(!script.contains("virtio-blk-pci"))
  }
}
