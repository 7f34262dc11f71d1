import Foundation
import Testing
@testable import V2VConverters
import V2VCore
import V2VModel
import V2VTestSupport

/// fstab/crypttab entries whose devices are on none of the converted disks (`--missing-mounts`).
@Suite("Linux: mounts of disks that are not converted", .offPool)
struct MountTableTests {
  typealias T = ConverterTestSupport
  static let srvUUID = "3f1c2a9e-1111-4a2b-9c3d-0123456789ab"

  /// The debian12-vmware tree (fstab: /dev/sda1 /, /dev/sdb1 swap, UUID=3f1c… /srv) planned with `disks`
  /// converted disks whose block devices are `identities`.
  func plan(
    disks: Int, identities: [BlockDeviceIdentity]?, mode: LinuxOptions.MissingMounts = .warn, files: [String: String] = [:],
    applianceDiskNames: [String]? = nil
  ) throws -> ConversionReport {
    let dir = try TempDir()
    let session = try FakeGuestSession.copyOfFixture("debian12-vmware", in: dir)
    for (p, t) in files { try session.writeText(p, t) }
    session.identities = identities
    return try LinuxConverter(options: LinuxOptions(missingMounts: mode)).plan(
      session: session, inspection: T.inspection(distro: "debian", major: 12), context: context(disks, applianceDiskNames))
  }

  func context(_ disks: Int, _ names: [String]?) -> ConversionContext {
    var c = T.context(.vmware, disks: disks)
    c.applianceDiskNames = names
    return c
  }

  static let systemDisk = [
    BlockDeviceIdentity(device: "/dev/sda"), BlockDeviceIdentity(device: "/dev/sda1", type: "ext4", uuid: "1111-root"),
  ]
  static let bothDisks = systemDisk + [
    BlockDeviceIdentity(device: "/dev/sdb"), BlockDeviceIdentity(device: "/dev/sdb1", type: "swap", uuid: "2222-swap"),
    BlockDeviceIdentity(device: "/dev/sdb2", type: "ext4", uuid: srvUUID.uppercased(), label: "srv"),
  ]

  @Test("every disk converted: no entry is called missing, fstab only renamed")
  func allPresent() throws {
    let r = try plan(disks: 2, identities: Self.bothDisks, mode: .nofail)
    #expect(!r.warnings.contains { $0.contains("none of the converted disks") }, "\(r.warnings)")
    #expect(T.edited(r.changes, "/etc/fstab")?.contains("nofail") == false)
  }

  @Test("the appliance kernel named the disks in another order (sdc, sdb): entries are still found by the API names blkid reports")
  func kernelNamesShuffled() throws {
    let r = try plan(disks: 2, identities: Self.bothDisks, applianceDiskNames: ["/dev/sdc", "/dev/sdb"])
    #expect(!r.warnings.contains { $0.contains("none of the converted disks") }, "\(r.warnings)")
  }

  @Test("only the system disk: the swap on /dev/sdb1 and /srv by UUID are warned about, with both fixes offered; nothing edited")
  func systemDiskOnlyWarns() throws {
    let r = try plan(disks: 1, identities: Self.systemDisk)
    let w = r.warnings.filter { $0.contains("none of the converted disks") }
    #expect(w.count == 2, "\(r.warnings)")
    #expect(w.contains { $0.contains("'UUID=\(Self.srvUUID) /srv ext4'") && $0.contains("--missing-mounts nofail") && $0.contains("--missing-mounts comment") })
    #expect(w.contains { $0.contains("'/dev/sdb1 none swap'") })
    #expect(!r.changes.contains { $0.summary.contains("nofail") })
    #expect(T.edited(r.changes, "/etc/fstab")?.contains("nofail") != true)
  }

  @Test("--missing-mounts nofail: both entries get nofail, the root entry does not; the warning says so")
  func nofail() throws {
    let r = try plan(disks: 1, identities: Self.systemDisk, mode: .nofail)
    #expect(
      T.edited(r.changes, "/etc/fstab")
        == "# /etc/fstab: static file system information.\n/dev/vda1 / ext4 errors=remount-ro 0 1\n"
        + "/dev/sdb1 none swap sw,nofail 0 0\nUUID=\(Self.srvUUID) /srv ext4 defaults,nofail 0 2\n")
    #expect(r.warnings.contains { $0.contains("/srv") && $0.contains("marked nofail") })
    #expect(r.changes.contains { $0.summary.hasPrefix("/etc/fstab: nofail on ") && $0.reason == MountTableRule.reason })
  }

  @Test("--missing-mounts comment: the entries are commented out with a note")
  func comment() throws {
    let r = try plan(disks: 1, identities: Self.systemDisk, mode: .comment)
    let fstab = try #require(T.edited(r.changes, "/etc/fstab"))
    #expect(fstab.contains("\n#UUID=\(Self.srvUUID) /srv ext4 defaults 0 2\n"))
    #expect(fstab.contains("\n#/dev/sdb1 none swap sw 0 0\n"))
    #expect(fstab.contains("\n/dev/vda1 / ext4 errors=remount-ro 0 1\n"))
    #expect(fstab.components(separatedBy: "# v2v: commented out").count == 3)
  }

  @Test("a session that cannot list devices checks nothing")
  func unknown() throws {
    let r = try plan(disks: 1, identities: nil, mode: .nofail)
    #expect(!r.warnings.contains { $0.contains("none of the converted disks") })
  }

  @Test("crypttab: a missing LUKS source is warned about and so is the fstab line of its mapping; present ones are not")
  func crypttab() throws {
    let ids = Self.systemDisk + [BlockDeviceIdentity(device: "/dev/sda2", type: "crypto_LUKS", uuid: "aaaa-luks")]
    let r = try plan(
      disks: 1, identities: ids, mode: .nofail,
      files: [
        "/etc/crypttab": "# name source key options\nhome UUID=aaaa-luks none luks\ndata UUID=bbbb-luks /etc/keys/data luks,discard\n",
        "/etc/fstab": "/dev/sda1 / ext4 defaults 0 1\n/dev/mapper/home /home ext4 defaults 0 2\n/dev/mapper/data /data xfs defaults 0 2\n",
      ])
    #expect(
      T.edited(r.changes, "/etc/crypttab")
        == "# name source key options\nhome UUID=aaaa-luks none luks\ndata UUID=bbbb-luks /etc/keys/data luks,discard,nofail\n")
    #expect(
      T.edited(r.changes, "/etc/fstab")
        == "/dev/vda1 / ext4 defaults 0 1\n/dev/mapper/home /home ext4 defaults 0 2\n/dev/mapper/data /data xfs defaults,nofail 0 2\n")
  }

  @Test("what counts as present: UUID (any case), LABEL, PARTUUID, by-uuid and by-label paths, LVM by path and mapper name")
  func presence() throws {
    let ids = [
      BlockDeviceIdentity(device: "/dev/sda1", type: "ext4", uuid: "ABCD-1234", label: "my data", partUUID: "0a1b2c3d-01", partLabel: "esp"),
      BlockDeviceIdentity(device: "/dev/vg0/root", type: "ext4", uuid: "lv-root"),
      BlockDeviceIdentity(device: "/dev/my-vg/var-log", type: "xfs"),
    ]
    let p = Presence(identities: ids, context: T.context(.vmware, disks: 1))
    #expect(p.contains("UUID=abcd-1234") == true)
    #expect(p.contains("UUID=ffff-0000") == false)
    #expect(p.contains("LABEL=my data") == true)
    #expect(p.contains("/dev/disk/by-label/my\\x20data") == true)
    #expect(p.contains("/dev/disk/by-uuid/ABCD-1234") == true)
    #expect(p.contains("/dev/disk/by-uuid/0000") == false)
    #expect(p.contains("PARTUUID=0a1b2c3d-01") == true)
    #expect(p.contains("PARTLABEL=esp") == true)
    #expect(p.contains("/dev/disk/by-id/ata-DISK") == nil)
    #expect(p.contains("/dev/vda1") == true)
    #expect(p.contains("/dev/vda2") == false)
    #expect(p.contains("/dev/vdb1") == false)
    #expect(p.contains("/dev/sdb1") == false)
    #expect(p.contains("/dev/vg0/root") == true)
    #expect(p.contains("/dev/vg1/data") == false)
    #expect(p.contains("/dev/mapper/vg0-root") == true)
    #expect(p.contains("/dev/mapper/my--vg-var--log") == true)
    #expect(p.contains("/dev/mapper/luks-1234") == nil)
    #expect(p.contains("/dev/md0") == nil)
    #expect(p.contains("/dev/md/data") == nil)
  }

  @Test("left alone: noauto and nofail entries, pseudo and network filesystems, bind mounts")
  func leftAlone() throws {
    let r = try plan(
      disks: 1, identities: Self.systemDisk, mode: .nofail,
      files: [
        "/etc/fstab": """
          /dev/sda1 / ext4 defaults 0 1
          UUID=gone-1 /mnt/usb ext4 noauto 0 0
          UUID=gone-2 /mnt/opt ext4 defaults,nofail 0 0
          tmpfs /tmp tmpfs defaults 0 0
          proc /proc proc defaults 0 0
          nas:/export /nfs nfs defaults 0 0
          //server/share /cifs cifs credentials=/root/c 0 0
          /srv/a /srv/b none bind 0 0

          """
      ])
    #expect(!r.warnings.contains { $0.contains("none of the converted disks") }, "\(r.warnings)")
  }

  @Test("nofail goes into the options field; the columns' spacing is kept; a line with no options gets defaults,nofail")
  func addingOption() {
    #expect(MountTableRule.addingOption("nofail", to: "UUID=x\t/srv\text4\tdefaults\t0 2") == "UUID=x\t/srv\text4\tdefaults,nofail\t0 2")
    #expect(MountTableRule.addingOption("nofail", to: "/dev/sdb1   none   swap   sw   0 0") == "/dev/sdb1   none   swap   sw,nofail   0 0")
    #expect(MountTableRule.addingOption("nofail", to: "LABEL=d /d xfs") == "LABEL=d /d xfs\tdefaults,nofail")
    #expect(MountTableRule.addingOption("nofail", to: "  LABEL=d /d xfs rw,nofail 0 0") == "  LABEL=d /d xfs rw,nofail 0 0")
  }
}
