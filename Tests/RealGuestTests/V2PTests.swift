import Foundation
import Testing
import V2VCore
import V2VModel
import V2VProcess
import V2VTestSupport

/// V2P: guests converted by the real binary with `-o physical` and booted as a plain PC would boot them (q35,
/// an AHCI disk, an Intel e1000 NIC, no virtio device at all), BIOS and UEFI with an empty NVRAM; one
/// conversion per case with every assertion on it, a negative control, the safety refusals and an
/// interrupted write. Serialized: each conversion and boot wants both cores.
@Suite("V2P: virtual machines onto physical disks", .serialized, .offPool)
struct V2PTests {
  struct Converted {
    var run: V2VRun
    var result: [String: Any]? { run.jsonResult }
    var passed: Bool { (result?["boot"] as? [String: Any])?["passed"] as? Bool ?? false }
    var evidence: String { (result?["boot"] as? [String: Any])?["evidence"] as? String ?? "no boot result: \(run.stderr)" }
    var summaries: [String] {
      ((result?["conversion"] as? [String: Any])?["changes"] as? [[String: Any]] ?? []).compactMap { $0["summary"] as? String }
    }
    var writes: [[String: Any]] { result?["writes"] as? [[String: Any]] ?? [] }
    var firmware: String? { (result?["platform"] as? [String: Any])?["firmware"] as? String }
  }

  static func convert(_ label: String, _ args: [String]) throws -> Converted {
    let t0 = Date()
    let r = try V2VRun.run(["convert"] + args + ["--verify-boot", "--json"])
    let c = Converted(run: r)
    print("\(label): exit \(r.status) in \(Int(Date().timeIntervalSince(t0))) s; boot: \(c.evidence); writes: \(c.writes)")
    return c
  }

  /// The ext filesystem size (bytes) in partition `number` of a raw disk image, from its superblock.
  static func extSize(image: String, partition number: Int) throws -> UInt64 {
    let r = try ProcessRunner.run(["sfdisk", "--json", image])
    let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
    let parts = (obj?["partitiontable"] as? [String: Any])?["partitions"] as? [[String: Any]] ?? []
    guard let p = parts.first(where: { ($0["node"] as? String)?.hasSuffix(String(number)) == true }),
      let start = (p["start"] as? NSNumber)?.uint64Value
    else { throw FixtureError(description: "no partition \(number) in \(image): \(r.stdout)") }
    let h = try FileHandle(forReadingFrom: URL(fileURLWithPath: image))
    defer { try? h.close() }
    try h.seek(toOffset: start * 512 + 1024)
    let sb = [UInt8](try h.read(upToCount: 64) ?? Data())
    guard sb.count == 64, sb[56] == 0x53, sb[57] == 0xEF else { throw FixtureError(description: "no ext superblock in partition \(number)") }
    func u32(_ o: Int) -> UInt64 { UInt64(sb[o]) | UInt64(sb[o + 1]) << 8 | UInt64(sb[o + 2]) << 16 | UInt64(sb[o + 3]) << 24 }
    return u32(4) * (1024 << u32(24))
  }

  /// Whether the first MiB of `path` is all zeros.
  static func headIsBlank(_ path: String) throws -> Bool {
    let h = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? h.close() }
    return (try h.read(upToCount: 1 << 20) ?? Data()).allSatisfy { $0 == 0 }
  }

  @Test("KVM guest (virtio-only initramfs, /dev/vda3, qemu-guest-agent) -> raw image, BIOS: boots on AHCI + e1000 with root by UUID")
  func kvmToImageBIOS() throws {
    let f = try GuestFixture.named("kvm-debian12")
    let image = try f.file("image")
    let before = try sha256(image)
    let dir = try TempDir()
    let target = dir.path + "/server.img"
    let c = try Self.convert("kvm -> image (BIOS)", ["-i", "libvirtxml", try f.file("libvirtXML"), "-o", "physical", "-os", target])
    #expect(c.run.status == 0, "\(c.run.stderr)")
    #expect(c.passed)
    // Root found through its UUID, on the AHCI disk (/dev/sda3), not virtio's /dev/vda3.
    #expect(c.evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/sda3"), "\(c.evidence)")
    #expect(c.firmware == "bios")
    let s = c.summaries
    #expect(s.contains { $0.hasPrefix("/etc/fstab:") && $0.contains("/dev/vda3 -> UUID=") && $0.contains("/dev/vda2 -> UUID=") }, "\(s)")
    #expect(s.contains { $0.contains("GRUB_DISABLE_LINUX_UUID off") }, "\(s)")
    #expect(s.contains { $0.contains("console=tty0 console=ttyS0") }, "\(s)")
    #expect(s.contains { $0.contains("MODULES=most") }, "\(s)")
    #expect(s.contains { $0.contains("remove qemu-guest-agent") }, "\(s)")
    #expect(s.contains { $0.contains("ahci") && $0.contains("nvme") && $0.contains("megaraid_sas") && $0.hasPrefix("append") }, "\(s)")
    #expect(s.contains { $0.hasPrefix("install GRUB boot code on /dev/sda") }, "\(s)")
    let w = c.writes.first
    #expect(w?["verified"] as? Bool == true, "\(c.writes)")
    #expect(w?["sha256"] as? String == String(try sha256(target)), "the reported digest is the image's")
    // Sparse: far less allocated than the 4 GiB disk.
    var st = stat()
    #expect(stat(target, &st) == 0 && UInt64(st.st_blocks) * 512 < 2 << 30)
    #expect(try sha256(image) == before, "the source image was modified")
  }

  @Test("KVM guest -> loop block device twice its size, --firmware uefi --grow --force: boots under OVMF (empty NVRAM), root grown")
  func kvmToLoopDeviceUEFIGrow() throws {
    let f = try GuestFixture.named("kvm-debian12")
    let dir = try TempDir()
    let backing = dir.path + "/disk.raw"
    #expect(truncate(backing, 8 << 30) == 0 || FileManager.default.createFile(atPath: backing, contents: nil) && truncate(backing, 8 << 30) == 0)
    // An old partition table on the target: refused without --force, overwritten with it.
    _ = try ProcessRunner.run(["sh", "-c", "printf 'label: gpt\\nsize=100MiB\\n' | sfdisk -q \(backing)"])
    let dev = try LoopDevice.attach(backing, partitions: 0)
    defer { LoopDevice.detach(dev, partitions: 0) }
    let xml = try f.file("libvirtXML")
    let refused = try V2VRun.run(["convert", "-i", "libvirtxml", xml, "-o", "physical", "-os", dev])
    #expect(refused.status == 6, "\(refused.stderr)")
    #expect(refused.stderr.contains("\(dev): holds data (") && refused.stderr.contains("gpt") && refused.stderr.contains("--force"), "\(refused.stderr)")

    let c = try Self.convert("kvm -> loop device (UEFI, grow)", ["-i", "libvirtxml", xml, "-o", "physical", "-os", dev, "--firmware", "uefi", "--grow", "--force"])
    #expect(c.run.status == 0, "\(c.run.stderr)")
    #expect(c.passed)
    #expect(c.evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/sda3"), "\(c.evidence)")
    #expect(c.firmware == "uefi")
    let s = c.summaries
    #expect(s.contains { $0.contains("move the GPT backup header") }, "\(s)")
    #expect(s.contains { $0.contains("grow partition 3") }, "\(s)")
    #expect(s.contains { $0.contains("grow the ext filesystem") }, "\(s)")
    #expect(s.contains { $0.contains("EFI/BOOT/BOOTX64.EFI") }, "\(s)")
    #expect(!s.contains { $0.hasPrefix("install GRUB boot code") }, "no BIOS boot code for a UEFI machine: \(s)")
    #expect(c.writes.first?["verified"] as? Bool == true, "\(c.writes)")
    // The root filesystem fills the 8 GiB device (it was under 4 GiB).
    let size = try Self.extSize(image: backing, partition: 3)
    #expect(size > 7 << 30, "root is \(size) bytes")
  }

  @Test("VMware guest -> raw image: V2P from another hypervisor also boots on AHCI; open-vm-tools removed, fstab by UUID")
  func vmwareToImage() throws {
    let f = try GuestFixture.named("vmware-debian12-bios")
    let dir = try TempDir()
    let target = dir.path + "/vmware.img"
    let c = try Self.convert("vmware -> image", ["-i", "vmx", f.vmx, "-o", "physical", "-os", target])
    #expect(c.run.status == 0, "\(c.run.stderr)")
    #expect(c.passed)
    #expect(c.evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/sda1"), "\(c.evidence)")
    let s = c.summaries
    #expect(s.contains { $0.hasPrefix("/etc/fstab:") && $0.contains("/dev/sda1 -> UUID=") }, "\(s)")
    #expect(s.contains { $0.contains("remove open-vm-tools") }, "\(s)")
    #expect(c.writes.first?["verified"] as? Bool == true)
  }

  @Test("negative control: the unconverted KVM image does not boot on AHCI (its initramfs has only virtio)")
  func unconvertedDoesNotBootOnAHCI() throws {
    let f = try GuestFixture.named("kvm-debian12")
    let spec = BootSpec(
      disks: [.init(path: try f.file("image"), format: "qcow2", bus: .sata)], nicModel: .e1000, timeout: 90)
    let r = try BootChecker().boot(spec)
    print("control: \(r.outcome.rawValue) after \(Int(r.seconds)) s: \(r.evidence)")
    #expect(!r.passed, "\(r.evidence)")
    #expect(r.outcome != .qemuError, "\(r.evidence)")
  }

  @Test("refusals before anything is written: too small, a mounted target, the source itself, a loop-attached image, a partition; -of qcow2")
  func refusals() throws {
    let f = try GuestFixture.named("kvm-debian12")
    let xml = try f.file("libvirtXML")
    let dir = try TempDir()
    // Too small: the disk is 4 GiB.
    let small = dir.path + "/small.img"
    #expect(truncate(small, 1 << 30) == 0 || (FileManager.default.createFile(atPath: small, contents: nil) && truncate(small, 1 << 30) == 0))
    let r1 = try V2VRun.run(["convert", "-i", "libvirtxml", xml, "-o", "physical", "-os", small, "--force"])
    #expect(r1.status == 6 && r1.stderr.contains("\(small): too small: 1.0 GiB"), "\(r1.stderr)")
    // A mounted target (read-only, even): in use, whatever --force says.
    let fsImage = dir.path + "/fs.img"
    #expect(truncate(fsImage, 8 << 30) == 0 || (FileManager.default.createFile(atPath: fsImage, contents: nil) && truncate(fsImage, 8 << 30) == 0))
    _ = try ProcessRunner.run(["mkfs.ext4", "-q", "-F", fsImage])
    let dev = try LoopDevice.attach(fsImage, partitions: 0)
    defer { LoopDevice.detach(dev, partitions: 0) }
    let mnt = dir.path + "/mnt"
    try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
    #expect(try ProcessRunner.run(["mount", "-o", "ro", dev, mnt]).succeeded)
    let r2 = try V2VRun.run(["convert", "-i", "libvirtxml", xml, "-o", "physical", "-os", dev, "--force"])
    _ = try ProcessRunner.run(["umount", mnt])
    #expect(r2.status == 6 && r2.stderr.contains("in use: \(dev) is mounted on \(mnt) (ext4, read-only)"), "\(r2.stderr)")
    // The image attached to a loop device is in use too.
    let r3 = try V2VRun.run(["convert", "-i", "libvirtxml", xml, "-o", "physical", "-os", fsImage, "--force"])
    #expect(r3.status == 6 && r3.stderr.contains("attached as \(dev)"), "\(r3.stderr)")
    // The source's own disk.
    let r4 = try V2VRun.run(["convert", "-i", "libvirtxml", xml, "-o", "physical", "-os", try f.file("image"), "--force"])
    #expect(r4.status == 6 && r4.stderr.contains("is the source disk itself"), "\(r4.stderr)")
    // A partition of a disk, not the disk.
    let parted = dir.path + "/parted.img"
    #expect(FileManager.default.createFile(atPath: parted, contents: nil) && truncate(parted, 8 << 30) == 0)
    _ = try ProcessRunner.run(["sh", "-c", "printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q \(parted)"])
    let pdev = try LoopDevice.attach(parted, partitions: 1)
    defer { LoopDevice.detach(pdev, partitions: 1) }
    let r7 = try V2VRun.run(["convert", "-i", "libvirtxml", xml, "-o", "physical", "-os", pdev + "p1", "--force"])
    #expect(r7.status == 6 && r7.stderr.contains("\(pdev)p1: is a partition: give the whole disk"), "\(r7.stderr)")
    // Usage errors.
    let r5 = try V2VRun.run(["convert", "-i", "libvirtxml", xml, "-o", "physical", "-os", small, "-of", "qcow2"])
    #expect(r5.status == 64 && r5.stderr.contains("raw"), "\(r5.stderr)")
    let r6 = try V2VRun.run(["convert", "-i", "libvirtxml", xml, "-o", "local", "-os", dir.path, "--grow"])
    #expect(r6.status == 64 && r6.stderr.contains("--grow is only for -o physical"), "\(r6.stderr)")
    for r in [r1, r2, r3, r4, r7] { #expect(r.stderr.split(separator: "\n").filter { $0.hasPrefix("v2v: error:") }.count == 1, "\(r.stderr)") }
    // --dry-run's "would write: …" line is the writer's plan summary: unit-tested (PhysicalWriterPlanTests)
    // without an appliance start.
  }

  @Test("SIGTERM while the disk is being written: exit 143, says how far it got, the target's head is blank (no partition table)")
  func interruptedWrite() throws {
    let f = try GuestFixture.named("kvm-debian12")
    let dir = try TempDir()
    let backing = dir.path + "/target.raw"
    #expect(FileManager.default.createFile(atPath: backing, contents: nil) && truncate(backing, 6 << 30) == 0)
    let dev = try LoopDevice.attach(backing, partitions: 0)
    defer { LoopDevice.detach(dev, partitions: 0) }
    let work = dir.path + "/work"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let log = dir.path + "/stdout", errLog = dir.path + "/stderr"
    let p = try ProcessRunner.start(
      [RepoPaths.v2vBinary, "convert", "-i", "libvirtxml", try f.file("libvirtXML"), "-o", "physical", "-os", dev, "--work-dir", work, "--json"],
      stdout: log, stderr: errLog)
    defer { p.terminate(grace: 2) }
    // Interrupt once the target has data on it: the first "writing" progress event past zero.
    let deadline = Date().addingTimeInterval(900)
    var sawWriting = false
    while Date() < deadline, p.isRunning {
      let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      for line in text.split(separator: "\n").reversed() where line.contains("disk 1 writing") {
        if let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let fr = (o["fraction"] as? NSNumber)?.doubleValue, fr >= 0.05
        {
          sawWriting = true
        }
        break
      }
      if sawWriting { break }
      Thread.sleep(forTimeInterval: 0.05)
    }
    #expect(sawWriting, "never saw the write start: \((try? String(contentsOfFile: errLog, encoding: .utf8)) ?? "")")
    p.send(signal: SIGTERM)
    p.waitUntilExit(timeout: 60)
    let stderr = (try? String(contentsOfFile: errLog, encoding: .utf8)) ?? ""
    print("interrupted: \(stderr)")
    #expect(p.terminationStatus == 143)
    #expect(stderr.contains("\(dev): stopped at ") && stderr.contains("first MiB is blank"), "\(stderr)")
    #expect(try Self.headIsBlank(backing), "the target has a partition table or boot sector after an interrupted write")
    let sig = try ProcessRunner.run(["wipefs", "--no-act", "--json", backing])
    #expect(!sig.stdout.contains("\"gpt\"") && !sig.stdout.contains("PMBR"), "\(sig.stdout)")
    #expect(((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).isEmpty, "scratch files left in the work directory")
  }
}
