import Foundation
import LibXML
import Testing
import V2VTestSupport

@Suite("LibXML: the libxml2 wrapper", .offPool)
struct LibXMLTests {
  @Test func parsesElementsAttributesAndText() throws {
    let doc = try XMLDocument(string: """
      <domain type="kvm"><name> guest </name><devices><disk device="disk"/><disk device="cdrom"/></devices></domain>
      """)
    let root = try #require(doc.root)
    #expect(root.name == "domain")
    #expect(root.attribute("type") == "kvm")
    #expect(root.child(named: "name")?.text == "guest")
    #expect(root.child(named: "devices")?.children(named: "disk").count == 2)
    #expect(root.attribute("missing") == nil)
  }

  @Test func xpathWithNamespaces() throws {
    let doc = try XMLDocument(string: """
      <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
        <DiskSection><Disk ovf:diskId="d1" ovf:capacity="2"/></DiskSection>
      </Envelope>
      """)
    let ns = ["ovf": "http://schemas.dmtf.org/ovf/envelope/1"]
    let disks = try doc.xpath("/ovf:Envelope/ovf:DiskSection/ovf:Disk", namespaces: ns)
    #expect(disks.count == 1)
    #expect(disks[0].attribute("diskId", namespace: ns["ovf"]) == "d1")
    #expect(disks[0].line == 2)
    let relative = try doc.root!.xpath("ovf:DiskSection/ovf:Disk", namespaces: ns)
    #expect(relative.count == 1)
    #expect(throws: XMLError.self) { try doc.xpath("///[") }
  }

  @Test func malformedXMLReportsLineAndColumn() {
    do {
      _ = try XMLDocument(string: "<a>\n  <b>\n</a>\n")
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .malformed)
      #expect(error.line == 3)
      #expect(error.column > 0)
      #expect(error.message.contains("mismatch"))
    }
    #expect(throws: XMLError.self) { try XMLDocument(string: "") }
    #expect(throws: XMLError.self) { try XMLDocument(bytes: [0xff, 0xfe, 0x00, 0x01]) }
  }

  @Test func refusesExternalEntities() throws {
    let xxe = """
      <?xml version="1.0"?>
      <!DOCTYPE r [
        <!ENTITY x SYSTEM "file:///etc/passwd">
      ]>
      <r>&x;</r>
      """
    do {
      let doc = try XMLDocument(string: xxe)
      Issue.record("expected a refusal, got text '\(doc.root?.text ?? "")'")
    } catch {
      #expect(error.kind == .entityDeclaration)
      #expect(error.line == 3)
    }
  }

  @Test func refusesEntityBombsAndParameterEntities() {
    let bomb = """
      <!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;</r>
      """
    #expect(throws: XMLError.self) { try XMLDocument(string: bomb) }
    let param = """
      <!DOCTYPE r [<!ENTITY % p SYSTEM "http://example.invalid/x.dtd"> %p;]><r/>
      """
    #expect(throws: XMLError.self) { try XMLDocument(string: param) }
  }

  @Test func undeclaredEntityIsMalformed() {
    #expect(throws: XMLError.self) { try XMLDocument(string: "<r>&nope;</r>") }
  }

  @Test func characterReferencesAreResolved() throws {
    let doc = try XMLDocument(string: "<r a=\"x&amp;y\">&lt;&#65;</r>")
    #expect(doc.root?.attribute("a") == "x&y")
    #expect(doc.root?.text == "<A")
  }
}
