import Foundation
import Testing
import V2VModel

@testable import V2VCore

/// The console texts of a dracut initramfs that cannot find its root count as a failed boot by default.
@Suite("Boot checker: dracut's failure texts")
struct DracutFailureTextTests {
  /// A systemd-based dracut initramfs giving up (dracut 059: the initqueue's warnings go to the console with
  /// its unit name and PID), and an older, script-based one.
  static let systemdConsole = """
    [  181.5] dracut-initqueue[291]: Warning: dracut-initqueue: timeout, still waiting for following initqueue hooks:
    [  181.6] dracut-initqueue[291]: Warning: /lib/dracut/hooks/initqueue/finished/devexists-\\x2fdev\\x2fsda1.sh: "[ -e "/dev/sda1" ]"
    [  241.2] dracut-initqueue[291]: Warning: Could not boot.
    Generating "/run/initramfs/rdsosreport.txt"
    """
  static let scriptConsole = "dracut Warning: Could not boot.\ndracut Warning: /dev/sda1 does not exist\n"

  @Test("each of dracut's texts is a failure, the earliest line wins; an ordinary dracut boot is not")
  func failureTexts() {
    let p = BootSpec.defaultFailurePatterns
    #expect(BootChecker.firstLine(in: Self.systemdConsole, matching: p)?.contains("dracut-initqueue: timeout, still waiting") == true)
    #expect(BootChecker.firstLine(in: "[ 241.2] dracut-initqueue[291]: Warning: Could not boot.\n", matching: p) != nil)
    #expect(BootChecker.firstLine(in: "Generating \"/run/initramfs/rdsosreport.txt\"\n", matching: p) != nil)
    #expect(BootChecker.firstLine(in: Self.scriptConsole, matching: p) == "dracut Warning: Could not boot.")
    let fine = "Welcome to Debian GNU/Linux 12 (bookworm) dracut-059-4 (Initramfs)!\n"
      + "[  OK  ] Finished dracut-initqueue.service - dracut initqueue hook.\n[  OK  ] Reached target initrd-root-device.target\n"
    #expect(BootChecker.firstLine(in: fine, matching: p) == nil)
  }
}
