import Foundation
import Testing
import V2VTestSupport
import V2VCore
import V2VModel

@Suite("DeviceNameRewriter", .offPool)
struct DeviceNameRewriterTests {
  let map = DiskNameMap.build(
    source: SourceVM(
      name: "g", hypervisor: .vmware,
      disks: (0..<28).map { _ in Disk(source: .file(path: "/dev/null"), format: .raw, bus: .scsi) }, origin: "t"),
    platform: .kvmDefault)

  func rw(_ s: String) -> String { DeviceNameRewriter.rewrite(s, map: map).text }

  @Test func keepsPartitionNumbers() {
    #expect(rw("/dev/sda1 / ext4") == "/dev/vda1 / ext4")
    #expect(rw("/dev/xvda2 none swap") == "/dev/vda2 none swap")
    #expect(rw("/dev/hdb") == "/dev/vdb")
    #expect(rw("/dev/sda10 /x") == "/dev/vda10 /x")
  }

  @Test func twoLetterDisksAreNotPartitionsOfOneLetterDisks() {
    #expect(rw("/dev/sdaa") == "/dev/vdaa")
    #expect(rw("/dev/sdab3") == "/dev/vdab3")
    let small = [DeviceRename(from: "/dev/sda", to: "/dev/vda")]
    #expect(DeviceNameRewriter.rewrite("/dev/sdaa1 /dev/sda1", map: small).text == "/dev/sdaa1 /dev/vda1")
  }

  @Test func leavesLongerWordsAlone() {
    #expect(rw("/mnt/dev/sda1") == "/mnt/dev/sda1")
    #expect(rw("/dev/sda_old") == "/dev/sda_old")
    #expect(rw("x/dev/sda") == "x/dev/sda")
    #expect(rw("/dev/sdaX") == "/dev/sdaX")
    #expect(rw("/dev/disk/by-id/ata-sda") == "/dev/disk/by-id/ata-sda")
  }

  @Test func rewritesInsideCommandLinesAndDeviceMaps() {
    #expect(rw("GRUB_CMDLINE_LINUX=\"root=/dev/sda1 resume=/dev/sdb2\"") == "GRUB_CMDLINE_LINUX=\"root=/dev/vda1 resume=/dev/vdb2\"")
    #expect(rw("(hd0)\t/dev/sda\n") == "(hd0)\t/dev/vda\n")
    #expect(rw("RESUME=/dev/xvdb1") == "RESUME=/dev/vdb1")
  }

  @Test func leavesUUIDAndLabelLinesUntouched() {
    let text = "UUID=3f1c-1 / ext4 0 1\nLABEL=root /x ext4 0 0\nPARTUUID=ab-01 /y vfat 0 0\n/dev/mapper/vg-root / xfs 0 0\n"
    let r = DeviceNameRewriter.rewrite(text, map: map)
    #expect(r.text == text)
    #expect(r.renamed.isEmpty)
  }

  @Test func reportsDistinctRenamesInOrder() {
    let r = DeviceNameRewriter.rewrite("/dev/sdb1 /dev/sda1 /dev/sdb1", map: map)
    #expect(DeviceNameRewriter.describe(r.renamed) == "/dev/sdb1 -> /dev/vdb1, /dev/sda1 -> /dev/vda1")
  }

  @Test func singleDeviceAndNumberedTargets() {
    #expect(DeviceNameRewriter.rename("/dev/sdc3", map: map) == "/dev/vdc3")
    #expect(DeviceNameRewriter.rename("/dev/sdz9", map: [DeviceRename(from: "/dev/sda", to: "/dev/vda")]) == nil)
    let nvme = [DeviceRename(from: "/dev/sda", to: "/dev/nvme0n1")]
    #expect(DeviceNameRewriter.rename("/dev/sda2", map: nvme) == "/dev/nvme0n1p2")
  }

  @Test func rewriteChangeIsCodable() throws {
    let c = GuestChange(.rewriteDeviceNames(path: "/boot/grub/grub.cfg", map: [DeviceRename(from: "/dev/sda", to: "/dev/vda")]), reason: "r", summary: "s")
    let data = try JSONEncoder().encode(c)
    #expect(try JSONDecoder().decode(GuestChange.self, from: data) == c)
  }
}
