import Foundation
import Testing
import V2VTestSupport

/// `v2v convert` option errors through the real binary: one line, exit 64, before any work.
@Suite("v2v convert options (real binary)", .offPool)
struct ConvertCLITests {
  @Test(
    "contradicting options are usage errors",
    arguments: [["-q", "-v"], ["--dry-run", "--verify-boot"], ["--block-driver", "sata"]])
  func contradictions(_ extra: [String]) throws {
    let dir = try TempDir()
    let r = try V2VRun.run(["convert", "-i", "vmx", dir.path + "/x.vmx", "-o", "local", "-os", dir.path] + extra, timeout: 60)
    #expect(r.status == 64, "\(extra): \(r.stderr)")
    #expect(r.stdout.isEmpty, "nothing started: \(r.stdout)")
  }

  @Test(
    "-o physical option errors name the option",
    arguments: [
      (["-o", "physical"], "-o physical needs -os"),
      (["-o", "physical", "-os", "/tmp/x.img", "-of", "qcow2"], "writes raw disks"),
      (["-o", "physical", "-os", "/tmp/x.img", "--block-driver", "virtio-scsi"], "--block-driver is for KVM"),
      (["-o", "physical", "-os", "/tmp/a.img,,/tmp/b.img"], "an empty target"),
      (["-o", "local", "-os", "/tmp", "--grow"], "--grow is only for -o physical"),
      (["-o", "local", "-os", "/tmp", "--force"], "--force is only for -o physical"),
      (["-o", "local", "-os", "/tmp", "--firmware", "efi"], "--firmware"),
    ])
  func physicalOptions(_ extra: [String], _ message: String) throws {
    let dir = try TempDir()
    let r = try V2VRun.run(["convert", "-i", "vmx", dir.path + "/x.vmx"] + extra, timeout: 60)
    #expect(r.status == 64, "\(extra): \(r.stderr)")
    #expect(r.stderr.contains(message), "\(extra): \(r.stderr)")
    #expect(r.stdout.isEmpty, "nothing started: \(r.stdout)")
  }
}
