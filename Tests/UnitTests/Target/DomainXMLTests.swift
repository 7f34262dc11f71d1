import Foundation
import Testing
import V2VTestSupport
import V2VCore
import V2VModel

@Suite("Domain XML", .offPool)
struct DomainXMLTests {
  /// A golden case: a planned source rendered with some options.
  struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let source: SourceVM
    let options: TargetCases.Options
    let xmlOptions: DomainXML.Options
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "bios-single-disk", source: TargetCases.biosSource, options: TargetCases.options(osinfo: "debian12"),
      xmlOptions: DomainXML.Options()),
    Case(
      name: "uefi-secureboot-two-disks", source: TargetCases.uefiSource,
      options: TargetCases.options(format: .qcow2, osinfo: "win2k19", clock: .localtime),
      xmlOptions: DomainXML.Options(accelerator: .tcg)),
    Case(
      name: "bridge-network-cdrom-floppy", source: TargetCases.xenSource,
      options: TargetCases.options(mappings: TargetCases.xenMappings, fallback: .user),
      xmlOptions: DomainXML.Options(vncListen: "0.0.0.0")),
  ]

  @Test("golden and schema-valid", arguments: cases)
  func golden(_ c: Case) throws {
    let target = try TargetCases.plan(c.source, c.options).target
    let xml = DomainXML.string(for: target, options: c.xmlOptions)
    try TargetGolden.check(xml, file: c.name + ".xml")
    let problem = try TargetGolden.validate(xml)
    #expect(problem == nil, "virt-xml-validate rejected \(c.name): \(problem ?? "")")
  }

  @Test("a Windows guest's settled target: Hyper-V enlightenments and clock, local time, USB tablet; schema-valid")
  func windowsTarget() throws {
    let planned = try TargetCases.plan(TargetCases.biosSource, TargetCases.options()).target
    let caps = GuestCapabilities(
      blockBuses: [.virtioBlk, .sata], nicModels: [.virtio, .e1000e], video: .qxl, virtioRNG: false, virtioBalloon: true,
      clock: .localtime, installedDrivers: ["viostor"], hyperv: true)
    let t = TargetSettler.settle(planned, platform: .kvmDefault, capabilities: caps, inspection: nil).target
    let xml = DomainXML.string(for: t)
    for piece in [
      "<hyperv mode='custom'>", "<relaxed state='on'/>", "<vapic state='on'/>", "<spinlocks state='on' retries='8191'/>",
      "<timer name='hypervclock' present='yes'/>", "<clock offset='localtime'>", "<input type='tablet' bus='usb'/>",
      "<model type='qxl'/>",
    ] {
      #expect(xml.contains(piece), "missing \(piece)")
    }
    #expect(!xml.contains("<rng"))
    #expect(try TargetGolden.validate(xml) == nil)
    // No viostor: the same guest settles on SATA, e1000e.
    let emulated = GuestCapabilities(blockBuses: [.sata], nicModels: [.e1000e], clock: .localtime, hyperv: true)
    let e = TargetSettler.settle(planned, platform: .kvmDefault, capabilities: emulated, inspection: nil)
    #expect(e.target.disks.allSatisfy { $0.bus == .sata && $0.dev.hasPrefix("sd") })
    #expect(e.target.nics.allSatisfy { $0.model == .e1000e })
    #expect(e.warnings.contains { $0.contains("using sata instead") })
    // A Linux guest gets none of it.
    let linux = TargetSettler.settle(planned, platform: .kvmDefault, capabilities: GuestCapabilities(), inspection: nil).target
    #expect(!DomainXML.string(for: linux).contains("<hyperv"))
    #expect(!DomainXML.string(for: linux).contains("hypervclock"))
  }

  @Test("every CPU mode and a bare target are schema-valid")
  func cpuModesValidate() throws {
    var target = try TargetCases.plan(TargetCases.uefiSource, TargetCases.options()).target
    for mode: DomainXML.CPUMode in [.hostModel, .hostPassthrough, .maximum, .custom("qemu64")] {
      let xml = DomainXML.string(for: target, options: DomainXML.Options(cpuMode: mode))
      #expect(try TargetGolden.validate(xml) == nil, "\(mode)")
    }
    target.cpuTopology = nil
    target.nics = []
    target.secureBoot = false
    target.sourceHypervisor = nil
    target.sourceOrigin = nil
    target.osinfo = nil
    target.genid = nil
    let xml = DomainXML.string(for: target, options: DomainXML.Options(vncListen: nil))
    #expect(try TargetGolden.validate(xml) == nil)
    #expect(!xml.contains("<metadata"))
    #expect(!xml.contains("<graphics"))
  }

  @Test("domain type and default CPU mode follow the accelerator")
  func accelerator() throws {
    let target = try TargetCases.plan(TargetCases.biosSource, TargetCases.options()).target
    let kvm = DomainXML.element(for: target, options: DomainXML.Options(accelerator: .kvm))
    let tcg = DomainXML.element(for: target, options: DomainXML.Options(accelerator: .tcg))
    #expect(kvm.attribute("type") == "kvm")
    #expect(tcg.attribute("type") == "qemu")
    #expect(kvm.children(named: "cpu").first?.attribute("mode") == "host-model")
    #expect(tcg.children(named: "cpu").first?.attribute("mode") == "maximum")
  }

  @Test("memory is written in KiB, rounded up")
  func memory() throws {
    var target = try TargetCases.plan(TargetCases.biosSource, TargetCases.options()).target
    target.memoryBytes = (1 << 30) + 1
    let e = DomainXML.element(for: target)
    #expect(e.children(named: "memory").first?.text == "1048577")
    #expect(e.children(named: "memory").first?.attribute("unit") == "KiB")
    #expect(e.children(named: "currentMemory").first?.text == "1048577")
  }

  @Test("UEFI without Secure Boot asks for firmware without it, and no SMM")
  func uefiWithoutSecureBoot() throws {
    var source = TargetCases.uefiSource
    source.secureBoot = false
    let target = try TargetCases.plan(source, TargetCases.options()).target
    let xml = DomainXML.string(for: target)
    #expect(xml.contains("<os firmware='efi'>"))
    #expect(xml.contains("<feature enabled='no' name='secure-boot'/>"))
    #expect(!xml.contains("<loader"))
    #expect(!xml.contains("<smm"))
    #expect(try TargetGolden.validate(xml) == nil)
  }

  @Test("libosinfo ids: short ids become URIs; unknown families are left out")
  func osinfo() {
    #expect(OSInfoID.uri(forShortID: "debian12") == "http://debian.org/debian/12")
    #expect(OSInfoID.uri(forShortID: "ubuntu22.04") == "http://ubuntu.com/ubuntu/22.04")
    #expect(OSInfoID.uri(forShortID: "rhel9.2") == "http://redhat.com/rhel/9.2")
    #expect(OSInfoID.uri(forShortID: "centos7") == "http://centos.org/centos/7.0")
    #expect(OSInfoID.uri(forShortID: "centos-stream9") == "http://centos.org/centos-stream/9")
    #expect(OSInfoID.uri(forShortID: "sles15sp4") == "http://suse.com/sles/15.4")
    #expect(OSInfoID.uri(forShortID: "win10") == "http://microsoft.com/win/10")
    #expect(OSInfoID.uri(forShortID: "win2k19") == "http://microsoft.com/win/2k19")
    #expect(OSInfoID.uri(forShortID: "win2k8r2") == "http://microsoft.com/win/2k8r2")
    #expect(OSInfoID.uri(forShortID: "http://example.org/os/1") == "http://example.org/os/1")
    #expect(OSInfoID.uri(forShortID: "haiku") == nil)
    #expect(OSInfoID.uri(forShortID: "debian") == nil)
  }

  @Test("metadata records the source and escapes it")
  func metadata() throws {
    var source = TargetCases.biosSource
    source.origin = "/src/a'b&c<d>.vmx"
    let target = try TargetCases.plan(source, TargetCases.options(osinfo: "haiku")).target
    let xml = DomainXML.string(for: target)
    #expect(xml.contains("origin='/src/a&apos;b&amp;c&lt;d&gt;.vmx'"))
    #expect(xml.contains("<v2v:osinfo>haiku</v2v:osinfo>"))
    #expect(!xml.contains("libosinfo:os"))
    #expect(try TargetGolden.validate(xml) == nil)
  }
}
