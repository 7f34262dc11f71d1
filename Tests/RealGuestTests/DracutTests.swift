import Foundation
import V2VProcess
import Testing
import V2VCore
import V2VModel
import V2VTestSupport

/// A real guest whose initramfs dracut made (`vmware-debian12-dracut`: Debian 12 with dracut in place of
/// initramfs-tools, an early microcode cpio, VMware storage drivers only, `omit_drivers` naming virtio_blk),
/// converted by the real binary and booted on virtio; and its negative control. RHEL, Fedora and SUSE take the
/// same dracut branch of InitramfsRule.
@Suite("dracut guest", .serialized, .offPool)
struct DracutTests {
  static let fixtureName = "vmware-debian12-dracut"

  /// systemd's status line while the initramfs waits for the root disk. dracut sets no limit on that job,
  /// and its own initqueue gives up only after rd.retry (180 rounds, many minutes under TCG): a minute of
  /// waiting is the failure (a converted guest finds its disk within seconds of udev starting; a loaded
  /// machine was seen waiting 28 s for a disk that did come).
  static let rootWaitStall = "dev-sda1.device/start running (1min"

  @Test("VMX -> -o local: the dracut image gains virtio_blk (appended), boots on virtio-blk with root on /dev/vda1, source untouched")
  func convertsAndBoots() throws {
    let f = try GuestFixture.named(Self.fixtureName)
    let sources = [f.vmdk, f.vmx]
    let before = try sources.map(sha256)
    let out = try TempDir()
    let t0 = Date()
    let r = try V2VRun.run(["convert", "-i", "vmx", f.vmx, "-o", "local", "-os", out.path, "--verify-boot", "--json"])
    print("dracut: conversion + boot in \(String(format: "%.0f", Date().timeIntervalSince(t0))) s")
    #expect(r.status == 0, "\(r.stderr)")
    let result = r.jsonResult
    let boot = result?["boot"] as? [String: Any]
    let evidence = boot?["evidence"] as? String ?? "no boot result"
    print("dracut: boot: \(evidence)")
    #expect(boot?["passed"] as? Bool == true)
    #expect(evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/vda1"), "\(evidence)")
    #expect(result?["applianceStarts"] as? Int == 1)

    // The dracut branch ran (Debian's dracut has no update-initramfs), on the Debian image name.
    let changes = (result?["conversion"] as? [String: Any])?["changes"] as? [[String: Any]] ?? []
    let summaries = changes.compactMap { $0["summary"] as? String }
    let append = summaries.first { $0.hasPrefix("append virtio_pci virtio_blk virtio_scsi virtio_net to /boot/initrd.img-") }
    #expect(append?.contains("(fallback: dracut --force --no-hostonly-cmdline --add-drivers") == true, "\(summaries)")
    #expect(summaries.contains("/etc/dracut.conf.d/v2v-virtio.conf: add_drivers virtio_pci virtio_blk virtio_scsi virtio_net"))
    #expect(!summaries.contains { $0.contains("initramfs-tools") || $0.contains("update-initramfs") }, "\(summaries)")
    let image = try #require(append.flatMap { $0.split(separator: " ").first { $0.hasPrefix("/boot/initrd.img-") } }.map(String.init))
    let version = String(image.dropFirst("/boot/initrd.img-".count))

    // The fast path ran (the guest script says which), not the dracut rebuild; its seconds are in the log.
    let details = r.stdout.split(separator: "\n").compactMap { line -> String? in
      guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["event"] as? String == "detail"
      else { return nil }
      return o["message"] as? String
    }
    #expect(details.contains { $0.contains("V2V-INITRAMFS: appended ") && $0.contains(image) }, "\(details)")
    #expect(!details.contains { $0.contains("V2V-INITRAMFS: rebuilt ") }, "\(details)")
    for d in details where d.contains("append virtio_pci") || d.contains("V2V-INITRAMFS") { print("dracut: detail: \(d)") }

    // The converted disk, opened read-only once (~25 s; the root is mounted by name, no inspection): the image,
    // the drop-in, and no scratch files left.
    let work = try TempDir()
    let copy = work.path + "/initrd.img"
    let g = try ProcessRunner.run(
      [
        "guestfish", "--ro", "-a", out.path + "/\(f.name)-sda", "-m", "/dev/sda1", "--", "download", image, copy, ":",
        "cat", "/etc/dracut.conf.d/v2v-virtio.conf", ":", "glob-expand", "/var/tmp/v2v-*", ":", "glob-expand", "/boot/*.v2v-new",
      ],
      timeout: 300, environment: ["LIBGUESTFS_BACKEND": "direct", "LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"])
    #expect(g.succeeded, "\(g.stderr)")
    #expect(g.stdout.contains("\nadd_drivers+=\" virtio_pci virtio_blk virtio_scsi virtio_net \"\n"), "\(g.stdout)")

    // What the kernel unpacks, archive by archive: the early microcode cpio, dracut's gzip archive (no
    // virtio), then the appended one with the virtio modules and a module index whose aliases name them.
    let listing = try Self.archives(copy)
    let mods = "usr/lib/modules/\(version)/"
    #expect(listing.first?.contains("kernel/x86/microcode/AuthenticAMD.bin") == true, "early cpio first: \(listing.map(\.count))")
    #expect(listing.count == 3, "early, main, appended: \(listing.map { $0.prefix(3) })")
    let main = listing.count > 1 ? listing[1] : []
    #expect(main.contains(mods + "kernel/drivers/message/fusion/mptspi.ko"))
    #expect(!main.contains { $0.contains("virtio") }, "dracut's own archive has no virtio")
    let added = listing.last ?? []
    for m in ["drivers/block/virtio_blk.ko", "drivers/scsi/virtio_scsi.ko", "drivers/net/virtio_net.ko", "drivers/virtio/virtio_pci.ko"] {
      #expect(added.contains(mods + "kernel/" + m), "\(m) appended: \(added)")
    }
    #expect(added.contains(mods + "modules.dep.bin") && added.contains(mods + "modules.alias.bin"))
    #expect(added.contains { $0.hasPrefix("alias-line: alias virtio:d00000002v") && $0.hasSuffix(" virtio_blk") }, "\(added)")
    #expect(added.contains { $0.hasPrefix("alias-line: alias pci:v00001AF4d") && $0.hasSuffix(" virtio_pci") }, "\(added)")

    let left = g.stdout.split(separator: "\n").filter { $0.hasPrefix("/") }
    #expect(left.isEmpty, "left in the guest: \(left)")
    #expect(try sources.map(sha256) == before, "the source was modified")
  }

  @Test("negative control: the unconverted dracut guest does NOT boot on virtio-blk (initramfs never finds /dev/sda1)")
  func unconvertedFailsOnVirtio() throws {
    let f = try GuestFixture.named(Self.fixtureName)
    let r = try BootChecker().boot(
      BootSpec(
        disks: [.init(path: f.vmdk, format: "vmdk", bus: .virtio)], timeout: 240,
        failurePatterns: BootSpec.defaultFailurePatterns + [Self.rootWaitStall]))
    print("dracut: unconverted on virtio-blk: \(r.outcome) in \(String(format: "%.1f", r.seconds)) s: \(r.evidence)")
    #expect(!r.passed)
    #expect(r.outcome == .failed, "expected the initramfs to wait for its root in vain, got \(r.outcome): \(r.evidence)")
    #expect(r.evidence.contains("dev-sda1.device") || r.evidence.contains("emergency") || r.evidence.contains("Could not boot"))
  }

  /// The archives of an initramfs in the order the kernel unpacks them: each uncompressed cpio, each gzip
  /// member (with what follows it), zero padding skipped. One list of names per archive; for a
  /// `modules.alias` file, its virtio lines as `alias-line: …`.
  static func archives(_ path: String) throws -> [[String]] {
    let r = try ProcessRunner.run(["python3", "-c", Self.lister, path], timeout: 120)
    guard r.succeeded else { throw FixtureError(description: "listing \(path): \(r.stderr)") }
    var out: [[String]] = []
    for line in r.stdout.split(separator: "\n") {
      guard let sp = line.firstIndex(of: " "), let n = Int(line[..<sp]) else { continue }
      while out.count <= n { out.append([]) }
      out[n].append(String(line[line.index(after: sp)...]))
    }
    return out
  }

  static let lister = #"""
    import sys, zlib
    data = open(sys.argv[1], 'rb').read()
    def cpio(buf, pos, n):
        while True:
            if buf[pos:pos + 6] not in (b'070701', b'070702'):
                sys.exit('no cpio header at %d' % pos)
            size = int(buf[pos + 54:pos + 62], 16)
            namesize = int(buf[pos + 94:pos + 102], 16)
            name = buf[pos + 110:pos + 110 + namesize - 1].decode()
            pos = (pos + 110 + namesize + 3) & ~3
            body = buf[pos:pos + size]
            pos = (pos + size + 3) & ~3
            if name == 'TRAILER!!!':
                return pos
            print(n, name)
            if name.endswith('/modules.alias'):
                for l in body.decode(errors='replace').splitlines():
                    if 'virtio' in l:
                        print(n, 'alias-line: ' + l)
    i = n = 0
    while i < len(data):
        if data[i] == 0:
            i += 1
        elif data[i:i + 6] in (b'070701', b'070702'):
            i = cpio(data, i, n); n += 1
        elif data[i:i + 2] == b'\x1f\x8b':
            d = zlib.decompressobj(wbits=31)
            out = d.decompress(data[i:]) + d.flush()
            p = 0
            while p < len(out):
                if out[p] == 0:
                    p += 1
                else:
                    p = cpio(out, p, n)
            n += 1
            i = len(data) - len(d.unused_data)
        else:
            sys.exit('unknown data at %d: %r' % (i, data[i:i + 8]))
    """#
}
