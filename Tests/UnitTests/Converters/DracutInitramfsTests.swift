import Foundation
import V2VProcess
import Testing
@testable import V2VConverters
import V2VCore
import V2VModel
import V2VTestSupport

/// InitramfsRule's dracut branch: which guests reach it, the image each family names, the command, the
/// `omit_drivers` warning; and DracutAppendScript run on the host against a real two-archive image.
@Suite("InitramfsRule: dracut", .offPool)
struct DracutInitramfsTests {
  typealias T = ConverterTestSupport
  static let modules = ["virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net"]

  /// The Debian fake tree with initramfs-tools replaced by dracut (Debian's dracut has no update-initramfs).
  static func debianWithDracut(in dir: TempDir, _ setup: (FakeGuestSession) throws -> Void = { _ in }) throws -> (ConversionReport, FakeGuestSession) {
    let s = try FakeGuestSession.copyOfFixture("debian12-vmware", in: dir)
    s.createsParentDirectories = true
    try s.remove("/usr/sbin/update-initramfs")
    try s.writeText("/usr/bin/dracut", "")
    try setup(s)
    let r = try LinuxConverter().plan(session: s, inspection: T.inspection(distro: "debian", major: 12), context: T.context(.vmware))
    return (r, s)
  }

  @Test("a Debian guest with dracut (no update-initramfs) appends to /boot/initrd.img-V, dracut as the fallback")
  func debianDracut() throws {
    let dir = try TempDir()
    let (r, s) = try Self.debianWithDracut(in: dir)
    let v = "6.1.0-26-amd64"
    let expected = ["/bin/sh", "-c", DracutAppendScript.text, "v2v-dracut", v, "/boot/initrd.img-\(v)"] + Self.modules
    #expect(T.commands(r.changes).contains(expected))
    #expect(!T.commands(r.changes).contains { $0.contains { $0.contains("update-initramfs") } })
    #expect(T.edited(r.changes, "/etc/initramfs-tools/modules") == nil, "initramfs-tools' list is not touched")
    #expect(
      T.edited(r.changes, "/etc/dracut.conf.d/v2v-virtio.conf")
        == "# Added by v2v: virtio drivers for KVM\nadd_drivers+=\" virtio_pci virtio_blk virtio_scsi virtio_net \"\n")
    let summary = r.changes.map(\.summary).first { $0.hasPrefix("append ") }
    #expect(
      summary == "append virtio_pci virtio_blk virtio_scsi virtio_net to /boot/initrd.img-\(v) (fallback: dracut --force "
        + "--no-hostonly-cmdline --add-drivers virtio_pci virtio_blk virtio_scsi virtio_net --kver \(v) /boot/initrd.img-\(v))")
    // The drop-in is written before the script runs (a fallback rebuild reads it).
    let kinds = r.changes.map(\.summary)
    #expect(kinds.firstIndex { $0.hasPrefix("/etc/dracut.conf.d/v2v-virtio.conf") }! < kinds.firstIndex { $0.hasPrefix("append ") }!)
    #expect(r.warnings.allSatisfy { !$0.contains("omit_drivers") })
    _ = try ChangeApplier.apply(r.changes, to: s)
    #expect(s.commands.contains { $0.count > 3 && $0[3] == "v2v-dracut" })
  }

  @Test("a Debian guest with both tools keeps the initramfs-tools path (its image is initramfs-tools')")
  func debianWithBothTools() throws {
    let dir = try TempDir()
    let s = try FakeGuestSession.copyOfFixture("debian12-vmware", in: dir)
    s.createsParentDirectories = true
    try s.writeText("/usr/bin/dracut", "")
    let r = try LinuxConverter().plan(session: s, inspection: T.inspection(distro: "debian", major: 12), context: T.context(.vmware))
    #expect(T.commands(r.changes).contains(appendInitramfs("6.1.0-26-amd64")))
    #expect(T.edited(r.changes, "/etc/dracut.conf.d/v2v-virtio.conf") == nil)
  }

  @Test("the dracut image each family names: Debian /boot/initrd.img-V, RHEL /boot/initramfs-V.img, SUSE /boot/initrd-V")
  func familyImages() throws {
    #expect(LinuxFamilyTraits.table[.debian]!.dracutImage("6.1.0-26-amd64") == "/boot/initrd.img-6.1.0-26-amd64")
    #expect(LinuxFamilyTraits.table[.redHat]!.dracutImage("5.14.0-362.8.1.el9_3.x86_64") == "/boot/initramfs-5.14.0-362.8.1.el9_3.x86_64.img")
    #expect(LinuxFamilyTraits.table[.suse]!.dracutImage("5.14.21-150500.55.19-default") == "/boot/initrd-5.14.21-150500.55.19-default")
    let dir = try TempDir()
    let (r, _) = try T.plan("rhel9-vmware", distro: "rhel", major: 9, hypervisor: .vmware, packageFormat: "rpm", in: dir)
    let v = "5.14.0-70.13.1.el9_0.x86_64"
    #expect(T.commands(r.changes).contains(InitramfsRule.dracutCommand(version: v, image: "/boot/initramfs-\(v).img", modules: Self.modules)))
  }

  @Test("omit_drivers: exact names are overridden by add_drivers (no warning); a pattern that matches is warned about")
  func omitDrivers() throws {
    #expect(InitramfsRule.omittedModules("omit_drivers+=\" virtio_blk virtio-scsi floppy \"\n", modules: Self.modules).isEmpty)
    let hits = InitramfsRule.omittedModules(
      "# omit_drivers=\"virtio.*\"\nomit_drivers=\"nouveau virtio.* \" # comment\nomit_drivers+=' blk '\nadd_drivers=\"virtio\"\n",
      modules: Self.modules)
    #expect(hits.map(\.entry) == ["virtio.*", "blk"])
    #expect(hits.map(\.module) == ["virtio_pci", "virtio_blk"])
    let dir = try TempDir()
    let (r, _) = try Self.debianWithDracut(in: dir) { s in
      try s.writeText("/etc/dracut.conf.d/10-hardening.conf", "omit_drivers+=\" virtio_.* \"\n")
      try s.writeText("/etc/dracut.conf.d/20-exact.conf", "omit_drivers+=\" virtio_blk \"\n")
    }
    let w = r.warnings.filter { $0.contains("omit_drivers") }
    #expect(w.count == 1, "\(r.warnings)")
    #expect(w.first?.hasPrefix("/etc/dracut.conf.d/10-hardening.conf: omit_drivers \"virtio_.*\" matches virtio_pci") == true)
  }

  @Test("the script is valid sh")
  func syntax() throws {
    #expect(try ProcessRunner.run(["/bin/sh", "-n", "-c", DracutAppendScript.text]).succeeded)
  }

  /// A sandbox for the script: a real image (an early cpio, then a gzip-compressed main archive holding a
  /// modules tree), a guest modules tree with the virtio modules, `/var/tmp` and dracut's `skipcpio` moved
  /// under a temporary directory, and fake `modprobe`, `depmod`, `dracut`, `lsinitrd` first on PATH.
  struct Sandbox {
    static let version = "9.9-test"
    let dir: TempDir
    var image: String { dir.path + "/boot/initrd.img-\(Self.version)" }
    var scratch: String { dir.path + "/var/tmp" }
    var guestModules: String { dir.path + "/lib/modules/\(Self.version)" }
    /// The early archive's length (the fake skipcpio skips exactly that).
    var earlyBytes = 0

    init(compressed: Bool = true, lsinitrdLists: String = "virtio_blk.ko virtio_pci.ko") throws {
      dir = try TempDir()
      let v = Self.version
      for d in ["/boot", "/var/tmp", "/bin", "/early/kernel/x86/microcode", "/main/usr/lib/modules/\(v)/kernel/drivers/scsi", "/lib/modules/\(v)/kernel/drivers/block"] {
        try FileManager.default.createDirectory(atPath: dir.path + d, withIntermediateDirectories: true)
      }
      try "ucode".write(toFile: dir.path + "/early/kernel/x86/microcode/AuthenticAMD.bin", atomically: true, encoding: .utf8)
      try "mptspi".write(toFile: dir.path + "/main/usr/lib/modules/\(v)/kernel/drivers/scsi/mptspi.ko", atomically: true, encoding: .utf8)
      try "old index".write(toFile: dir.path + "/main/usr/lib/modules/\(v)/modules.dep", atomically: true, encoding: .utf8)
      try "VIRTIO-BLK-MODULE".write(toFile: guestModules + "/kernel/drivers/block/virtio_blk.ko", atomically: true, encoding: .utf8)
      let pack = "(cd early && find . -mindepth 1 | sort | cpio --quiet -o -H newc) > early.cpio && "
        + "(cd main && find . -mindepth 1 | sort | cpio --quiet -o -H newc) | " + (compressed ? "gzip -9n" : "od -An -tx1") + " > main.bin && "
        + "cat early.cpio main.bin > boot/initrd.img-\(v) && chmod 600 boot/initrd.img-\(v) && wc -c < early.cpio"
      let r = try ProcessRunner.run(["/bin/sh", "-c", "cd \"$1\" && " + pack, "sh", dir.path])
      guard r.succeeded, let n = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw FixtureError(description: "packing the test image: \(r.stderr)")
      }
      earlyBytes = n
      let tools = [
        "skipcpio": "tail -c +\(n + 1) \"$1\"\n",
        // `modprobe [-a] -S V --show-depends M...`: virtio_blk is a file, virtio_pci built in.
        "modprobe": "while [ \"$1\" != --show-depends ]; do shift; done; shift\nfor m in \"$@\"; do case \"$m\" in "
          + "virtio_blk) echo \"insmod \(guestModules)/kernel/drivers/block/virtio_blk.ko \" ;; *) echo \"builtin $m\" ;; esac; done\n",
        "depmod": "[ \"$1\" = -b ] && ls -R \"$2/lib/modules/$3\" > \"$2/lib/modules/$3/modules.dep\" && "
          + "echo 'alias virtio:d00000002v* virtio_blk' > \"$2/lib/modules/$3/modules.alias\"\n",
        "dracut": "echo \"FALLBACK $*\"\nexit ${FAKE_RC:-0}\n",
        "lsinitrd": "for m in \(lsinitrdLists); do echo \"-rw-r--r-- 1 root root 1 Jan 1 usr/lib/modules/x/$m\"; done\n",
      ]
      for (name, body) in tools {
        let p = dir.path + "/bin/" + name
        try ("#!/bin/sh\n" + body).write(toFile: p, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: p)
      }
    }

    /// Runs the script with its paths moved into the sandbox.
    func run(image: String? = nil, rc: Int = 0, modules: [String] = ["virtio_blk", "virtio_pci"]) throws -> ProcessRunner.Result {
      let text = DracutAppendScript.text
      #expect(text.contains("/usr/lib/dracut/skipcpio") && text.contains("/var/tmp/v2v-dracut."))
      let moved = text.replacingOccurrences(of: "/usr/lib/dracut/skipcpio", with: dir.path + "/bin/skipcpio")
        .replacingOccurrences(of: "/var/tmp/", with: scratch + "/")
      let path = dir.path + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
      return try ProcessRunner.run(
        ["/bin/sh", "-c", moved, "v2v-dracut", Self.version, image ?? self.image] + modules,
        environment: ["PATH": path, "FAKE_RC": String(rc)])
    }

    /// Files the script left behind: anything in the scratch directory, and a half-written image.
    func leftovers() throws -> [String] {
      try FileManager.default.contentsOfDirectory(atPath: scratch).map { scratch + "/" + $0 }
        + FileManager.default.contentsOfDirectory(atPath: dir.path + "/boot").filter { $0.hasSuffix(".v2v-new") }
    }
  }

  @Test("the append path: the old image kept whole, then an aligned cpio with the module and the new index; mode kept")
  func appends() throws {
    let box = try Sandbox()
    let old = try Data(contentsOf: URL(fileURLWithPath: box.image))
    let r = try box.run()
    #expect(r.succeeded, "\(r.stderr)")
    #expect(r.stdout == "V2V-INITRAMFS: appended 1 module files and the module index to \(box.image)\n", "\(r.stdout)")
    #expect(!r.stdout.contains("FALLBACK"))
    let new = try Data(contentsOf: URL(fileURLWithPath: box.image))
    #expect(new.prefix(old.count) == old, "the image is only appended to")
    var start = old.count
    while start % 4 != 0 {
      #expect(new[start] == 0)
      start += 1
    }
    let tail = box.dir.path + "/tail.cpio"
    try new.suffix(from: start).write(to: URL(fileURLWithPath: tail))
    let list = try ProcessRunner.run(["/bin/sh", "-c", "cpio -t --quiet < \"$1\"", "sh", tail])
    let names = list.stdout.split(separator: "\n").map(String.init)
    let md = "usr/lib/modules/\(Sandbox.version)"
    #expect(names.contains(md + "/kernel/drivers/block/virtio_blk.ko"), "\(names)")
    #expect(names.contains(md + "/modules.alias") && names.contains(md + "/modules.dep"))
    #expect(!names.contains(md + "/kernel/drivers/scsi/mptspi.ko"), "only what is new")
    let alias = try ProcessRunner.run(["/bin/sh", "-c", "cpio -i --quiet --to-stdout '*modules.alias' < \"$1\"", "sh", tail])
    #expect(alias.stdout == "alias virtio:d00000002v* virtio_blk\n")
    // depmod saw the image's own modules with the new one.
    let dep = try ProcessRunner.run(["/bin/sh", "-c", "cpio -i --quiet --to-stdout '*modules.dep' < \"$1\"", "sh", tail])
    #expect(dep.stdout.contains("mptspi.ko") && dep.stdout.contains("virtio_blk.ko"), "\(dep.stdout)")
    let mode = try FileManager.default.attributesOfItem(atPath: box.image)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    #expect(try box.leftovers() == [])
  }

  @Test("no image, or one it cannot read: dracut rebuilds it with --add-drivers and says so; its failure is kept")
  func fallsBack() throws {
    let box = try Sandbox()
    let missing = box.dir.path + "/boot/initrd.img-none"
    let r = try box.run(image: missing)
    #expect(r.succeeded, "\(r.stderr)")
    #expect(
      r.stdout == "FALLBACK --force --no-hostonly-cmdline --add-drivers virtio_blk virtio_pci --kver \(Sandbox.version) \(missing)\n"
        + "V2V-INITRAMFS: rebuilt \(missing) with dracut (no \(missing))\n", "\(r.stdout)")
    #expect(r.stdout.contains(DracutAppendScript.rebuiltMarker) && !r.stdout.contains(DracutAppendScript.appendedMarker))
    #expect(r.stderr.contains("cannot append to \(missing)"))

    let failed = try box.run(image: missing, rc: 7)
    #expect(failed.status == 7)
    #expect(!failed.stdout.contains(DracutAppendScript.rebuiltMarker))

    // An unknown main archive (here: hex text) is rebuilt, and the scratch directory is gone.
    let odd = try Sandbox(compressed: false)
    let o = try odd.run()
    #expect(o.succeeded, "\(o.stderr)")
    #expect(o.stderr.contains("unknown compression"), "\(o.stderr)")
    #expect(o.stdout.contains(DracutAppendScript.rebuiltMarker))
    #expect(try odd.leftovers() == [])
  }

  @Test("a rebuild that lacks a module file (an omit_drivers pattern) fails the change instead of passing silently")
  func rebuildChecked() throws {
    let box = try Sandbox(compressed: false, lsinitrdLists: "mptspi.ko")
    let r = try box.run()
    #expect(r.status == 3)
    #expect(r.stderr.contains("rebuilt \(box.image) without virtio_blk"), "\(r.stderr)")
    #expect(!r.stderr.contains("virtio_pci"), "a built-in module needs no file")
    #expect(!r.stdout.contains(DracutAppendScript.rebuiltMarker))
  }
}
