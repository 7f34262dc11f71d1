import Foundation
import Testing
import V2VCore
import V2VModel
import V2VProcess
import V2VTestSupport

/// Xen and physical sources converted by the real binary and booted on virtio, one conversion per fixture
/// with every assertion on that output, plus one negative control per fixture family (the unconverted
/// image does not boot where the converted one does). Serialized: each conversion and boot wants both cores.
@Suite("Xen and physical to KVM", .serialized, .offPool)
struct XenPhysicalTests {
  /// One conversion's outcome, read from `--json`.
  struct Converted {
    var run: V2VRun
    var out: TempDir
    var result: [String: Any]? { run.jsonResult }
    var passed: Bool { (result?["boot"] as? [String: Any])?["passed"] as? Bool ?? false }
    var evidence: String { (result?["boot"] as? [String: Any])?["evidence"] as? String ?? "no boot result: \(run.stderr)" }
    var summaries: [String] {
      ((result?["conversion"] as? [String: Any])?["changes"] as? [[String: Any]] ?? []).compactMap { $0["summary"] as? String }
    }
    var seconds: Double { result?["seconds"] as? Double ?? 0 }
    /// The network marker's interface lines from the test boot.
    var interfaces: [NetworkTests.Interface] {
      NetworkTests.interfaces((result?["boot"] as? [String: Any])?["markers"] as? [String] ?? [])
    }
    func xml(_ name: String) throws -> String { try String(contentsOfFile: out.path + "/\(name).xml", encoding: .utf8) }
  }

  static func convert(_ label: String, _ args: [String]) throws -> Converted {
    let out = try TempDir()
    let t0 = Date()
    let r = try V2VRun.run(["convert"] + args + ["-o", "local", "-os", out.path, "--verify-boot", "--json"])
    let c = Converted(run: r, out: out)
    print("\(label): exit \(r.status) in \(Int(Date().timeIntervalSince(t0))) s; boot: \(c.evidence)")
    return c
  }

  @Test("Xen PV (pygrub, xvda, hvc0): GRUB installed, names and console moved, Xen tools removed; boots with root on /dev/vda1")
  func xenPV() throws {
    let f = try GuestFixture.named("xen-pv-debian12")
    let image = try f.file("image")
    let before = try sha256(image)
    let c = try Self.convert("xen pv", ["-i", "xen", try f.file("xenConfig")])
    #expect(c.run.status == 0, "\(c.run.stderr)")
    #expect(c.passed)
    #expect(c.evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/vda1"), "\(c.evidence)")
    let s = c.summaries
    #expect(s.contains { $0.hasPrefix("install GRUB boot code on /dev/vda") && $0.contains("pygrub") }, "\(s)")
    #expect(s.contains { $0.hasPrefix("/etc/fstab:") && $0.contains("/dev/xvda1 -> /dev/vda1") && $0.contains("/dev/xvda2 -> /dev/vda2") }, "\(s)")
    #expect(s.contains { $0.hasPrefix("/etc/default/grub:") && $0.contains("ttyS0") }, "\(s)")
    #expect(s.contains { $0.contains("remove xenstore-utils") }, "\(s)")
    let xml = try c.xml(f.name)
    #expect(xml.contains("<target dev='vda' bus='virtio'/>"))
    #expect(xml.contains(f.fields["mac"] ?? "no mac in manifest"), "the source MAC is kept")
    #expect(try libvirtSchemaProblem(xml: xml) == nil)
    #expect(try sha256(image) == before, "the source image was modified")
  }

  @Test("Xen partition-style disks (xvda1 root, xvda2 swap as whole images, host kernel): boots with root on /dev/vda")
  func xenPartitionStyle() throws {
    let f = try GuestFixture.named("xen-pv-debian12")
    let c = try Self.convert("xen partition-style", ["-i", "xen", try f.file("xenPartitionsConfig")])
    #expect(c.run.status == 0, "\(c.run.stderr)")
    #expect(c.passed)
    // The marker line ends with the root device: the whole first disk, not a partition of it.
    #expect(c.evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/vda"), "\(c.evidence)")
    #expect(!c.evidence.contains("root=/dev/vda1"), "\(c.evidence)")
    let s = c.summaries
    #expect(s.contains { $0.hasPrefix("/etc/fstab:") && $0.contains("/dev/xvda1 -> /dev/vda,") && $0.contains("/dev/xvda2 -> /dev/vdb") }, "\(s)")
    #expect(s.contains { $0.hasPrefix("install GRUB boot code on /dev/vda") && $0.contains("block lists") }, "\(s)")
    let xml = try c.xml("\(f.name)-partitions")
    #expect(xml.contains("<target dev='vda' bus='virtio'/>") && xml.contains("<target dev='vdb' bus='virtio'/>"))
  }

  @Test("Xen HVM (xm config, hda, root /dev/sda1): converted without touching its boot code; boots with root on /dev/vda1")
  func xenHVM() throws {
    let f = try GuestFixture.named("xen-hvm-debian12")
    let c = try Self.convert("xen hvm", ["-i", "xen", try f.file("xenConfig")])
    #expect(c.run.status == 0, "\(c.run.stderr)")
    #expect(c.passed)
    #expect(c.evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/vda1"), "\(c.evidence)")
    let s = c.summaries
    #expect(s.contains { $0.hasPrefix("/etc/fstab:") && $0.contains("/dev/sda1 -> /dev/vda1") }, "\(s)")
    #expect(!s.contains { $0.hasPrefix("install GRUB boot code") }, "an HVM guest boots from its own MBR: \(s)")
  }

  @Test("physical BIOS disk through a read-only loop device, its root mounted read-only here (--name/--memory/--vcpus): boots with root on /dev/vda1 and DHCP on eno1 (pinned to the VM's new NIC), source unchanged")
  func physicalLoop() throws {
    let f = try GuestFixture.named("physical-debian12-bios")
    let image = try f.file("image")
    let before = try sha256(image)
    let loop = try LoopDevice.attach(image, partitions: 1, readOnly: true)
    defer { LoopDevice.detach(loop, partitions: 1) }
    // Its root is mounted read-only on this host meanwhile (an admin looking at it): allowed, nothing writes it.
    let mnt = try TempDir()
    let m = try ProcessRunner.run(["mount", "-o", "ro,noload", loop + "p1", mnt.path], timeout: 60)
    #expect(m.succeeded, "\(m.stderr)")
    defer { _ = try? ProcessRunner.run(["umount", mnt.path], timeout: 60) }
    let c = try Self.convert(
      "physical loop", ["-i", "physical", loop, "--name", "physbios", "--memory", "1536", "--vcpus", "1"])
    #expect(c.run.status == 0, "\(c.run.stderr)")
    #expect(c.passed)
    #expect(c.evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/vda1"), "\(c.evidence)")
    let xml = try c.xml("physbios")
    #expect(xml.contains("<name>physbios</name>"))
    #expect(xml.contains("<memory unit='KiB'>1572864</memory>"), "\(xml)")
    #expect(xml.contains("<vcpu>1</vcpu>") || xml.contains("<vcpu placement='static'>1</vcpu>"), "\(xml)")
    #expect(!c.summaries.contains { $0.hasPrefix("install GRUB boot code") }, "the disk already boots: \(c.summaries)")
    // The server configures eno1 (DHCP) and records no MAC: the VM gets one NIC with a new MAC, eno1 is
    // pinned to it, and the booted guest has its DHCP address on eno1.
    let nets = c.interfaces
    #expect(nets.count == 1, "\(nets)")
    if let n = nets.first {
      #expect(n.name == "eno1" && n.mac.hasPrefix("52:54:00:") && n.addresses.contains { $0.hasPrefix("10.0.2.") }, "\(n)")
      #expect(xml.contains("<mac address='\(n.mac)'/>"), "\(xml)")
      #expect(c.summaries.contains { $0.hasPrefix("pin eno1 to \(n.mac)") }, "\(c.summaries)")
    }
    #expect(try sha256(image) == before, "the source image was modified")
  }

  @Test("physical UEFI + separate /boot + LVM root: removable boot path added, boots under OVMF with an empty NVRAM, static address on lan0 (its recorded MAC)")
  func physicalUEFILVM() throws {
    let f = try GuestFixture.named("physical-debian12-uefi-lvm")
    let c = try Self.convert("physical uefi+lvm", ["-i", "physical", try f.file("image"), "--name", "physuefi", "--memory", "1024"])
    #expect(c.run.status == 0, "\(c.run.stderr)")
    #expect(c.passed)
    #expect(c.evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/mapper/physvg-root"), "\(c.evidence)")
    let s = c.summaries
    #expect(s.contains { $0.hasPrefix("/boot/efi/EFI/BOOT/BOOTX64.EFI <- /boot/efi/EFI/debian/grubx64.efi") }, "\(s)")
    #expect(!s.contains { $0.hasPrefix("install GRUB boot code") }, "\(s)")
    let xml = try c.xml("physuefi")
    #expect(xml.contains("<os firmware='efi'>"), "UEFI firmware in the domain XML: \(xml)")
    // The server's udev rules named its NIC lan0 by MAC: the VM gets a NIC with that MAC, lan0 is pinned to
    // it, and the booted guest has its static address on lan0.
    let mac = "00:25:90:5e:00:51"
    #expect(xml.contains("<mac address='\(mac)'/>"), "\(xml)")
    #expect(s.contains("remove /etc/udev/rules.d/70-persistent-net.rules") && s.contains { $0.hasPrefix("pin lan0 to \(mac)") }, "\(s)")
    #expect(c.interfaces.count == 1 && c.interfaces.first.map { $0.name == "lan0" && $0.mac == mac && $0.addresses.contains("10.0.2.50/24") } == true, "\(c.interfaces)")
    #expect(try libvirtSchemaProblem(xml: xml) == nil)
  }

  @Test("negative control (Xen): the unconverted PV image shows nothing on virtio (no boot code)")
  func xenUnconvertedDoesNotBoot() throws {
    let f = try GuestFixture.named("xen-pv-debian12")
    // 50 s: the converted guest shows GRUB within seconds and its marker in ~40 s; this one shows nothing.
    let r = try BootChecker().boot(BootSpec(disks: [.init(path: try f.file("image"), format: "raw", bus: .virtio)], timeout: 50))
    print("xen control: \(r.outcome) in \(Int(r.seconds)) s: \(r.evidence)")
    #expect(!r.passed)
    #expect(r.outcome != .qemuError, "\(r.evidence)")
  }

  @Test("negative control (physical): the unconverted UEFI disk does not boot under OVMF with an empty NVRAM, even on its own AHCI")
  func physicalUnconvertedDoesNotBoot() throws {
    let f = try GuestFixture.named("physical-debian12-uefi-lvm")
    let r = try BootChecker().boot(
      BootSpec(
        disks: [.init(path: try f.file("image"), format: "raw", bus: .sata)], nicModel: .e1000e, firmware: .uefi, timeout: 150,
        failurePatterns: BootSpec.defaultFailurePatterns + ["UEFI Interactive Shell", "No bootable option", "Shell>"]))
    print("physical control: \(r.outcome) in \(Int(r.seconds)) s: \(r.evidence)")
    #expect(!r.passed)
    #expect(r.outcome != .qemuError, "\(r.evidence)")
  }
}
