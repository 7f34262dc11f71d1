import Foundation
import V2VProcess
import Testing
import V2VCore
import V2VModel
import V2VTestSupport

/// Real conversions of the VMware fixture with the real `v2v` binary, each booted to prove it works.
/// One conversion per output kind; each test asserts many things on that one output. Serialized: each
/// conversion and boot wants both cores.
@Suite("convert end to end", .serialized, .offPool)
struct ConvertTests {
  static let fixtureName = "vmware-debian12-bios"

  /// Source files' hashes, taken before the first conversion, compared after each.
  static let sourceHashes: [String: String] = {
    guard let f = try? GuestFixture.named(fixtureName) else { return [:] }
    var h: [String: String] = [:]
    for p in [f.vmdk, f.ova, f.vmx] { h[p] = try? sha256(p) }
    return h
  }()

  func expectSourceUnchanged() throws {
    #expect(!Self.sourceHashes.isEmpty)
    for (p, h) in Self.sourceHashes { #expect(try sha256(p) == h, "source \(p) was modified") }
  }

  func bootEvidence(_ result: [String: Any]?) -> (passed: Bool, evidence: String) {
    let boot = result?["boot"] as? [String: Any]
    return (boot?["passed"] as? Bool ?? false, boot?["evidence"] as? String ?? "no boot result")
  }

  @Test("VMX -> -o local: converted, boots on virtio with root on /dev/vda1, schema-valid XML, source untouched")
  func vmxToLocal() throws {
    let f = try GuestFixture.named(Self.fixtureName)
    _ = Self.sourceHashes
    let out = try TempDir()
    let r = try V2VRun.run(["convert", "-i", "vmx", f.vmx, "-o", "local", "-os", out.path, "--verify-boot", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let result = r.jsonResult
    let (passed, evidence) = bootEvidence(result)
    print("vmx->local boot: \(evidence)")
    #expect(passed)
    #expect(evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/vda1"), "\(evidence)")
    #expect(result?["applianceStarts"] as? Int == 1)
    let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
    #expect(files == ["\(f.name)-sda", "\(f.name).xml"])
    let xml = try String(contentsOfFile: out.path + "/\(f.name).xml", encoding: .utf8)
    #expect(try libvirtSchemaProblem(xml: xml) == nil)
    #expect(xml.contains("<target dev='vda' bus='virtio'/>"))
    #expect(xml.contains("00:0c:29"), "source MAC kept")
    let changes = (result?["conversion"] as? [String: Any])?["changes"] as? [[String: Any]] ?? []
    let summaries = changes.compactMap { $0["summary"] as? String }
    #expect(summaries.contains { $0.hasPrefix("append ") && $0.contains("/boot/initrd.img-") }, "\(summaries)")
    #expect(summaries.contains { $0.contains("/etc/fstab") })
    #expect(summaries.contains { $0.contains("open-vm-tools") })
    // The fast path ran (the guest script says which one did, shown as `detail` events), not the
    // update-initramfs fallback (~95 s under TCG instead of ~8 s).
    let details = r.stdout.split(separator: "\n").compactMap { line -> String? in
      guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["event"] as? String == "detail"
      else { return nil }
      return o["message"] as? String
    }
    #expect(details.contains { $0.contains("V2V-INITRAMFS: appended ") }, "\(details)")
    #expect(!details.contains { $0.contains("V2V-INITRAMFS: rebuilt ") }, "\(details)")
    // No scratch files of ours inside the converted guest (one more appliance, ~23 s: the root is mounted
    // by name, /dev/sda1 in the appliance, which skips inspection).
    let left = try ProcessRunner.run(
      ["guestfish", "--ro", "-a", out.path + "/\(f.name)-sda", "-m", "/dev/sda1", "--", "glob-expand", "/var/tmp/v2v-*", ":",
       "glob-expand", "/boot/*.v2v-new"],
      timeout: 300, environment: ["LIBGUESTFS_BACKEND": "direct", "LIBGUESTFS_BACKEND_SETTINGS": "force_tcg"])
    #expect(left.succeeded, "\(left.stderr)")
    #expect(left.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "left in the guest: \(left.stdout)")
    try expectSourceUnchanged()
  }

  @Test("VMX --block-driver virtio-scsi: boots on a virtio-scsi controller with root on /dev/sda1, XML has the controller")
  func vmxToVirtioSCSI() throws {
    let f = try GuestFixture.named(Self.fixtureName)
    _ = Self.sourceHashes
    let out = try TempDir()
    let r = try V2VRun.run([
      "convert", "-i", "vmx", f.vmx, "-o", "local", "-os", out.path, "--block-driver", "virtio-scsi", "--verify-boot",
      "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let result = r.jsonResult
    let (passed, evidence) = bootEvidence(result)
    print("vmx->virtio-scsi boot: \(evidence)")
    #expect(passed)
    // The fixture names its root /dev/sda1 on VMware too; the negative control (RigTests) shows the
    // unconverted guest cannot find it on virtio-scsi, so this marker proves the conversion.
    #expect(evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/sda1"), "\(evidence)")
    #expect(r.stdout.contains("Verifying the guest boots (virtio-scsi"), "booted on the settled bus")
    let platform = result?["platform"] as? [String: Any]
    #expect(platform?["diskBus"] as? String == "virtio-scsi")
    let xml = try String(contentsOfFile: out.path + "/\(f.name).xml", encoding: .utf8)
    #expect(xml.contains("<controller type='scsi' index='0' model='virtio-scsi'/>"))
    #expect(xml.contains("<target dev='sda' bus='scsi'/>"))
    #expect(!xml.contains("bus='virtio'/>"))
    #expect(try libvirtSchemaProblem(xml: xml) == nil)
    let changes = (result?["conversion"] as? [String: Any])?["changes"] as? [[String: Any]] ?? []
    let summaries = changes.compactMap { $0["summary"] as? String }
    #expect(summaries.contains { $0.contains("virtio_scsi") && $0.contains("sd_mod") }, "\(summaries)")
    #expect(!summaries.contains { $0.hasPrefix("/etc/fstab") }, "sdX names stay on virtio-scsi")
    try expectSourceUnchanged()
  }

  @Test("OVA -> -o libvirt (embedded): domain defined, disk in the data dir, schema-valid, boots")
  func ovaToLibvirt() throws {
    let f = try GuestFixture.named(Self.fixtureName)
    _ = Self.sourceHashes
    let data = try TempDir()
    let r = try V2VRun.run(
      ["convert", "-i", "ova", f.ova, "-o", "libvirt", "--verify-boot", "--json"], environment: ["V2V_DATA_DIR": data.path])
    #expect(r.status == 0, "\(r.stderr)")
    let (passed, evidence) = bootEvidence(r.jsonResult)
    print("ova->libvirt boot: \(evidence)")
    #expect(passed)
    #expect(evidence.contains("root=/dev/vda1"))
    #expect(FileManager.default.fileExists(atPath: data.path + "/images/\(f.name)-sda"))
    // Checked with virsh in its own process: the embedded driver allows one root per process, and this
    // test process already opened another in the library tests.
    let uri = "qemu:///embed?root=\(data.path)/libvirt"
    let dump = try ProcessRunner.run(["virsh", "-c", uri, "dumpxml", f.name], timeout: 120)
    #expect(dump.succeeded, "\(dump.stderr)")
    let xml = dump.stdout
    #expect(xml.contains(data.path + "/images/\(f.name)-sda"))
    #expect(try libvirtSchemaProblem(xml: xml) == nil)
    // A second conversion of the same name is refused (exit 6) and leaves the first intact.
    let again = try V2VRun.run(["convert", "-i", "ova", f.ova, "-o", "libvirt"], environment: ["V2V_DATA_DIR": data.path])
    #expect(again.status == 6, "\(again.stderr)")
    #expect(again.stderr.contains("already exists"))
    #expect(try ProcessRunner.run(["virsh", "-c", uri, "undefine", f.name, "--nvram"], timeout: 120).succeeded)
    try expectSourceUnchanged()
  }

  @Test("VMX -> -o qemu -of qcow2: boot proven without the console (filesystem read-back), and the script boots")
  func vmxToQemuScript() throws {
    let f = try GuestFixture.named(Self.fixtureName)
    _ = Self.sourceHashes
    let out = try TempDir()
    let r = try V2VRun.run([
      "convert", "-i", "vmx", f.vmx, "-o", "qemu", "-os", out.path, "-of", "qcow2", "--verify-boot",
      "--boot-evidence", "filesystem", "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let (passed, evidence) = bootEvidence(r.jsonResult)
    print("vmx->qemu filesystem evidence: \(evidence)")
    #expect(passed)
    #expect(evidence.contains("mounted its root filesystem"), "\(evidence)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["\(f.name)-sda.qcow2", "\(f.name).sh"])
    let script = out.path + "/\(f.name).sh"
    #expect(FileManager.default.isExecutableFile(atPath: script))
    let log = out.path + "/console.log"
    // The script as a user runs it (serial console on stdout), with writes discarded (-snapshot).
    let p = try ProcessRunner.start(["/bin/bash", script, "-snapshot"], stdout: log)
    defer { p.terminate(grace: 2) }
    let deadline = Date().addingTimeInterval(420)
    var text = ""
    while Date() < deadline && p.isRunning {
      text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      if text.contains("V2V-BOOT-MARKER") || text.contains("Gave up waiting") { break }
      Thread.sleep(forTimeInterval: 1)
    }
    #expect(text.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/vda1"), "\(text.suffix(400))")
    try expectSourceUnchanged()
  }
}
