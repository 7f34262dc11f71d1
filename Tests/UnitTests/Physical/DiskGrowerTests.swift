import Foundation
import Testing
import V2VCore
import V2VModel

/// Fitting a converted disk to a larger target: the GPT backup header, and with --grow the last partition and
/// what it holds.
@Suite("V2P: fitting disks to larger targets", .offPool)
struct DiskGrowerTests {
  final class FakeEditor: DiskEditor {
    var label = "gpt"
    var parts: [DiskPartition] = []
    var size: Int64 = 10 << 30
    var types: [String: String] = [:]
    var lvs: Set<String> = []
    var applied: [String] = []
    func partitionTableType(_ disk: String) throws -> String { label }
    func partitions(_ disk: String) throws -> [DiskPartition] { parts }
    func expandGPT(_ disk: String) throws { applied.append("expand \(disk)") }
    func resizePartition(_ disk: String, number: Int, endSector: Int64) throws { applied.append("resize \(disk) \(number) \(endSector)") }
    func deviceSize(_ device: String) throws -> Int64 { size }
    func sectorSize(_ device: String) throws -> Int { 512 }
    var lastUsable: Int64?
    func lastUsableSector(_ disk: String) throws -> Int64 { lastUsable ?? (size / 512 - 1) }
    func filesystemType(_ device: String) throws -> String { types[device] ?? "unknown" }
    func growExtFilesystem(_ device: String) throws { applied.append("ext \(device)") }
    func growPhysicalVolume(_ device: String) throws { applied.append("pv \(device)") }
    func growLogicalVolume(_ lv: String) throws { applied.append("lv \(lv)") }
    func isLogicalVolume(_ device: String) throws -> Bool { lvs.contains(device) }
  }

  let mib: UInt64 = 1 << 20

  @Test("GPT, ext4 root last: backup header moved, partition 3 to the last usable sector, filesystem grown")
  func gptExt4() throws {
    let e = FakeEditor()
    e.parts = [DiskPartition(number: 1, start: mib, end: 2 * mib - 1), DiskPartition(number: 3, start: 130 * mib, end: 4096 * mib - 17 * 1024 - 1), DiskPartition(number: 2, start: 2 * mib, end: 130 * mib - 1)]
    e.types["/dev/sda3"] = "ext4"
    let (steps, warnings) = try DiskGrower.plan(editor: e, disks: ["/dev/sda"], grow: true, root: "/dev/sda3")
    #expect(warnings.isEmpty)
    let last = (10 << 30) / 512 - 34
    #expect(steps == [.expandGPT(disk: "/dev/sda"), .resizePartition(disk: "/dev/sda", number: 3, endSector: Int64(last), fromBytes: 4096 * mib - 17 * 1024 - 130 * mib, toBytes: UInt64(last) * 512 + 511 - 130 * mib + 1), .growExt(device: "/dev/sda3")])
    // sgdisk aligns the last usable sector when it moves the backup: the resize stops there.
    e.lastUsable = Int64(last) - 2014
    try DiskGrower.apply(steps, editor: e)
    #expect(e.applied == ["expand /dev/sda", "resize /dev/sda 3 \(Int64(last) - 2014)", "ext /dev/sda3"])
  }

  @Test("without --grow only the GPT backup moves; an MBR disk needs nothing")
  func noGrow() throws {
    let e = FakeEditor()
    e.parts = [DiskPartition(number: 1, start: mib, end: 4096 * mib - 1)]
    #expect(try DiskGrower.plan(editor: e, disks: ["/dev/sda"], grow: false, root: "/dev/sda1").steps == [.expandGPT(disk: "/dev/sda")])
    e.label = "msdos"
    #expect(try DiskGrower.plan(editor: e, disks: ["/dev/sda"], grow: false, root: "/dev/sda1").steps.isEmpty)
  }

  @Test("MBR with root on LVM in a logical partition: extended, then logical, PV, root LV, its filesystem")
  func mbrLogicalLVM() throws {
    let e = FakeEditor()
    e.label = "msdos"
    e.parts = [DiskPartition(number: 1, start: mib, end: 512 * mib - 1), DiskPartition(number: 2, start: 512 * mib, end: 4096 * mib - 1), DiskPartition(number: 5, start: 513 * mib, end: 4096 * mib - 1)]
    e.types = ["/dev/sda5": "LVM2_member", "/dev/vg/root": "ext4"]
    e.lvs = ["/dev/vg/root"]
    let (steps, _) = try DiskGrower.plan(editor: e, disks: ["/dev/sda"], grow: true, root: "/dev/vg/root")
    let end = Int64((10 << 30) / 512 - 1)
    #expect(steps.map(\.summary).count == 5)
    #expect(steps.first == .resizePartition(disk: "/dev/sda", number: 2, endSector: end, fromBytes: 3584 * mib, toBytes: UInt64(end + 1) * 512 - 512 * mib))
    #expect(Array(steps.dropFirst(2)) == [.growPV(device: "/dev/sda5"), .growLV(lv: "/dev/vg/root"), .growExt(device: "/dev/vg/root")])
  }

  @Test("swap last: nothing grown, a warning saying so; a target no larger: a warning")
  func swapLast() throws {
    let e = FakeEditor()
    e.label = "msdos"
    e.parts = [DiskPartition(number: 1, start: mib, end: 3000 * mib - 1), DiskPartition(number: 2, start: 3000 * mib, end: 4096 * mib - 1)]
    e.types["/dev/sda2"] = "swap"
    let r = try DiskGrower.plan(editor: e, disks: ["/dev/sda"], grow: true, root: "/dev/sda1")
    #expect(r.steps.isEmpty)
    #expect(r.warnings.first?.contains("swap") == true, "\(r.warnings)")
    e.size = Int64(4096 * mib)
    e.types["/dev/sda2"] = "ext4"
    let same = try DiskGrower.plan(editor: e, disks: ["/dev/sda"], grow: true, root: "/dev/sda1")
    #expect(same.steps.isEmpty && same.warnings.first?.contains("not larger") == true, "\(same.warnings)")
  }
}
