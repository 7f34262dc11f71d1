import Foundation
import Testing
import V2VCore
import V2VModel
import V2VTestSupport
import V2VWriters

/// `-o physical` planning: what `--dry-run` prints as "would write: …", the overlay sizes the pipeline fits
/// disks to, and the refusals that come before any slow work.
@Suite("V2P: the physical writer's plan", .offPool)
struct PhysicalWriterPlanTests {
  static func target(disks: Int = 1) throws -> TargetVM {
    let d = (0..<disks).map { _ in Disk(source: .file(path: "/dev/null"), format: .raw, bus: .virtio, capacityBytes: 4 << 30) }
    let source = SourceVM(name: "web01", hypervisor: .kvm, disks: d, origin: "test")
    return try TargetPlanner.plan(source, options: PlanOptions(), platform: .physical(PhysicalPlatform())).target
  }

  @Test("a larger existing image: fitted to it, grown with --grow, said in one line; a new image: created at the disk's size")
  func summaries() throws {
    let dir = try TempDir()
    let big = dir.path + "/big.img"
    #expect(FileManager.default.createFile(atPath: big, contents: nil) && truncate(big, 8 << 30) == 0)
    let grown = try PhysicalWriter(targets: [big], grow: true, force: false, sources: []).plan(try Self.target(), request: OutputRequest(format: .raw))
    #expect(grown.summary == ["disk 1 (4.0 GiB) -> \(big) (image file, 8.0 GiB); the last partition grows to fill it (--grow)"])
    #expect(grown.resizeTo == [8 << 30] && grown.grow)
    let kept = try PhysicalWriter(targets: [big], grow: false, force: false, sources: []).plan(try Self.target(), request: OutputRequest(format: .raw))
    #expect(kept.summary == ["disk 1 (4.0 GiB) -> \(big) (image file, 8.0 GiB); 4.0 GiB left unused (--grow fills it)"])
    let fresh = try PhysicalWriter(targets: [dir.path + "/new.img"], grow: false, force: false, sources: []).plan(try Self.target(), request: OutputRequest(format: .raw))
    #expect(fresh.summary == ["disk 1 (4.0 GiB) -> \(dir.path)/new.img (new image file)"])
    #expect(fresh.resizeTo == [nil])
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/new.img"), "planning creates nothing")
  }

  @Test("one target per disk; raw only")
  func refusals() throws {
    let dir = try TempDir()
    do {
      _ = try PhysicalWriter(targets: [dir.path + "/a.img"], grow: false, force: false, sources: []).plan(try Self.target(disks: 2), request: OutputRequest(format: .raw))
      Issue.record("two disks, one target: expected a refusal")
    } catch let e as PhysicalTargetError {
      #expect(e.kind == .count && e.message.contains("2 disks"), "\(e)")
    }
    #expect(throws: OutputError.self) {
      try PhysicalWriter(targets: [dir.path + "/a.img"], grow: false, force: false, sources: []).plan(try Self.target(), request: OutputRequest(format: .qcow2))
    }
  }
}
