import Foundation
import V2VProcess
import Testing
@testable import V2VConverters
import V2VCore
import V2VModel
import V2VTestSupport

@Suite("LinuxConverter: Debian family", .offPool)
struct LinuxConverterDebianTests {
  typealias T = ConverterTestSupport

  @Test func debian12VMwarePlan() throws {
    let dir = try TempDir()
    let (r, _) = try T.plan("debian12-vmware", distro: "debian", major: 12, hypervisor: .vmware, in: dir)
    #expect(r.bootKernel == "6.1.0-26-amd64")
    #expect(r.serialConsole)
    #expect(
      T.edited(r.changes, "/etc/fstab")
        == "# /etc/fstab: static file system information.\n/dev/vda1 / ext4 errors=remount-ro 0 1\n"
        + "/dev/vdb1 none swap sw 0 0\nUUID=3f1c2a9e-1111-4a2b-9c3d-0123456789ab /srv ext4 defaults 0 2\n")
    #expect(r.changes.contains { $0.summary == "/etc/fstab: /dev/sda1 -> /dev/vda1, /dev/sdb1 -> /dev/vdb1" })
    #expect(T.edited(r.changes, "/etc/default/grub")?.contains("GRUB_CMDLINE_LINUX=\"root=/dev/vda1 resume=/dev/vdb1 console=tty0 console=ttyS0,115200\"") == true)
    #expect(T.edited(r.changes, "/boot/grub/device.map") == "(hd0)\t/dev/vda\n(hd1)\t/dev/vdb\n")
    #expect(T.edited(r.changes, "/etc/initramfs-tools/conf.d/resume") == "RESUME=/dev/vdb1\n")
    #expect(
      T.edited(r.changes, "/etc/initramfs-tools/modules")
        == "# List of modules that you want to include in your initramfs.\nmptspi\n"
        + "# Added by v2v: virtio drivers for KVM\nvirtio_pci\nvirtio_blk\nvirtio_scsi\nvirtio_net\n")
    #expect(
      T.commands(r.changes) == [
        ["dpkg", "--purge", "open-vm-tools", "open-vm-tools-desktop"],
        appendInitramfs("6.1.0-26-amd64"),
      ])
    #expect(
      T.removals(r.changes) == [
        "/etc/systemd/system/multi-user.target.wants/open-vm-tools.service",
        "/etc/systemd/system/multi-user.target.wants/vgauth.service",
      ])
    let optional = r.changes.filter(\.optional).map(\.summary)
    #expect(optional.count == 3 && optional[0] == "remove open-vm-tools, open-vm-tools-desktop")
    // Edits first, then the initramfs (which reads them), then grub.cfg's fix-up, last: only disk names change
    // (GRUB_CMDLINE_LINUX's root= and resume=), so grub.cfg is renamed as text, not regenerated.
    let kinds = r.changes.map(\.summary)
    let initramfs = try #require(kinds.firstIndex { $0.hasPrefix("append virtio_pci virtio_blk virtio_scsi virtio_net to /boot/initrd.img-6.1.0-26-amd64") })
    #expect(kinds.firstIndex(of: "/etc/initramfs-tools/conf.d/resume: /dev/sdb1 -> /dev/vdb1")! < initramfs)
    #expect(!kinds.contains { $0.hasPrefix("regenerate") })
    guard case .rewriteDeviceNames(let path, let map) = r.changes.last!.kind else {
      Issue.record("last change is not the grub.cfg fix-up")
      return
    }
    #expect(path == "/boot/grub/grub.cfg")
    #expect(
      r.changes.last!.summary == "/boot/grub/grub.cfg: /dev/sda1 -> /dev/vda1, /dev/sdb1 -> /dev/vdb1 (text fix-up, not regenerated: "
        + "its default entry already boots 6.1.0-26-amd64 and the kernel command line does not change)")
    #expect(map.contains(DeviceRename(from: "/dev/sda", to: "/dev/vda")) && map.contains(DeviceRename(from: "/dev/sdb", to: "/dev/vdb")))
    #expect(r.warnings.contains { $0.contains("ens192") })
  }

  @Test func debian12VMwareApply() throws {
    let dir = try TempDir()
    let (r, s) = try T.plan("debian12-vmware", distro: "debian", major: 12, hypervisor: .vmware, in: dir)
    let warnings = try ChangeApplier.apply(r.changes, to: s)
    #expect(warnings.isEmpty)
    // grub.cfg renamed as text (no generator run).
    #expect(
      T.file(s, "/boot/grub/grub.cfg") == "menuentry 'Debian GNU/Linux' {\n\tlinux /boot/vmlinuz-6.1.0-26-amd64 root=/dev/vda1 ro "
        + "resume=/dev/vdb1 console=tty0 console=ttyS0,115200 quiet\n\tinitrd /boot/initrd.img-6.1.0-26-amd64\n}\n")
    #expect(T.file(s, "/etc/fstab")?.contains("/dev/vda1 / ext4") == true)
    #expect(T.file(s, "/etc/initramfs-tools/modules")?.hasSuffix("virtio_net\n") == true)
    #expect(try s.readLink("/etc/systemd/system/multi-user.target.wants/vgauth.service") == nil)
    #expect(try s.readLink("/etc/systemd/system/multi-user.target.wants/ssh.service") != nil)
    #expect(s.commands.map { $0[0] } == ["dpkg", "/bin/sh"])
    #expect(s.commands[1].contains("v2v-initramfs"))
    // Planning again on the converted tree finds nothing left to edit.
    let again = try LinuxConverter().plan(
      session: s, inspection: T.inspection(distro: "debian", major: 12), context: T.context(.vmware))
    #expect(!again.changes.contains { if case .editFile = $0.kind { return true } else { return false } })
  }

  @Test func failedPackageRemovalIsAWarning() throws {
    let dir = try TempDir()
    let (r, s) = try T.plan("debian12-vmware", distro: "debian", major: 12, hypervisor: .vmware, in: dir)
    s.fail(["dpkg"], message: "dependency problems")
    let warnings = try ChangeApplier.apply(r.changes, to: s)
    #expect(warnings.count == 1 && warnings[0].contains("remove open-vm-tools"))
    #expect(try s.readLink("/etc/systemd/system/multi-user.target.wants/open-vm-tools.service") == nil)
  }

  @Test func ubuntuXenPlanAndApply() throws {
    let dir = try TempDir()
    let (r, s) = try T.plan("ubuntu-xen-hvc0", distro: "ubuntu", major: 22, hypervisor: .xen, in: dir)
    #expect(r.bootKernel == "5.15.0-91-generic")
    #expect(r.warnings.contains { $0.contains("default kernel 5.15.0-1051-xenonly cannot boot from virtio-blk disks") })
    #expect(r.warnings.contains { $0.contains("interface eth0") })
    #expect(r.serialConsole)
    #expect(
      T.edited(r.changes, "/etc/fstab")
        == "LABEL=cloudimg-rootfs / ext4 defaults 0 1\n/dev/vda1 /boot ext4 defaults 0 2\n/dev/vda2 none swap sw 0 0\n"
        + "/dev/vdb /data xfs defaults,nofail 0 2\n")
    #expect(
      T.edited(r.changes, "/etc/default/grub")
        == "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"console=tty0 console=ttyS0 quiet\"\nGRUB_CMDLINE_LINUX=\"resume=/dev/vda2\"\n")
    #expect(T.edited(r.changes, "/etc/securetty") == "console\ntty1\nhvc0\nttyS0\n")
    #expect(
      T.commands(r.changes) == [
        ["dpkg", "--purge", "xe-guest-utilities", "xenstore-utils"],
        appendInitramfs("5.15.0-91-generic"),
        ["update-grub"],
      ])
    _ = try ChangeApplier.apply(r.changes, to: s)
    #expect(T.file(s, "/etc/initramfs-tools/modules") == "# Added by v2v: virtio drivers for KVM\nvirtio_pci\nvirtio_blk\nvirtio_scsi\nvirtio_net\n")
    #expect(try s.readLink("/etc/systemd/system/multi-user.target.wants/xe-linux-distribution.service") == nil)
  }

  @Test func xenstoreUtilsStaysWhenTheSourceWasNotXen() throws {
    let dir = try TempDir()
    let (r, _) = try T.plan("ubuntu-xen-hvc0", distro: "ubuntu", major: 22, hypervisor: .kvm, in: dir)
    #expect(T.commands(r.changes).first == ["dpkg", "--purge", "xe-guest-utilities"])
  }

  @Test func noVirtioKernel() throws {
    let dir = try TempDir()
    #expect(throws: ConversionError.noKernelForBus("virtio-blk", ["4.19.0-6-cloud-xen"])) {
      _ = try T.plan("no-virtio-kernel", distro: "debian", major: 10, hypervisor: .xen, in: dir)
    }
  }
}

/// The initramfs change for initramfs-tools guests: the append script, with its version and modules.
func appendInitramfs(_ version: String) -> [String] {
  ["/bin/sh", "-c", InitramfsAppendScript.text, "v2v-initramfs", version, "virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net"]
}

@Suite("initramfs append script", .offPool)
struct InitramfsAppendScriptTests {
  @Test("when it cannot append, it hands over to update-initramfs for that kernel and says so")
  func fallsBack() throws {
    let dir = try TempDir()
    let fake = dir.path + "/update-initramfs"
    try "#!/bin/sh\necho \"FALLBACK $*\"\n".write(toFile: fake, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
    let path = dir.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    let r = try ProcessRunner.run(
      ["/bin/sh", "-c", InitramfsAppendScript.text, "v2v-initramfs", "0.0-no-such-kernel", "virtio_blk"],
      environment: ["PATH": path])
    #expect(r.succeeded)
    #expect(
      r.stdout == "FALLBACK -u -k 0.0-no-such-kernel\n"
        + "V2V-INITRAMFS: rebuilt /boot/initrd.img-0.0-no-such-kernel with update-initramfs (no /boot/initrd.img-0.0-no-such-kernel)\n")
    #expect(r.stdout.contains(InitramfsAppendScript.rebuiltMarker))
    #expect(r.stderr.contains("cannot append to /boot/initrd.img-0.0-no-such-kernel"))
  }

  /// A sandbox for the script: its `/boot` and `/var/tmp` moved under a temporary directory, and fake guest
  /// tools first on PATH (`unmkinitramfs`, `depmod`, `modprobe`, `update-initramfs`; real `cpio`).
  struct Sandbox {
    static let version = "9.9-test"
    let dir: TempDir
    var boot: String { dir.path + "/boot" }
    var scratch: String { dir.path + "/var/tmp" }
    var image: String { boot + "/initrd.img-\(Self.version)" }

    /// `compressedImage`: the image is a real zstd-compressed archive (modules tree, conf/modules and a file
    /// outside them), followed by `trailer` when given (an archive appended by an earlier conversion);
    /// otherwise the text `OLD-IMAGE`, which only the fake unmkinitramfs can "unpack".
    init(unpacks: Bool, compressedImage: Bool = false, trailer: String = "") throws {
      dir = try TempDir()
      for d in ["/boot", "/var/tmp", "/bin"] {
        try FileManager.default.createDirectory(atPath: dir.path + d, withIntermediateDirectories: true)
      }
      let v = Self.version
      if compressedImage {
        let tree = dir.path + "/tree"
        let r = try ProcessRunner.run([
          "/bin/sh", "-c",
          "set -e; mkdir -p \"$1/usr/lib/modules/$2/kernel\" \"$1/conf\" \"$1/usr/bin\"; echo old > \"$1/usr/lib/modules/$2/modules.dep\"; "
            + "echo ko > \"$1/usr/lib/modules/$2/kernel/ahci.ko\"; echo ahci > \"$1/conf/modules\"; echo sh > \"$1/usr/bin/busybox\"; "
            + "(cd \"$1\" && find . | cpio --quiet -o -H newc) | zstd -q > \"$3\"; printf %s \"$4\" >> \"$3\"",
          "mk", tree, v, image, trailer,
        ])
        #expect(r.succeeded, "\(r.stderr)")
      } else {
        try "OLD-IMAGE".write(toFile: image, atomically: true, encoding: .utf8)
      }
      let tools = [
        // `unmkinitramfs IMAGE DIR`: an early (microcode) and a main archive holding the modules tree.
        "unmkinitramfs": unpacks
          ? "mkdir -p \"$2/early\" \"$2/main/usr/lib/modules/\(v)/kernel\" \"$2/main/conf\"\n"
            + "echo old > \"$2/main/usr/lib/modules/\(v)/modules.dep\"\necho ahci > \"$2/main/conf/modules\"\n"
          : "exit 1\n",
        "depmod": "[ \"$1\" = -b ] && echo new > \"$2/lib/modules/$3/modules.dep\"\n",
        // `modprobe -a -S V --show-depends M...`: insmod lines for $FAKE_MODS (dependencies repeat, as they do).
        "modprobe": "for f in ${FAKE_MODS:-}; do echo \"insmod $f \"; done\n",
        "update-initramfs": "echo \"FALLBACK $*\"\nexit ${FAKE_RC:-0}\n",
      ]
      for (name, body) in tools {
        let p = dir.path + "/bin/" + name
        try ("#!/bin/sh\n" + body).write(toFile: p, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: p)
      }
    }

    /// Runs the script with its paths moved into the sandbox.
    func run(rc: Int = 0, modules: [String] = []) throws -> ProcessRunner.Result {
      let text = InitramfsAppendScript.text
      #expect(text.contains("/boot/initrd.img-") && text.contains("/var/tmp/v2v-initramfs."))
      let moved = text.replacingOccurrences(of: "/boot/", with: boot + "/")
        .replacingOccurrences(of: "/var/tmp/", with: scratch + "/")
      let path = dir.path + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
      return try ProcessRunner.run(
        ["/bin/sh", "-c", moved, "v2v-initramfs", Self.version, "virtio_blk"],
        environment: ["PATH": path, "FAKE_RC": String(rc), "FAKE_MODS": modules.joined(separator: " ")])
    }

    /// Files the script left behind: anything in the scratch directory, and a half-written image.
    func leftovers() throws -> [String] {
      try FileManager.default.contentsOfDirectory(atPath: scratch).map { scratch + "/" + $0 }
        + FileManager.default.contentsOfDirectory(atPath: boot).filter { $0.hasSuffix(".v2v-new") }
    }
  }

  @Test("the append path says it appended and leaves no scratch files")
  func appends() throws {
    let box = try Sandbox(unpacks: true)
    let r = try box.run()
    #expect(r.succeeded, "\(r.stderr)")
    #expect(
      r.stdout == "V2V-INITRAMFS: appended 0 module files and the module index to \(box.image) (unpacked with unmkinitramfs)\n",
      "\(r.stdout)")
    #expect(!r.stdout.contains("FALLBACK"))
    let image = try String(decoding: Data(contentsOf: URL(fileURLWithPath: box.image)), as: UTF8.self)
    #expect(image.hasPrefix("OLD-IMAGE") && image.contains("conf/modules") && image.contains("virtio_blk"))
    #expect(try box.leftovers() == [])
  }

  @Test("a one-archive zstd image: only its module tree is decompressed (no unmkinitramfs), the old archive is kept whole, conf/modules extended")
  func appendsToCompressedImage() throws {
    let box = try Sandbox(unpacks: false, compressedImage: true)
    let before = try Data(contentsOf: URL(fileURLWithPath: box.image))
    let r = try box.run()
    #expect(r.succeeded, "\(r.stderr)")
    #expect(r.stdout == "V2V-INITRAMFS: appended 0 module files and the module index to \(box.image) (unpacked with zstd)\n", "\(r.stdout)")
    let after = try Data(contentsOf: URL(fileURLWithPath: box.image))
    #expect(after.prefix(before.count) == before)
    let added = String(decoding: after.dropFirst(before.count), as: UTF8.self)
    #expect(added.contains("usr/lib/modules/\(Sandbox.version)/modules.dep") && added.contains("ahci\nvirtio_blk\n"), "\(added)")
    #expect(!added.contains("busybox"))
    #expect(try box.leftovers() == [])
  }

  @Test("the modules and their dependencies are copied once each, into the index tree and the appended archive; ones the image has are not")
  func copiesModules() throws {
    let box = try Sandbox(unpacks: false, compressedImage: true)
    let tree = box.dir.path + "/lib/modules/\(Sandbox.version)"
    let files = ["kernel/drivers/virtio/virtio.ko", "kernel/drivers/block/virtio_blk.ko", "kernel/ahci.ko"]
    for f in files {
      try FileManager.default.createDirectory(atPath: tree + "/" + (f as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try "MODULE \(f)".write(toFile: tree + "/" + f, atomically: true, encoding: .utf8)
    }
    let before = try Data(contentsOf: URL(fileURLWithPath: box.image))
    let r = try box.run(modules: [files[0], files[1], files[0], files[2]].map { tree + "/" + $0 })
    #expect(r.succeeded, "\(r.stderr)")
    #expect(r.stdout.hasPrefix("V2V-INITRAMFS: appended 2 module files"), "\(r.stdout)")
    let added = String(decoding: try Data(contentsOf: URL(fileURLWithPath: box.image)).dropFirst(before.count), as: UTF8.self)
    #expect(added.contains("usr/lib/modules/\(Sandbox.version)/kernel/drivers/block/virtio_blk.ko") && added.contains("MODULE kernel/drivers/block/virtio_blk.ko"))
    #expect(added.contains("usr/lib/modules/\(Sandbox.version)/kernel/drivers/virtio/virtio.ko"))
    #expect(!added.contains("MODULE kernel/ahci.ko"), "the image has ahci.ko already")
    #expect(try box.leftovers() == [])
  }

  @Test("a compressed image with an archive already appended: not decompressed directly; unmkinitramfs's path (here failing: the fallback)")
  func compressedImageWithTrailer() throws {
    let box = try Sandbox(unpacks: false, compressedImage: true, trailer: "070701-appended-by-an-earlier-run")
    let r = try box.run()
    #expect(r.stderr.contains("cannot unpack it"), "\(r.stderr)")
    #expect(r.stdout.hasPrefix("FALLBACK -u -k \(Sandbox.version)"), "\(r.stdout)")
    #expect(try box.leftovers() == [])
  }

  @Test("a fallback after the scratch directory exists removes it and keeps update-initramfs's status")
  func fallbackCleansUp() throws {
    let box = try Sandbox(unpacks: false)
    let ok = try box.run()
    #expect(ok.succeeded, "\(ok.stderr)")
    #expect(ok.stderr.contains("cannot unpack it"))
    #expect(ok.stdout.hasPrefix("FALLBACK -u -k \(Sandbox.version)\n\(InitramfsAppendScript.rebuiltMarker)"), "\(ok.stdout)")
    #expect(!ok.stdout.contains(InitramfsAppendScript.appendedMarker))
    #expect(try box.leftovers() == [])

    let failed = try box.run(rc: 7)
    #expect(failed.status == 7)
    #expect(!failed.stdout.contains(InitramfsAppendScript.rebuiltMarker))
    #expect(try box.leftovers() == [])
  }

@Test("the script is valid sh")
  func syntax() throws {
    #expect(try ProcessRunner.run(["/bin/sh", "-n", "-c", InitramfsAppendScript.text]).succeeded)
  }
}
