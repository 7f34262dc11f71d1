import Foundation
import Testing
@testable import V2VConverters
import V2VCore
import V2VModel
import V2VTestSupport

/// The rules that make a guest startable by the target's firmware: GRUB boot code for BIOS when the source
/// was booted by its host (Xen PV) or has none, and the UEFI removable-media path.
@Suite("boot rules: GRUB boot code, UEFI removable path", .offPool)
struct BootRulesTests {
  typealias T = ConverterTestSupport

  static func xenContext(pv: ParavirtBoot?, names: [String] = ["xvda"], platform: TargetPlatform = .kvmDefault) -> ConversionContext {
    let disks = names.map { Disk(source: .file(path: "/dev/null"), format: .raw, bus: .xen, targetName: $0) }
    var source = SourceVM(name: "guest", hypervisor: .xen, disks: disks, origin: "test")
    source.paravirtBoot = pv
    return ConversionContext(source: source, platform: platform, applianceDiskNames: names.indices.map { "/dev/sd\(DeviceNames.letters($0))" })
  }

  static func addBiosGrub(_ s: FakeGuestSession) throws {
    try s.makeDirectory("/usr/lib/grub/i386-pc")
    try s.writeText("/usr/lib/grub/i386-pc/boot.img", "boot")
    try s.writeText("/usr/sbin/grub-install", "#!/bin/sh\n")
  }


  @Test("a pygrub-booted PV guest gets grub-install on the boot disk; without GRUB for BIOS it is a clear refusal")
  func pygrubGuestGetsBootCode() throws {
    let dir = try TempDir()
    let s = try FakeGuestSession.copyOfFixture("ubuntu-xen-hvc0", in: dir)
    let context = Self.xenContext(pv: ParavirtBoot(bootloader: "pygrub"))
    let inspection = T.inspection(distro: "ubuntu", major: 22)
    #expect(throws: ConversionError.self) { try LinuxConverter().plan(session: s, inspection: inspection, context: context) }
    do {
      _ = try LinuxConverter().plan(session: s, inspection: inspection, context: context)
    } catch let e as ConversionError {
      #expect("\(e)".contains("pygrub") && "\(e)".contains("grub-pc"), "\(e)")
    }
    try Self.addBiosGrub(s)
    let r = try LinuxConverter().plan(session: s, inspection: inspection, context: context)
    let commands = T.commands(r.changes)
    #expect(commands.contains(["grub-install", "--target=i386-pc", "/dev/sda"]), "\(commands)")
    // Boot code before grub.cfg is regenerated.
    let install = commands.firstIndex(of: ["grub-install", "--target=i386-pc", "/dev/sda"])
    let mkconfig = commands.firstIndex { $0.first == "update-grub" || $0.first == "grub-mkconfig" }
    #expect(install != nil && mkconfig != nil && install! < mkconfig!)
    #expect(r.changes.contains { $0.summary.hasPrefix("install GRUB boot code on /dev/vda") })
  }

  @Test("boot code: a bare-filesystem boot disk uses --force; a disk with boot code is left alone; empty boot code is fixed")
  func bootCodeCases() throws {
    let dir = try TempDir()
    let s = try FakeGuestSession.copyOfFixture("ubuntu-xen-hvc0", in: dir)
    try Self.addBiosGrub(s)
    var inspection = T.inspection(distro: "ubuntu", major: 22)
    // Partition-style: the root filesystem is the whole of the first disk.
    inspection.mountpoints = ["/": "/dev/sda"]
    let parts = Self.xenContext(pv: ParavirtBoot(kernel: "/boot/vmlinuz"), names: ["xvda1", "xvda2"])
    let r1 = try LinuxConverter().plan(session: s, inspection: inspection, context: parts)
    #expect(T.commands(r1.changes).contains(["grub-install", "--target=i386-pc", "--force", "/dev/sda"]), "\(T.commands(r1.changes))")
    // The appliance's kernel named the disks sdb, sdc (its own disk took sda): inspection still says /dev/sda
    // (libguestfs's name); it is the same bare filesystem, and grub-install gets the kernel's name.
    var shifted = parts
    shifted.applianceDiskNames = ["/dev/sdb", "/dev/sdc"]
    let r1b = try LinuxConverter().plan(session: s, inspection: inspection, context: shifted)
    #expect(T.commands(r1b.changes).contains(["grub-install", "--target=i386-pc", "--force", "/dev/sdb"]), "\(T.commands(r1b.changes))")
    #expect(r1b.changes.contains { $0.summary.hasPrefix("install GRUB boot code on /dev/vda") && $0.summary.contains("block lists") })

    // Not host-booted, boot code present: nothing.
    inspection.mountpoints = ["/": "/dev/sda1"]
    let hvm = Self.xenContext(pv: nil, names: ["hda"])
    s.devices["/dev/sda"] = [0xeb, 0x63, 0x90] + [UInt8](repeating: 0, count: 509)
    let r2 = try LinuxConverter().plan(session: s, inspection: inspection, context: hvm)
    #expect(!T.commands(r2.changes).contains { $0.first == "grub-install" }, "\(T.commands(r2.changes))")

    // Not host-booted, 440 zero bytes: the boot code is installed.
    s.devices["/dev/sda"] = [UInt8](repeating: 0, count: 512)
    let r3 = try LinuxConverter().plan(session: s, inspection: inspection, context: hvm)
    #expect(T.commands(r3.changes).contains(["grub-install", "--target=i386-pc", "/dev/sda"]), "\(T.commands(r3.changes))")

    // UEFI asked for, and the guest has no EFI system partition: a clear refusal, not a guest that cannot boot.
    let uefi = Self.xenContext(pv: ParavirtBoot(bootloader: "pygrub"), platform: .kvm(KVMPlatform(firmware: .uefi)))
    #expect(throws: ConversionError.self) { try LinuxConverter().plan(session: s, inspection: inspection, context: uefi) }
    // With one: never BIOS boot code.
    try s.makeDirectory("/boot/efi")
    try s.makeDirectory("/boot/efi/EFI")
    let r4 = try LinuxConverter().plan(session: s, inspection: inspection, context: uefi)
    #expect(!T.commands(r4.changes).contains { $0.first == "grub-install" })
  }

  static func writes(_ changes: [GuestChange]) -> [String: [UInt8]] {
    var out: [String: [UInt8]] = [:]
    for c in changes { if case .writeFile(let p, let b, _) = c.kind { out[p] = b } }
    return out
  }

  @Test("UEFI: GRUB copied to EFI/BOOT/BOOTX64.EFI (with its grub.cfg) when missing; shim when the guest boots through it; an existing path untouched")
  func removablePath() throws {
    let dir = try TempDir()
    let s = try FakeGuestSession.copyOfFixture("ubuntu-xen-hvc0", in: dir)
    s.createsParentDirectories = true
    try s.writeFile("/boot/efi/EFI/debian/grubx64.efi", [0x4d, 0x5a, 1, 2])
    try s.writeText("/boot/efi/EFI/debian/grub.cfg", "search --fs-uuid x\n")
    var inspection = T.inspection(distro: "debian", major: 12)
    inspection.firmware = .uefi
    let context = ConversionContext(source: SourceVM(name: "g", hypervisor: .physical, origin: "t"), platform: .kvmDefault)
    let r = try LinuxConverter().plan(session: s, inspection: inspection, context: context)
    let w = Self.writes(r.changes)
    #expect(w["/boot/efi/EFI/BOOT/BOOTX64.EFI"] == [0x4d, 0x5a, 1, 2], "\(w.keys.sorted())")
    #expect(w["/boot/efi/EFI/BOOT/grub.cfg"] == Array("search --fs-uuid x\n".utf8))
    #expect(r.changes.contains { if case .makeDirectory(let p, _, _) = $0.kind { p == "/boot/efi/EFI/BOOT" } else { false } })

    // Through shim: shim becomes BOOTX64.EFI, GRUB beside it.
    try s.writeFile("/boot/efi/EFI/debian/shimx64.efi", [9, 9])
    let r2 = try LinuxConverter().plan(session: s, inspection: inspection, context: context)
    let w2 = Self.writes(r2.changes)
    #expect(w2["/boot/efi/EFI/BOOT/BOOTX64.EFI"] == [9, 9])
    #expect(w2["/boot/efi/EFI/BOOT/grubx64.efi"] == [0x4d, 0x5a, 1, 2])

    // Already there (any case): nothing.
    try s.writeFile("/boot/efi/EFI/boot/bootx64.efi", [7])
    let r3 = try LinuxConverter().plan(session: s, inspection: inspection, context: context)
    #expect(Self.writes(r3.changes).keys.filter { $0.hasPrefix("/boot/efi") }.isEmpty)

    // BIOS guest: the rule does nothing.
    try s.remove("/boot/efi/EFI/boot/bootx64.efi")
    inspection.firmware = .bios
    let r4 = try LinuxConverter().plan(session: s, inspection: inspection, context: context)
    #expect(Self.writes(r4.changes).keys.filter { $0.hasPrefix("/boot/efi") }.isEmpty)
  }
}

@Suite("grub.cfg fix-up summary", .offPool)
struct GrubFixupSummaryTests {
  @Test("on virtio-scsi the appliance's sdX are the target's sdX: the summary says so instead of /dev/sda -> /dev/sda")
  func identityRenamesAreNotListed() throws {
    let dir = try TempDir()
    let scsi = TargetPlatform.kvm(KVMPlatform(diskBus: .virtioSCSI))
    // A command-line change (a console on hvc0) makes grub.cfg regenerated, and so fixed up after the generator.
    let s = try FakeGuestSession.copyOfFixture("debian12-vmware", in: dir)
    try s.writeText("/etc/default/grub", (try s.readText("/etc/default/grub") ?? "") + "GRUB_CMDLINE_LINUX_DEFAULT=\"console=hvc0\"\n")
    let r = try LinuxConverter().plan(
      session: s, inspection: ConverterTestSupport.inspection(distro: "debian", major: 12),
      context: ConverterTestSupport.context(.vmware, platform: scsi))
    #expect(r.changes.contains { $0.summary.hasPrefix("regenerate /boot/grub/grub.cfg (") })
    let fixup = r.changes.first { $0.summary.hasPrefix("/boot/grub/grub.cfg: appliance disk names") }
    #expect(fixup?.summary == "/boot/grub/grub.cfg: appliance disk names -> target names (the same names on this bus)", "\(fixup?.summary ?? "none")")
  }
}
