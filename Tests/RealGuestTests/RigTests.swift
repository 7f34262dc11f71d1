import Foundation
import Testing
import V2VCore
import V2VModel
import V2VTestSupport

/// The test rig itself: the VMware fixture boots on the hardware it was built for, and does NOT boot on
/// virtio (its initramfs has no virtio drivers). Every conversion test relies on both facts.
@Suite("real-guest rig", .offPool)
struct RigTests {
  @Test("the VMware fixture boots on AHCI (marker on the serial console, root on /dev/sda1)")
  func bootsOnAHCI() throws {
    let f = try GuestFixture.named("vmware-debian12-bios")
    let r = try BootChecker().boot(
      BootSpec(disks: [.init(path: f.vmdk, format: "vmdk", bus: .sata)], nicModel: .e1000, timeout: 300))
    print("rig: AHCI boot \(r.outcome) in \(String(format: "%.1f", r.seconds)) s: \(r.evidence)")
    #expect(r.passed, "\(r.evidence)")
    #expect(r.evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/sda1"))
  }

  /// One control is enough for the family (virtio-scsi failed the same way, at the same initramfs step, and
  /// cost another ~65 s of CI; the virtio-scsi conversion is proven by its boot on /dev/sda1).
  @Test(
    "negative control: the unconverted fixture does NOT boot on virtio-blk (root not found)",
    arguments: [Bus.virtio])
  func failsOnVirtio(_ bus: Bus) throws {
    let f = try GuestFixture.named("vmware-debian12-bios")
    let r = try BootChecker().boot(
      BootSpec(disks: [.init(path: f.vmdk, format: "vmdk", bus: bus)], timeout: 300))
    print("rig: \(bus) boot \(r.outcome) in \(String(format: "%.1f", r.seconds)) s: \(r.evidence)")
    #expect(!r.passed)
    #expect(r.outcome == .failed, "expected the initramfs to give up on its root, got \(r.outcome): \(r.evidence)")
  }
}
