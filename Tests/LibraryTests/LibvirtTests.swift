import Foundation
import Libvirt
import Testing
import V2VTestSupport
import V2VWriters

/// The libvirt wrapper against the real, daemon-less QEMU driver (`qemu:///embed?root=…`).
@Suite("libvirt wrapper", .serialized, .offPool)
struct LibvirtTests {
  /// The embedded driver can be opened with one root per process only ("already open with path"), so every
  /// test shares this one.
  static let root = try! TempDir(prefix: "v2v-libvirt-embed")

  static let domainXML = """
    <domain type='qemu'>
      <name>v2v-libvirt-test</name>
      <memory unit='MiB'>256</memory>
      <vcpu>1</vcpu>
      <os><type arch='x86_64' machine='q35'>hvm</type></os>
    </domain>
    """

  @Test("defines, looks up and undefines a domain on the embedded driver")
  func defineUndefine() throws {
    let root = Self.root
    let uri = "qemu:///embed?root=\(root.path)"
    #expect(LibvirtEmbed.root(of: uri) == root.path)
    let c = try Connection(uri: uri)
    #expect(try !c.libVersion().isEmpty)
    #expect(try c.domain(named: "v2v-libvirt-test") == nil)
    let d = try c.defineDomain(xml: Self.domainXML)
    #expect(d.name == "v2v-libvirt-test")
    let back = try #require(try c.domain(named: "v2v-libvirt-test"))
    #expect(try back.xml().contains("<name>v2v-libvirt-test</name>"))
    try back.undefine()
    #expect(try c.domain(named: "v2v-libvirt-test") == nil)
  }

  @Test("invalid domain XML is an error carrying libvirt's message")
  func invalidXML() throws {
    let c = try Connection(uri: "qemu:///embed?root=\(Self.root.path)")
    let err = #expect(throws: LibvirtError.self) { try c.defineDomain(xml: "<domain type='qemu'><name>x</name>") }
    #expect(err?.function == "virDomainDefineXML")
    #expect(err?.message.isEmpty == false)
  }

  @Test("an unknown URI scheme is an error, not a crash")
  func badURI() {
    #expect(throws: LibvirtError.self) { try Connection(uri: "nosuchdriver:///x") }
  }
}
