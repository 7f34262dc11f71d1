import Foundation
import Testing
import V2VTestSupport
@testable import V2VReaders

/// Focused tests of the pure pieces the golden pairs exercise only indirectly.
@Suite("Reader parts", .offPool)
struct ReaderPartsTests {
  @Test func vmxKeysAreCaseInsensitiveAndEscapesDecode() throws {
    let vmx = try VMXFile(parsing: "DisplayName = \"a|22b|7Cc\" # comment\r\nMEMSIZE=512\n", file: "t.vmx")
    #expect(vmx["displayname"] == "a\"b|c")
    #expect(try vmx.int("memSize") == 512)
    #expect(vmx.location("memsize").line == 2)
  }

  @Test func genidMatchesVMwareLayout() throws {
    let g = try VMXMapper.genid(low: "-802103094701856339", high: "-5104727847056752683", at: SourceLocation(file: "x"))
    #expect(g == "2f0de9ad-5b7c-f4de-d53f-23b1115d28b9")
  }

  @Test func vmdkDescriptorExtentsAndParent() throws {
    let d = try VMDKDescriptor.parse("""
      # Disk DescriptorFile
      CID=12345678
      parentCID=87654321
      createType="twoGbMaxExtentFlat"
      parentFileNameHint="base.vmdk"
      RW 4192256 FLAT "disk-f001.vmdk" 0
      RW 2048 FLAT "disk f002.vmdk" 0
      RW 100 ZERO
      ddb.adapterType = "lsilogic"
      """, file: "d.vmdk")
    #expect(d.extents.map(\.file) == ["disk-f001.vmdk", "disk f002.vmdk", nil])
    #expect(d.capacityBytes == (4192256 + 2048 + 100) * 512)
    #expect(d.hasParent)
    #expect(d.ddb["ddb.adaptertype"] == "lsilogic")
  }

  @Test func digestsMatchKnownVectors() throws {
    let dir = try TempDir()
    try Data("abc".utf8).write(to: URL(fileURLWithPath: dir.path + "/abc"))
    try Data(repeating: 0x61, count: 1_000_000).write(to: URL(fileURLWithPath: dir.path + "/million-a"))
    let c = try OVAContainer(path: dir.path) { () throws(ReaderError) -> String in dir.path + "/work" }
    #expect(try MemberCommand.digest("sha1", container: c, member: "abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
    #expect(
      try MemberCommand.digest("sha256", container: c, member: "abc")
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      try MemberCommand.digest("sha256", container: c, member: "million-a")
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  @Test func manifestFormats() throws {
    let mf = try Manifest(parsing: "SHA1(a.ovf)= \(String(repeating: "a", count: 40))\nSHA256 (b c.vmdk) = \(String(repeating: "B", count: 64))\n", file: "x.mf")
    #expect(mf.entries.map(\.file) == ["a.ovf", "b c.vmdk"])
    #expect(mf.entries[1].digest == String(repeating: "b", count: 64))
    #expect(throws: ReaderError.self) { try Manifest(parsing: "MD5(a)= 00\n", file: "x.mf") }
  }

  @Test func xenDiskSpecForms() throws {
    let at = SourceLocation(file: "x.cfg")
    let a = try XenDiskSpec.parse("phy:/dev/vg/lv,xvda,w", at: at)
    #expect(a.target == "/dev/vg/lv" && a.vdev == "xvda" && a.isBlockDevice && !a.readOnly)
    let b = try XenDiskSpec.parse(",hdc:cdrom,r", at: at)
    #expect(b.isCDROM && b.target.isEmpty && b.bus == .ide)
    let c = try XenDiskSpec.parse("tap:qcow2:/img.q,xvdb,r", at: at)
    #expect(c.format == .qcow2 && c.readOnly && c.target == "/img.q")
    let d = try XenDiskSpec.parse("vdev=xvda1, access=rw, target=/a,b=c.img", at: at)
    #expect(d.target == "/a,b=c.img" && d.vdev == "xvda1")
    let e = try XenDiskSpec.parse("/img,qcow2,sda,w", at: at)
    #expect(e.format == .qcow2 && e.bus == .scsi)
  }

  @Test func ovfUnits() throws {
    let at = SourceLocation(file: "x")
    #expect(try OVFUnits.bytes("2", units: "byte * 2^30", at: at) == 2 << 30)
    #expect(try OVFUnits.bytes("512", units: "MegaBytes", at: at) == 512 << 20)
    #expect(try OVFUnits.bytes("5", units: "byte*10^3", at: at) == 5000)
    #expect(throws: ReaderError.self) { try OVFUnits.bytes("1", units: "furlongs", at: at) }
  }

  @Test func partitionTableWithoutSignatureIsUnknown() throws {
    let t = try PartitionTable.parse { (_: UInt64, n: Int) throws(ReaderError) in [UInt8](repeating: 0, count: n) }
    #expect(t.scheme == .none && t.impliedFirmware == .unknown)
  }

  @Test func tarRefusesGarbage() {
    #expect(throws: ReaderError.self) {
      _ = try TarArchive(file: "x.ova") { (_: UInt64, n: Int) throws(ReaderError) in [UInt8](repeating: 0x41, count: n) }
    }
  }
}
