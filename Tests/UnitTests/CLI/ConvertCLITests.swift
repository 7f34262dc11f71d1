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
}
