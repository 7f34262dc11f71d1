import Foundation
import V2VProcess
import Testing
import V2VCore
import V2VModel
import V2VTestSupport

/// Copy-on-write overlays over the source (qemu-img, milliseconds): the source is only ever a backing file.
@Suite("overlays", .offPool)
struct OverlaysTests {
  @Test("a disk inside a tar (an OVA member) is read in place through a byte-range slice")
  func archiveMember() throws {
    let dir = try TempDir()
    let disk = dir.path + "/disk.qcow2"
    #expect(try ProcessRunner.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "10M"]).succeeded)
    let size = try #require(FileManager.default.attributesOfItem(atPath: disk)[.size] as? NSNumber).uint64Value
    _ = FileManager.default.createFile(atPath: dir.path + "/a.ovf", contents: Data("<Envelope/>".utf8))
    #expect(try ProcessRunner.run(["tar", "-C", dir.path, "-cf", dir.path + "/x.ova", "a.ovf", "disk.qcow2"]).succeeded)
    // ustar: a.ovf's header (512) + its data padded to 512, then disk.qcow2's header (512).
    let source = Disk(
      source: .archiveMember(archive: dir.path + "/x.ova", member: "disk.qcow2", offset: 1536, length: size),
      format: .qcow2, bus: .scsi)
    let before = try sha256(dir.path + "/x.ova")
    let work = dir.path + "/work"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let overlays = try Overlays.create(for: [source], in: work)
    #expect(try Overlays.virtualSize(overlays[0].path) == 10 << 20)
    #expect(try sha256(dir.path + "/x.ova") == before)
  }

  @Test("a source qemu cannot open is an error naming the disk")
  func unreadable() throws {
    let dir = try TempDir()
    let bogus = dir.path + "/bogus.vmdk"
    try Data("not a disk".utf8).write(to: URL(fileURLWithPath: bogus))
    let err = #expect(throws: SourceDiskError.self) {
      try Overlays.create(for: [Disk(source: .file(path: bogus), format: .vmdk, bus: .scsi)], in: dir.path)
    }
    #expect(err?.description.hasPrefix(bogus) == true)
  }
}
