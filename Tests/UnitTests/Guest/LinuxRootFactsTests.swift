import Testing
import V2VCore
import V2VModel

/// The quick inspection's readings of a Linux root: each either certain or nil (libguestfs decides then).
@Suite("Quick inspection: what a Linux root says about itself")
struct LinuxRootFactsTests {
  @Test("os-release: distribution, version and product name; Debian's minor version from debian_version")
  func release() {
    let debian = LinuxRootFacts.release(
      osRelease: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n",
      debianVersion: "12.5\n")
    #expect(debian == .init(distro: .debian, majorVersion: 12, minorVersion: 5, productName: "Debian GNU/Linux 12 (bookworm)"))
    let ubuntu = LinuxRootFacts.release(osRelease: "ID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\n")
    #expect(ubuntu?.distro == .ubuntu && ubuntu?.majorVersion == 22 && ubuntu?.minorVersion == 4)
    let centos = LinuxRootFacts.release(
      osRelease: "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nVERSION_ID=\"7\"\n",
      redhatRelease: "CentOS Linux release 7.9.2009 (Core)\n")
    #expect(centos == .init(distro: .centos, majorVersion: 7, minorVersion: 9, productName: "CentOS Linux 7 (Core)"))
    #expect(LinuxRootFacts.release(osRelease: "ID=ol\nVERSION_ID=8.6\n")?.distro == .oraclelinux)
    #expect(LinuxRootFacts.release(osRelease: "ID=\"sles\"\nVERSION_ID=\"15.4\"\n").map { [$0.majorVersion, $0.minorVersion] } == [15, 4])
    #expect(LinuxRootFacts.release(osRelease: "ID=opensuse-leap\nVERSION_ID=\"15.5\"\n")?.distro == .opensuse)
    // A debian_version of another release (an upgrade left behind) does not override os-release's major.
    #expect(LinuxRootFacts.release(osRelease: "ID=debian\nVERSION_ID=\"12\"\n", debianVersion: "11.7")?.minorVersion == 0)
  }

  @Test("os-release that is not certain: missing, unknown distribution, rolling or unnumbered version → nil (inspect_os decides)")
  func releaseUncertain() {
    #expect(LinuxRootFacts.release(osRelease: nil) == nil)
    #expect(LinuxRootFacts.release(osRelease: "ID=arch\nVERSION_ID=20240101\n") == nil)
    #expect(LinuxRootFacts.release(osRelease: "ID=opensuse-tumbleweed\nVERSION_ID=\"20231201\"\n") == nil)
    #expect(LinuxRootFacts.release(osRelease: "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n") == nil)
    #expect(LinuxRootFacts.release(osRelease: "ID=debian\nVERSION_ID=\"bookworm\"\n") == nil)
  }

  @Test("ELF header: machine and byte order give the architecture; not ELF → nil")
  func architecture() {
    func header(_ cls: UInt8, _ data: UInt8, _ machine: UInt16) -> [UInt8] {
      var b: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, cls, data] + [UInt8](repeating: 0, count: 14)
      let (lo, hi) = (UInt8(machine & 0xFF), UInt8(machine >> 8))
      (b[18], b[19]) = data == 1 ? (lo, hi) : (hi, lo)
      return b
    }
    #expect(LinuxRootFacts.architecture(elfHeader: header(2, 1, 0x3E)) == .x86_64)
    #expect(LinuxRootFacts.architecture(elfHeader: header(1, 1, 0x03)) == .i386)
    #expect(LinuxRootFacts.architecture(elfHeader: header(2, 1, 0xB7)) == .aarch64)
    #expect(LinuxRootFacts.architecture(elfHeader: header(2, 1, 0x15)) == .ppc64le)
    #expect(LinuxRootFacts.architecture(elfHeader: header(2, 2, 0x15)) == .ppc64)
    #expect(LinuxRootFacts.architecture(elfHeader: header(2, 2, 0x16)) == .s390x)
    #expect(LinuxRootFacts.architecture(elfHeader: header(2, 1, 0x9999)) == nil)
    #expect(LinuxRootFacts.architecture(elfHeader: Array("#!/bin/sh\nexec true\n".utf8)) == nil)
    #expect(LinuxRootFacts.architecture(elfHeader: [0x7F, 0x45]) == nil)
  }

  @Test("hostname: /etc/hostname, else /etc/HOSTNAME, else sysconfig/network; comments and blanks skipped")
  func hostname() {
    #expect(LinuxRootFacts.hostname(etcHostname: "# set by installer\n\nweb01\n") == "web01")
    #expect(LinuxRootFacts.hostname(etcHostname: nil, etcHOSTNAME: "sles15.example.com\n") == "sles15.example.com")
    #expect(LinuxRootFacts.hostname(etcHostname: "", sysconfigNetwork: "NETWORKING=yes\nHOSTNAME=\"db2\"\n") == "db2")
    #expect(LinuxRootFacts.hostname(etcHostname: nil) == "unknown")
  }

  static let devices = [
    BlockDeviceIdentity(device: "/dev/sda"),
    BlockDeviceIdentity(device: "/dev/sda1", type: "vfat", uuid: "ABCD-1234", partUUID: "0fc1-01", partLabel: "EFI system"),
    BlockDeviceIdentity(device: "/dev/sda2", type: "ext4", uuid: "1111-boot", label: "boot"),
    BlockDeviceIdentity(device: "/dev/sda3", type: "LVM2_member"),
    BlockDeviceIdentity(device: "/dev/sdb"),
    BlockDeviceIdentity(device: "/dev/sdb1", type: "xfs", uuid: "2222-data", label: "data/1"),
    BlockDeviceIdentity(device: "/dev/vg-sys/root", type: "ext4", uuid: "3333-root"),
    BlockDeviceIdentity(device: "/dev/vg-sys/var", type: "ext4", uuid: "4444-var"),
    BlockDeviceIdentity(device: "/dev/vg-sys/home", type: "ext4", uuid: "6666-home"),
    BlockDeviceIdentity(device: "/dev/vg-sys/swap", type: "swap", uuid: "5555-swap"),
  ]

  @Test("fstab → mountpoints: every naming form resolves to the appliance's device; swap, pseudo, network and unknown are left out")
  func mountpoints() {
    let fstab = """
      # <file system> <mount point> <type> <options> <dump> <pass>
      /dev/mapper/vg--sys-root / ext4 defaults 0 1
      UUID="1111-BOOT" /boot ext4 defaults 0 2
      PARTUUID=0fc1-01 /boot/efi vfat umask=0077 0 1
      /dev/mapper/vg--sys-var /var ext4 defaults 0 2
      /dev/vg-sys/home /home ext4 defaults 0 2
      /dev/disk/by-label/data\\x2f1 /data xfs defaults 0 2
      /dev/vdb1 /data2 xfs defaults 0 2
      /dev/xvda2 /xen ext4 defaults 0 2
      /dev/nvme0n2p1 /nvme xfs defaults 0 2
      UUID=5555-swap none swap sw 0 0
      proc /proc proc defaults 0 0
      tmpfs /tmp tmpfs defaults 0 0
      nas:/export /mnt/nas nfs defaults 0 0
      UUID=9999-gone /gone ext4 defaults 0 2
      """
    let m = LinuxRootFacts.mountpoints(fstab: fstab, root: "/dev/vg-sys/root", devices: Self.devices)
    #expect(
      m == [
        "/": "/dev/vg-sys/root", "/boot": "/dev/sda2", "/boot/efi": "/dev/sda1", "/var": "/dev/vg-sys/var", "/home": "/dev/vg-sys/home",
        "/data": "/dev/sdb1", "/data2": "/dev/sdb1", "/xen": "/dev/sda2", "/nvme": "/dev/sdb1",
      ])
    #expect(LinuxRootFacts.mountpoints(fstab: nil, root: "/dev/sda2", devices: Self.devices) == ["/": "/dev/sda2"])
  }

  @Test("an entry naming a block device in a way that cannot be checked here: nil (inspect_os decides); noauto entries do not count")
  func mountpointsUncertain() {
    let base = "UUID=3333-root / ext4 defaults 0 1\n/dev/cdrom /media/cdrom iso9660 user,noauto 0 0\n"
    #expect(LinuxRootFacts.mountpoints(fstab: base, root: "/dev/vg-sys/root", devices: Self.devices) == ["/": "/dev/vg-sys/root"])
    for uncertain in [
      "/dev/disk/by-id/ata-QEMU_HARDDISK_QM00001-part2 /boot ext4 defaults 0 2", "/dev/md0 /srv ext4 defaults 0 2",
      "/dev/mapper/luks-0a1b /home ext4 defaults 0 2", "/dev/vg-data/lv /data xfs defaults 0 2", "ZFS=tank /tank zfs defaults 0 0",
    ] {
      #expect(LinuxRootFacts.mountpoints(fstab: base + uncertain, root: "/dev/vg-sys/root", devices: Self.devices) == nil, "\(uncertain)")
    }
  }

  @Test("the package manager follows the distribution and release")
  func packageManagement() {
    func r(_ d: Distro, _ major: Int) -> LinuxRootFacts.Release { .init(distro: d, majorVersion: major, minorVersion: 0, productName: "") }
    #expect(LinuxRootFacts.packageManagement(r(.debian, 12)) == "apt")
    #expect(LinuxRootFacts.packageManagement(r(.centos, 7)) == "yum")
    #expect(LinuxRootFacts.packageManagement(r(.rhel, 9)) == "dnf")
    #expect(LinuxRootFacts.packageManagement(r(.fedora, 20)) == "dnf")
    #expect(LinuxRootFacts.packageManagement(r(.sles, 15)) == "zypper")
  }
}
