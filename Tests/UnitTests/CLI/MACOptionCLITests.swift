import Foundation
import Testing
import V2VCore
import V2VTestSupport

/// `--mac OLD:NEW` and `--nic-names`: parsing, and the usage errors through the real binary (one line,
/// exit 64, before any work).
@Suite("v2v convert --mac and --nic-names", .offPool)
struct MACOptionCLITests {
  @Test("OLD:NEW (colon form) and OLD=NEW (any MAC spelling) parse to lower-case colon form; anything else does not")
  func parse() {
    #expect(LinuxOptions.parseMACMapping("00:0C:29:AA:BB:CC:52:54:00:12:34:56")! == ("00:0c:29:aa:bb:cc", "52:54:00:12:34:56"))
    #expect(LinuxOptions.parseMACMapping("00-0c-29-aa-bb-cc=5254.0012.3456")! == ("00:0c:29:aa:bb:cc", "52:54:00:12:34:56"))
    for bad in ["", "00:0c:29:aa:bb:cc", "00:0c:29:aa:bb:cc:52:54:00:12:34", "00:0c:29:aa:bb:cc=", "=52:54:00:12:34:56",
                "00:0c:29:aa:bb:zz:52:54:00:12:34:56", "00:0c:29:aa:bb:cc=52:54:00:12:34:56=1"] {
      #expect(LinuxOptions.parseMACMapping(bad) == nil, "\(bad)")
    }
  }

  @Test(
    "bad --mac values, an OLD mapped twice (in any spelling) a bad --nic-names and a bad --missing-mounts are usage errors",
    arguments: [
      (["--mac", "00:0c:29:aa:bb:cc"], "--mac '00:0c:29:aa:bb:cc': use OLD:NEW or OLD=NEW"),
      (["--mac", "00:0c:29:aa:bb:cc:52:54:00:12:34:zz"], "use OLD:NEW or OLD=NEW"),
      (["--mac", "00:0c:29:aa:bb:cc:52:54:00:12:34:56", "--mac", "00-0C-29-AA-BB-CC=52:54:00:12:34:57"],
       "--mac: 00:0c:29:aa:bb:cc is mapped twice"),
      (["--nic-names", "rename"], "--nic-names"),
      (["--missing-mounts", "drop"], "--missing-mounts"),
    ])
  func usageErrors(_ extra: [String], _ message: String) throws {
    let dir = try TempDir()
    let r = try V2VRun.run(["convert", "-i", "vmx", dir.path + "/x.vmx", "-o", "physical", "-os", dir.path + "/x.img"] + extra, timeout: 60)
    #expect(r.status == 64, "\(extra): \(r.stderr)")
    #expect(r.stderr.contains(message), "\(extra): \(r.stderr)")
    #expect(r.stdout.isEmpty, "nothing started: \(r.stdout)")
  }
}
