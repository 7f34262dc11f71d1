import Foundation
import Testing
@testable import V2VConverters
import V2VCore
import V2VModel
import V2VTestSupport

/// V2P conversion rules on fake guest trees: filesystems by UUID, both consoles, the generic initramfs
/// policy, KVM agents removed, GRUB for the target's firmware (or a clear refusal).
@Suite("V2P: Linux rules for physical hardware", .offPool)
struct PhysicalRulesTests {
  typealias T = ConverterTestSupport
  static let physicalBIOS = TargetPlatform.physical(PhysicalPlatform(firmware: .bios))

  /// A KVM guest: one disk named `vda` in its config, appliance name `/dev/sda`.
  static func kvmContext(platform: TargetPlatform) -> ConversionContext {
    let d = Disk(source: .file(path: "/dev/null"), format: .qcow2, bus: .virtio, targetName: "vda")
    var source = SourceVM(name: "guest", hypervisor: .kvm, disks: [d], origin: "test")
    source.firmware = .bios
    return ConversionContext(source: source, platform: platform, applianceDiskNames: ["/dev/sda"])
  }

  /// The debian12-vmware tree as a KVM guest would have it: /dev/vdaN everywhere, console on ttyS0 only, a
  /// VM-only option, qemu-guest-agent enabled, GRUB for BIOS.
  static func kvmGuest(_ dir: TempDir) throws -> FakeGuestSession {
    let s = try FakeGuestSession.copyOfFixture("debian12-vmware", in: dir)
    try s.writeText("/etc/fstab", "/dev/vda1 / ext4 errors=remount-ro 0 1\n/dev/vda2 none swap sw 0 0\nUUID=3f1c2a9e-1111-4a2b-9c3d-0123456789ab /srv ext4 defaults 0 2\n/dev/sr0 /media/cdrom iso9660 noauto 0 0\n")
    try s.writeText(
      "/etc/default/grub",
      "GRUB_TIMEOUT=1\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"root=/dev/vda1 resume=/dev/vda2 console=ttyS0,115200 no_timer_check\"\nGRUB_DISABLE_LINUX_UUID=true\n")
    try s.writeText("/etc/initramfs-tools/initramfs.conf", "# conf\nMODULES=list\nBUSYBOX=auto\n")
    try s.makeDirectory("/etc/systemd/system/multi-user.target.wants")
    try s.writeText("/etc/systemd/system/multi-user.target.wants/qemu-guest-agent.service", "[Unit]\n")
    try BootRulesTests.addBiosGrub(s)
    // A distribution kernel has the PC's storage drivers as modules.
    for v in ["6.1.0-25-amd64", "6.1.0-26-amd64"] {
      let dep = "/lib/modules/\(v)/modules.dep"
      try s.writeText(dep, (try s.readText(dep) ?? "") + "kernel/drivers/ata/ahci.ko: kernel/drivers/ata/libahci.ko\nkernel/drivers/scsi/sd_mod.ko:\nkernel/drivers/nvme/host/nvme.ko:\n")
    }
    s.uuids = ["/dev/sda1": "1111aaaa-0000-4000-8000-000000000001", "/dev/sda2": "2222bbbb-0000-4000-8000-000000000002"]
    s.devices["/dev/sda"] = [UInt8](repeating: 0x90, count: 512) + [UInt8](repeating: 0, count: 20000)
    return s
  }

  @Test("fstab, root= and resume= name filesystems by UUID; GRUB may use UUIDs; consoles tty0+ttyS0; no VM-only options")
  func uuidsAndConsoles() throws {
    let dir = try TempDir()
    let s = try Self.kvmGuest(dir)
    let r = try LinuxConverter().plan(session: s, inspection: T.inspection(distro: "debian", major: 12), context: Self.kvmContext(platform: Self.physicalBIOS))
    let fstab = T.edited(r.changes, "/etc/fstab") ?? ""
    #expect(fstab.contains("UUID=1111aaaa-0000-4000-8000-000000000001 / ext4"), "\(fstab)")
    #expect(fstab.contains("UUID=2222bbbb-0000-4000-8000-000000000002 none swap"), "\(fstab)")
    #expect(!fstab.contains("/dev/vd") && !fstab.contains("/dev/sda"), "\(fstab)")
    #expect(fstab.contains("/dev/sr0 /media/cdrom"), "a CD-ROM is not a disk: left alone")
    let grub = T.edited(r.changes, "/etc/default/grub") ?? ""
    #expect(grub.contains("root=UUID=1111aaaa-0000-4000-8000-000000000001 resume=UUID=2222bbbb-0000-4000-8000-000000000002"), "\(grub)")
    #expect(grub.contains("console=tty0 console=ttyS0,115200\""), "\(grub)")
    #expect(!grub.contains("no_timer_check"), "\(grub)")
    #expect(grub.contains("#GRUB_DISABLE_LINUX_UUID=true"), "\(grub)")
    #expect(T.edited(r.changes, "/etc/initramfs-tools/initramfs.conf")?.contains("\nMODULES=most\n") == true)
    #expect(T.removals(r.changes).contains("/etc/systemd/system/multi-user.target.wants/qemu-guest-agent.service"))
    // GRUB reinstalled for the machine's BIOS although the disk has boot code.
    #expect(T.commands(r.changes).contains(["grub-install", "--target=i386-pc", "/dev/sda"]), "\(T.commands(r.changes))")
  }

  @Test("the same guest converted for KVM keeps device names (renamed for the bus), one console and its agent")
  func kvmTargetIsUnchanged() throws {
    let dir = try TempDir()
    let s = try Self.kvmGuest(dir)
    let r = try LinuxConverter().plan(session: s, inspection: T.inspection(distro: "debian", major: 12), context: Self.kvmContext(platform: .kvmDefault))
    #expect(T.edited(r.changes, "/etc/fstab") == nil, "vda stays vda on virtio-blk")
    #expect(!(T.edited(r.changes, "/etc/default/grub") ?? "").contains("UUID="))
    #expect(T.edited(r.changes, "/etc/initramfs-tools/initramfs.conf") == nil)
    #expect(!T.removals(r.changes).contains { $0.hasSuffix("qemu-guest-agent.service") })
  }

  @Test("BIOS on a GPT disk without a BIOS boot partition is refused, naming EF02 and --firmware uefi; with one, GRUB is installed")
  func gptNeedsBIOSBootPartition() throws {
    let dir = try TempDir()
    let s = try Self.kvmGuest(dir)
    var gpt = [UInt8](repeating: 0, count: 512) + Array("EFI PART".utf8) + [UInt8](repeating: 0, count: 504)
    gpt += [UInt8](repeating: 0, count: 128 * 128)
    s.devices["/dev/sda"] = gpt
    var inspection = T.inspection(distro: "debian", major: 12)
    inspection.mountpoints["/boot/efi"] = "/dev/sda2"
    let context = Self.kvmContext(platform: Self.physicalBIOS)
    do {
      _ = try LinuxConverter().plan(session: s, inspection: inspection, context: context)
      Issue.record("expected a refusal")
    } catch let e as ConversionError {
      #expect("\(e)".contains("EF02") && "\(e)".contains("--firmware uefi"), "\(e)")
    }
    // Entry 1's type GUID is the BIOS boot partition's.
    let marker = Array("Hah!IdontNeedEFI".utf8)
    s.devices["/dev/sda"]!.replaceSubrange(1024 + 128..<1024 + 128 + 16, with: marker)
    let r = try LinuxConverter().plan(session: s, inspection: inspection, context: context)
    #expect(T.commands(r.changes).contains(["grub-install", "--target=i386-pc", "/dev/sda"]))
  }

  @Test("UEFI hardware without an EFI system partition is a clear refusal")
  func uefiNeedsESP() throws {
    let dir = try TempDir()
    let s = try Self.kvmGuest(dir)
    let context = Self.kvmContext(platform: .physical(PhysicalPlatform(firmware: .uefi)))
    do {
      _ = try LinuxConverter().plan(session: s, inspection: T.inspection(distro: "debian", major: 12), context: context)
      Issue.record("expected a refusal")
    } catch let e as ConversionError {
      #expect("\(e)".contains("EFI system partition") && "\(e)".contains("--firmware bios"), "\(e)")
    }
  }

  @Test("kernel command lines for hardware: both consoles, VM-only options dropped, other lines untouched")
  func commandLines() {
    let f = HardwareBootRule.hardwareCommandLines
    #expect(f("GRUB_CMDLINE_LINUX=\"\"") == "GRUB_CMDLINE_LINUX=\"console=tty0 console=ttyS0,115200\"")
    #expect(f("GRUB_CMDLINE_LINUX=\"console=ttyS0,115200 no_timer_check\"") == "GRUB_CMDLINE_LINUX=\"console=tty0 console=ttyS0,115200\"")
    #expect(f("GRUB_CMDLINE_LINUX=\"root=UUID=x console=tty0 console=ttyS0\"") == "GRUB_CMDLINE_LINUX=\"root=UUID=x console=tty0 console=ttyS0\"")
    #expect(f("GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"") == "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"")
    #expect(f("options root=UUID=x ro clocksource=kvm-clock") == "options root=UUID=x ro console=tty0 console=ttyS0,115200")
  }

  @Test("KVM agents are removed only for physical targets; other hypervisors' tools always")
  func agents() {
    let installed: Set<String> = ["qemu-guest-agent", "spice-vdagent", "open-vm-tools", "bash"]
    #expect(HypervisorTools.toRemove(installed: installed, source: .kvm, physical: true) == ["open-vm-tools", "qemu-guest-agent", "spice-vdagent"])
    #expect(HypervisorTools.toRemove(installed: installed, source: .kvm, physical: false) == ["open-vm-tools"])
  }

  @Test("disk names a VM uses are recognised; others are not")
  func diskNames() {
    for n in ["/dev/vda", "/dev/vda1", "/dev/sdb12", "/dev/xvda1", "/dev/hdc", "/dev/nvme0n1p2"] { #expect(StableDeviceNamesRule.isDiskName(n), "\(n)") }
    for n in ["/dev/sr0", "/dev/mapper/vg-root", "/dev/disk/by-uuid/x", "/dev/vd", "/dev/sda1x", "/dev/tty0"] { #expect(!StableDeviceNamesRule.isDiskName(n), "\(n)") }
    #expect(StableDeviceNamesRule.deviceTokens("a=/dev/vda1,b /dev/sda2\n\"/dev/x\"") == ["/dev/vda1", "/dev/sda2", "/dev/x"])
  }
}
