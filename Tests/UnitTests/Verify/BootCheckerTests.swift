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
}
