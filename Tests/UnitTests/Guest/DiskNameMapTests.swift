import Testing
import V2VTestSupport
import V2VCore
import V2VModel

/// The device-name map comes from each source disk's own name and the platform's naming.
@Suite("disk name map", .offPool)
struct DiskNameMapTests {
  static func source(_ names: [String?], hypervisor: Hypervisor = .xen) -> SourceVM {
    SourceVM(
      name: "g", hypervisor: hypervisor,
      disks: names.map { Disk(source: .file(path: "/dev/null"), format: .raw, bus: .xen, targetName: $0) }, origin: "t")
  }

  static func rewrite(_ text: String, _ source: SourceVM, _ platform: TargetPlatform) -> String {
    DeviceNameRewriter.rewrite(text, map: DiskNameMap.build(source: source, platform: platform)).text
  }

  static let scsi = TargetPlatform.kvm(KVMPlatform(diskBus: .virtioSCSI))

  @Test("Xen partition-style disks (xvda1 root, xvda2 swap, xvdb data) map to whole target disks")
  func xenPartitionStyle() {
    let src = Self.source(["xvda1", "xvda2", "xvdb"])
    let fstab = "/dev/xvda1 / ext4 defaults 0 1\n/dev/xvda2 none swap sw 0 0\n/dev/xvdb1 /srv ext4 defaults 0 2\n"
    #expect(
      Self.rewrite(fstab, src, .kvmDefault)
        == "/dev/vda / ext4 defaults 0 1\n/dev/vdb none swap sw 0 0\n/dev/vdc1 /srv ext4 defaults 0 2\n")
    // Not /dev/vda2: the swap image is the second target disk.
    #expect(Self.rewrite("resume=/dev/xvda2", src, .kvmDefault) == "resume=/dev/vdb")
    // A partition-style name is only ever renamed whole.
    #expect(Self.rewrite("/dev/xvda21", src, .kvmDefault) != "/dev/vdb1")
    #expect(Self.rewrite(fstab, src, Self.scsi).hasPrefix("/dev/sda / ext4"))
    #expect(Self.rewrite(fstab, src, Self.scsi).contains("/dev/sdb none swap"))
  }

  @Test("disks named out of order by the source map by name, not by index")
  func namedOutOfOrder() {
    let src = Self.source(["xvdb", "xvda"])
    #expect(Self.rewrite("/dev/xvda1 /dev/xvdb1", src, .kvmDefault) == "/dev/vdb1 /dev/vda1")
  }

  @Test("on virtio-scsi, SCSI disks stay /dev/sdX and other names become /dev/sdX")
  func virtioSCSI() {
    let vmware = Self.source([nil, nil], hypervisor: .vmware)
    let text = "/dev/sda1 / ext4\n/dev/sdb1 none swap\n/dev/hda1 /old\n/dev/xvdb2 /x\n"
    #expect(Self.rewrite(text, vmware, Self.scsi) == "/dev/sda1 / ext4\n/dev/sdb1 none swap\n/dev/sda1 /old\n/dev/sdb2 /x\n")
    #expect(DiskNameMap.build(source: vmware, platform: Self.scsi).allSatisfy { $0.from != $0.to }, "no identity renames")
    let kvm = Self.source(["vda", "vdb"], hypervisor: .kvm)
    #expect(Self.rewrite("/dev/vda1 /dev/vdb", kvm, Self.scsi) == "/dev/sda1 /dev/sdb")
    #expect(Self.rewrite("/dev/sda1 /dev/sdb", vmware, .kvmDefault) == "/dev/vda1 /dev/vdb")
  }

  @Test("non-Linux source names (VMware scsi0:1) fall back to the usual guesses by index")
  func fallback() {
    let src = Self.source(["scsi0:0", "scsi0:1"], hypervisor: .vmware)
    #expect(Self.rewrite("/dev/sdb1 /dev/hda1", src, .kvmDefault) == "/dev/vdb1 /dev/vda1")
  }

  @Test("the appliance's names map to the target's, for what grub-mkconfig wrote")
  func applianceNames() {
    let ctx = ConversionContext(source: Self.source(["sda", "sdb"]), platform: Self.scsi, applianceDiskNames: ["/dev/sdb", "/dev/sdc"])
    #expect(ctx.targetDisks == ["/dev/sda", "/dev/sdb"])
    #expect(DeviceNameRewriter.rewrite("root=/dev/sdb1 /dev/sdc1", map: ctx.applianceRenames).text == "root=/dev/sda1 /dev/sdb1")
  }

  @Test("libguestfs's mountpoints for partition-style disks point at the whole appliance disk")
  func partitionStyleMountpoints() {
    // libguestfs reads /dev/xvda1 and /dev/xvda2 in fstab as partitions of the first disk.
    let libguestfs = ["/": "/dev/sda1", "/srv": "/dev/sdc1", "/boot": "/dev/sda2"]
    let fixed = DiskNameMap.applianceMountpoints(libguestfs, source: Self.source(["xvda1", "xvda2", "xvdb"]))
    #expect(fixed == ["/": "/dev/sda", "/boot": "/dev/sdb", "/srv": "/dev/sdc1"])
    // Whole-disk names change nothing.
    #expect(DiskNameMap.applianceMountpoints(libguestfs, source: Self.source(["xvda", "xvdb"])) == libguestfs)
    // Order matters, not the name: root listed second (xen-tools: swap xvda1 first, root xvda2 second).
    #expect(DiskNameMap.applianceMountpoints(["/": "/dev/sda2"], source: Self.source(["xvda1", "xvda2"])) == ["/": "/dev/sdb"])
  }
}
