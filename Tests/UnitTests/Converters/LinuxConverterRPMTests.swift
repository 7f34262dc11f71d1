import Foundation
import Testing
@testable import V2VConverters
import V2VCore
import V2VModel
import V2VTestSupport

@Suite("LinuxConverter: Red Hat and SUSE families", .offPool)
struct LinuxConverterRPMTests {
  typealias T = ConverterTestSupport
  static let rhelNew = "5.14.0-362.8.1.el9_3.x86_64"
  static let rhelDefault = "5.14.0-70.13.1.el9_0.x86_64"
  static let virtio = ["virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net"]

  @Test func rhel9VMwarePlan() throws {
    let dir = try TempDir()
    let (r, s) = try T.plan("rhel9-vmware", distro: "rhel", major: 9, hypervisor: .vmware, packageFormat: "rpm", in: dir)
    #expect(r.bootKernel == Self.rhelDefault)
    #expect(!r.serialConsole)
    #expect(
      T.edited(r.changes, "/etc/fstab")
        == "/dev/mapper/rhel-root / xfs defaults 0 0\nUUID=7d1e8f2a-2222-4b3c-8d4e-0123456789ab /boot xfs defaults 0 0\n"
        + "/dev/vda3 none swap defaults 0 0\n")
    #expect(T.edited(r.changes, "/boot/loader/entries/0f1e2d3c4b5a69788796a5b4c3d2e1f0-\(Self.rhelNew).conf")?.contains("resume=/dev/vda3") == true)
    #expect(T.edited(r.changes, "/.autorelabel") == "")
    #expect(
      T.edited(r.changes, "/etc/dracut.conf.d/v2v-virtio.conf")
        == "# Added by v2v: virtio drivers for KVM\nadd_drivers+=\" virtio_pci virtio_blk virtio_scsi virtio_net \"\n")
    #expect(
      T.commands(r.changes) == [
        ["rpm", "-e", "open-vm-tools"],
        InitramfsRule.dracutCommand(version: Self.rhelDefault, image: "/boot/initramfs-\(Self.rhelDefault).img", modules: Self.virtio),
        ["grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"],
      ])
    #expect(T.removals(r.changes) == ["/etc/systemd/system/multi-user.target.wants/vmtoolsd.service"])
    #expect(r.warnings.contains { $0.contains("ifcfg-ens192") && $0.contains("HWADDR=00:50:56:9a:12:34") })
    // Planning only queried the package database.
    #expect(s.commands == [["rpm", "-qa", "--qf", "%{NAME}\\n"]])
  }

  @Test func rhel9VMwareApply() throws {
    let dir = try TempDir()
    let (r, s) = try T.plan("rhel9-vmware", distro: "rhel", major: 9, hypervisor: .vmware, packageFormat: "rpm", in: dir)
    _ = try ChangeApplier.apply(r.changes, to: s)
    #expect(try s.exists("/.autorelabel"))
    #expect(T.file(s, "/etc/dracut.conf.d/v2v-virtio.conf")?.contains("virtio_blk") == true)
    #expect(T.file(s, "/etc/default/grub")?.contains("resume=/dev/vda3") == true)
    #expect(s.commands.map { $0[0] } == ["rpm", "rpm", "/bin/sh", "grub2-mkconfig"])
    #expect(s.commands[2][3] == "v2v-dracut")
  }

  @Test func sles15XenPlanAndApply() throws {
    let dir = try TempDir()
    let (r, s) = try T.plan("sles15-xen", distro: "sles", major: 15, hypervisor: .xen, packageFormat: "rpm", in: dir)
    let v = "5.14.21-150500.55.19-default"
    #expect(r.bootKernel == v)
    #expect(r.serialConsole)
    #expect(T.edited(r.changes, "/etc/fstab") == "/dev/vda2 / btrfs defaults 0 0\n/dev/vda1 swap swap defaults 0 0\n")
    #expect(
      T.edited(r.changes, "/etc/default/grub")
        == "GRUB_DEFAULT=saved\nGRUB_CMDLINE_LINUX_DEFAULT=\"splash=silent resume=/dev/vda1 console=tty0 console=ttyS0,115200 quiet\"\n"
        + "GRUB_TERMINAL=\"console\"\n")
    #expect(T.edited(r.changes, "/boot/grub2/device.map") == "(hd0)\t/dev/vda\n")
    #expect(
      T.commands(r.changes) == [
        ["rpm", "-e", "xe-guest-utilities", "xen-tools-domU"],
        InitramfsRule.dracutCommand(version: v, image: "/boot/initrd-\(v)", modules: Self.virtio),
        ["grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"],
      ])
    s.onRun(["grub2-mkconfig"]) { s, _ in
      try s.writeText("/boot/grub2/grub.cfg", "linux /boot/vmlinuz-\(v) root=/dev/sda2 resume=/dev/vda1 console=ttyS0,115200\n")
      return ""
    }
    _ = try ChangeApplier.apply(r.changes, to: s)
    #expect(T.file(s, "/boot/grub2/grub.cfg") == "linux /boot/vmlinuz-\(v) root=/dev/vda2 resume=/dev/vda1 console=ttyS0,115200\n")
  }

  @Test func centos7DesktopWithoutGrubMkconfig() throws {
    let dir = try TempDir()
    let (r, s) = try T.plan("centos7-vmware-desktop", distro: "centos", major: 7, hypervisor: .vmware, packageFormat: "rpm", in: dir)
    #expect(
      T.removals(r.changes) == [
        "/etc/udev/rules.d/70-persistent-net.rules", "/etc/udev/rules.d/75-persistent-net-generator.rules",
      ])
    #expect(
      T.edited(r.changes, "/etc/X11/xorg.conf") == "Section \"Device\"\n\tIdentifier \"Card0\"\n\tDriver     \"modesetting\"\nEndSection\n")
    #expect(T.edited(r.changes, "/etc/X11/xorg.conf.d/20-vmware.conf")?.contains("Driver \"modesetting\"") == true)
    #expect(T.edited(r.changes, "/etc/X11/xorg.conf.d/10-keyboard.conf") == nil)
    #expect(T.edited(r.changes, "/etc/securetty") == nil)
    #expect(T.edited(r.changes, "/.autorelabel") == "")
    // No generator: grub.cfg edited in place with the source's names.
    let cfg = try #require(T.edited(r.changes, "/boot/grub2/grub.cfg"))
    #expect(cfg.contains("root=/dev/vda2 ro rhgb quiet"))
    #expect(r.warnings.contains { $0.contains("edited in place") })
    #expect(r.changes.contains { $0.summary == "/boot/grub2/grub.cfg: /dev/sda2 -> /dev/vda2" })
    #expect(T.commands(r.changes).first == ["rpm", "-e", "open-vm-tools", "open-vm-tools-desktop"])
    _ = try ChangeApplier.apply(r.changes, to: s)
    #expect(try !s.exists("/etc/udev/rules.d/70-persistent-net.rules"))
    #expect(T.file(s, "/boot/grub2/grub.cfg") == cfg)
  }

  @Test func legacyMkinitrdWhenNoDracut() throws {
    let dir = try TempDir()
    let s = try FakeGuestSession.copyOfFixture("sles15-xen", in: dir)
    try s.remove("/usr/bin/dracut")
    let r = try LinuxConverter().plan(
      session: s, inspection: T.inspection(distro: "sles", major: 11, packageFormat: "rpm"), context: T.context(.xen))
    let v = "5.14.21-150500.55.19-default"
    #expect(
      T.commands(r.changes).contains([
        "mkinitrd", "-k", "/boot/vmlinuz-\(v)", "-i", "/boot/initrd-\(v)", "-m", "virtio_pci virtio_blk virtio_scsi virtio_net",
      ]))
    let rhel = try FakeGuestSession.copyOfFixture("rhel9-vmware", in: dir)
    try rhel.remove("/usr/bin/dracut")
    rhel.createsParentDirectories = true  // the test adds a tool to the tree through the session
    try rhel.writeText("/sbin/mkinitrd", "")
    let r2 = try LinuxConverter().plan(
      session: rhel, inspection: T.inspection(distro: "rhel", major: 5, packageFormat: "rpm"), context: T.context(.vmware))
    let d = Self.rhelDefault
    #expect(
      T.commands(r2.changes).contains([
        "mkinitrd", "-f", "--with=virtio_pci", "--with=virtio_blk", "--with=virtio_scsi", "--with=virtio_net",
        "/boot/initrd-\(d).img", d,
      ]))
  }

  @Test func grubbyMakesTheChosenKernelTheDefault() throws {
    let dir = try TempDir()
    let s = try FakeGuestSession.copyOfFixture("rhel9-vmware", in: dir)
    try s.writeText("/lib/modules/\(Self.rhelDefault)/modules.dep", "kernel/drivers/scsi/vmw_pvscsi.ko.xz:\n")
    try s.writeText("/usr/sbin/grubby", "")
    let r = try LinuxConverter().plan(
      session: s, inspection: T.inspection(distro: "rhel", major: 9, packageFormat: "rpm"), context: T.context(.vmware))
    #expect(r.bootKernel == Self.rhelNew)
    #expect(T.commands(r.changes).first == ["grubby", "--set-default", "/boot/vmlinuz-\(Self.rhelNew)"])
    #expect(
      T.commands(r.changes).contains(
        InitramfsRule.dracutCommand(version: Self.rhelNew, image: "/boot/initramfs-\(Self.rhelNew).img", modules: Self.virtio)))
    #expect(!T.commands(r.changes).contains { $0.contains(Self.rhelDefault) })
  }

  @Test func rpmQueryFailureIsAWarning() throws {
    let dir = try TempDir()
    let s = try FakeGuestSession.copyOfFixture("rhel9-vmware", in: dir)
    s.fail(["rpm", "-qa"], message: "rpmdb open failed")
    let r = try LinuxConverter().plan(
      session: s, inspection: T.inspection(distro: "rhel", major: 9, packageFormat: "rpm"), context: T.context(.vmware))
    #expect(r.warnings.contains { $0.contains("could not list installed packages") })
    #expect(!T.commands(r.changes).contains { $0.first == "rpm" })
  }
}
