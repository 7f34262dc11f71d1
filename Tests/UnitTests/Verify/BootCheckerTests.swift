import Foundation
import Testing
import V2VModel
import V2VTestSupport

@testable import V2VCore

/// The test boot's qemu command line and what it reports, without starting qemu.
@Suite("Boot checker", .offPool)
struct BootCheckerTests {
  let disk = BootSpec.Disk(path: "/x/guest-sda", format: "raw", bus: .virtio)

  /// The `-netdev`/`-device` pairs of a command line, as (netdev, device) strings.
  func nicArguments(_ argv: [String]) -> [(netdev: String, device: String)] {
    var pairs: [(String, String)] = []
    var i = 0
    while i < argv.count - 3 {
      if argv[i] == "-netdev", argv[i + 2] == "-device" { pairs.append((argv[i + 1], argv[i + 3])) }
      i += 1
    }
    return pairs
  }

  @Test("every NIC gets its own restricted user network and its MAC, in order")
  func everyNICWithItsMAC() throws {
    let spec = BootSpec(
      disks: [disk],
      nics: [.init(model: .virtio, mac: "00:0c:29:8a:2c:a9"), .init(model: .virtio, mac: "00:50:56:3a:5e:24"), .init(model: .e1000)])
    let argv = try BootChecker().qemuArguments(spec, consoleLog: "/x/console.log", work: "/x")
    let nics = nicArguments(argv)
    #expect(nics.map(\.netdev) == ["user,id=net0,restrict=on", "user,id=net1,restrict=on", "user,id=net2,restrict=on"])
    #expect(
      nics.map(\.device) == [
        "virtio-net-pci,netdev=net0,mac=00:0c:29:8a:2c:a9", "virtio-net-pci,netdev=net1,mac=00:50:56:3a:5e:24",
        "e1000,netdev=net2",
      ])
    #expect(argv.filter { $0 == "-netdev" }.count == 3)
  }

  @Test("the one-NIC form is unchanged: nicModel + mac, and nicModel nil means no NIC at all")
  func oneNICForm() throws {
    var spec = BootSpec(disks: [disk], nicModel: .e1000, mac: "52:54:00:12:34:56")
    #expect(spec.nics == [.init(model: .e1000, mac: "52:54:00:12:34:56")])
    var argv = try BootChecker().qemuArguments(spec, consoleLog: "/x/console.log", work: "/x")
    #expect(nicArguments(argv).map(\.device) == ["e1000,netdev=net0,mac=52:54:00:12:34:56"])
    spec.nicModel = nil
    argv = try BootChecker().qemuArguments(spec, consoleLog: "/x/console.log", work: "/x")
    #expect(!argv.contains("-netdev"))
    #expect(BootSpec(disks: [disk]).nics == [.init(model: .virtio)])
  }

  func target(nics: [TargetNIC]) -> TargetVM {
    TargetVM(
      name: "g", uuid: "u", memoryBytes: 1 << 30, vcpus: 1, firmware: .bios,
      disks: [TargetDisk(path: "/x/g-sda", format: .raw, dev: "vda")], nics: nics)
  }

  @Test("--verify-boot boots every NIC of the target with its MAC (e1000s on physical hardware)")
  func verifierNICs() {
    let t = target(nics: [
      TargetNIC(mac: "00:0c:29:8a:2c:a9", model: .virtio, connection: .network("default")),
      TargetNIC(mac: "00:50:56:3a:5e:24", model: .virtio, connection: .network("storage")),
    ])
    #expect(
      BootVerifier.nics(t, .kvmDefault) == [
        .init(model: .virtio, mac: "00:0c:29:8a:2c:a9"), .init(model: .virtio, mac: "00:50:56:3a:5e:24"),
      ])
    #expect(
      BootVerifier.nics(t, .physical(PhysicalPlatform())) == [
        .init(model: .e1000, mac: "00:0c:29:8a:2c:a9"), .init(model: .e1000, mac: "00:50:56:3a:5e:24"),
      ])
    // A target without NICs still boots with one, as before.
    #expect(BootVerifier.nics(target(nics: []), .kvmDefault) == [.init(model: .virtio)])
  }

  @Test("marker lines: every console line with a V2V- marker, in order, control characters removed")
  func markers() {
    let console = "Booting...\r\n\u{1b}[0mV2V-NET-MARKER ens192 mac=00:0c:29:8a:2c:a9 192.0.2.10/24\r\n[  OK  ] Started x\nV2V-SRV-MARKER /srv not mounted\nV2V-BOOT-MARKER host=h root=/dev/vda1\n"
    #expect(
      BootChecker.markerLines(in: console) == [
        "[0mV2V-NET-MARKER ens192 mac=00:0c:29:8a:2c:a9 192.0.2.10/24", "V2V-SRV-MARKER /srv not mounted",
        "V2V-BOOT-MARKER host=h root=/dev/vda1",
      ])
    #expect(BootChecker.markerLines(in: "no markers\n").isEmpty)
    #expect(BootChecker.markerLines(in: String(repeating: "V2V-X\n", count: 100), limit: 5).count == 5)
  }

  /// A fake qemu that writes `lines[n]` to the console on its n-th start (the last one from then on), then
  /// waits to be killed; returns the checker and the file counting the starts.
  func fakeQemu(_ lines: [String], in dir: TempDir) throws -> (BootChecker, String) {
    let count = dir.path + "/starts"
    var script = "#!/bin/sh\nn=$(cat \"\(count)\" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > \"\(count)\"\n"
    script += "while [ \"$1\" != -serial ]; do shift; done; log=${2#file:}\ncase $n in\n"
    for (i, l) in lines.enumerated() { script += (i == lines.count - 1 ? "*" : "\(i + 1)") + ") echo '\(l.replacingOccurrences(of: "'", with: "'\\''"))' > \"$log\" ;;\n" }
    script += "esac\nexec sleep 30\n"
    let path = dir.path + "/qemu"
    try script.write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    return (BootChecker(pollInterval: 0.1, qemu: path), count)
  }

  func starts(_ file: String) -> Int { Int((try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0 }

  static let timerPanic = "Kernel panic - not syncing: IO-APIC + timer doesn't work!  Boot with apic=debug"

  @Test("a boot that panics on the emulator's timer check is tried once more, and the evidence says so")
  func emulatorFaultRetried() throws {
    let dir = try TempDir()
    let (checker, count) = try fakeQemu([Self.timerPanic, "V2V-BOOT-MARKER up"], in: dir)
    let r = try checker.boot(BootSpec(disks: [disk], timeout: 20))
    #expect(r.passed && r.outcome == .booted, "\(r)")
    #expect(r.evidence.contains("V2V-BOOT-MARKER") && r.evidence.contains("second boot") && r.evidence.contains("IO-APIC"))
    #expect(starts(count) == 2)
  }

  @Test("only once: a guest that hits it again fails; any other panic is decisive at once")
  func otherFailuresNotRetried() throws {
    let dir = try TempDir()
    let (checker, count) = try fakeQemu([Self.timerPanic], in: dir)
    let r = try checker.boot(BootSpec(disks: [disk], timeout: 20))
    #expect(!r.passed && r.outcome == .failed && starts(count) == 2, "\(r)")

    let dir2 = try TempDir()
    let (checker2, count2) = try fakeQemu(["Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)", "V2V-BOOT-MARKER up"], in: dir2)
    let r2 = try checker2.boot(BootSpec(disks: [disk], timeout: 20))
    #expect(!r2.passed && r2.outcome == .failed && starts(count2) == 1, "\(r2)")
  }
}
