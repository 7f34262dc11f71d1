import Foundation
import Testing
import V2VCore
import V2VModel
import V2VProcess
import V2VTestSupport

/// The network step (interface names pinned to MACs) and the mount-table check, on the two-NIC, two-disk
/// VMware fixture `vmware-debian12-net`: ens192 static through ifupdown, ens224 through systemd-networkd,
/// /srv mounted by UUID from disk 2. Its marker unit prints one `V2V-NET-MARKER NAME mac=MAC ADDR...` line
/// per interface and a `V2V-SRV-MARKER` line before the boot marker; `--verify-boot` boots every NIC with
/// its MAC and reports those lines as `boot.markers`.
///
/// Two conversions with boots: the VMX (both disks) with the network step, and the OVA (system disk only)
/// without it (`--nic-names leave`) and with `--missing-mounts nofail`, which is the negative control for
/// the network (same guest, same MACs, no address) and the positive one for `nofail`. Plus a dry run.
@Suite("network names and missing mounts", .serialized, .offPool)
struct NetworkTests {
  static let fixtureName = "vmware-debian12-net"
  static let dataUUID = "5e7a0d15-2c3b-4d8e-9f10-0a1b2c3d4e5f"

  /// Source files' hashes, taken before the first conversion, compared after each.
  static let sourceHashes: [String: String] = {
    guard let f = try? GuestFixture.named(fixtureName), let data = try? f.file("dataVmdk") else { return [:] }
    var h: [String: String] = [:]
    for p in [f.vmdk, data, f.ova, f.vmx] { h[p] = try? sha256(p) }
    return h
  }()

  func expectSourceUnchanged() throws {
    #expect(Self.sourceHashes.count == 4)
    for (p, h) in Self.sourceHashes { #expect(try sha256(p) == h, "source \(p) was modified") }
  }

  /// The MACs of ethernet0 and ethernet1, from the VMX (generated and static).
  func sourceMACs(_ f: GuestFixture) throws -> (String, String) {
    let vmx = try String(contentsOfFile: f.vmx, encoding: .utf8)
    func value(_ key: String) -> String? {
      for line in vmx.split(separator: "\n") where line.hasPrefix(key + " = ") {
        return line.split(separator: "\"").dropFirst().first.map { String($0).lowercased() }
      }
      return nil
    }
    guard let m0 = value("ethernet0.generatedAddress"), let m1 = value("ethernet1.address") else {
      throw FixtureError(description: "\(f.vmx) lacks the two MACs")
    }
    return (m0, m1)
  }

  /// One `V2V-NET-MARKER` interface line.
  struct Interface: CustomStringConvertible {
    var name: String
    var mac: String
    var addresses: [String]
    var description: String { "\(name) mac=\(mac) \(addresses.isEmpty ? "none" : addresses.joined(separator: " "))" }
  }

  /// The interfaces the guest's marker printed (lines `V2V-NET-MARKER NAME mac=MAC ADDR... | none`).
  static func interfaces(_ markers: [String]) -> [Interface] {
    markers.compactMap { line in
      guard let r = line.range(of: "V2V-NET-MARKER ") else { return nil }
      let words = line[r.upperBound...].split(separator: " ").map(String.init)
      guard words.count >= 2, words[1].hasPrefix("mac=") else { return nil }
      return Interface(
        name: words[0], mac: String(words[1].dropFirst(4)).lowercased(), addresses: words.dropFirst(2).filter { $0 != "none" })
    }
  }

  /// Every JSON event of a `--json` run, in order.
  static func events(_ stdout: String) -> [[String: Any]] {
    stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
  }

  /// What the boot reported.
  static func boot(_ result: [String: Any]?) -> (passed: Bool, evidence: String, markers: [String]) {
    let boot = result?["boot"] as? [String: Any]
    return (
      boot?["passed"] as? Bool ?? false, boot?["evidence"] as? String ?? "no boot result", boot?["markers"] as? [String] ?? []
    )
  }

  /// Each change as "summary | reason".
  static func changes(_ result: [String: Any]?) -> [String] {
    let changes = (result?["conversion"] as? [String: Any])?["changes"] as? [[String: Any]] ?? []
    return changes.map { "\($0["summary"] as? String ?? "") | \($0["reason"] as? String ?? "")" }
  }

  /// The files the conversion edits, path -> new content (changes of kind `editFile`).
  static func editedFiles(_ result: [String: Any]?) -> [String: String] {
    let changes = (result?["conversion"] as? [String: Any])?["changes"] as? [[String: Any]] ?? []
    var files: [String: String] = [:]
    for c in changes {
      guard let edit = (c["kind"] as? [String: Any])?["editFile"] as? [String: Any], let path = edit["path"] as? String else { continue }
      files[path] = edit["newContent"] as? String ?? ""
    }
    return files
  }

  /// The warning events that name the /srv entry (by mount point or UUID).
  static func srvWarnings(_ events: [[String: Any]]) -> [(index: Int, message: String)] {
    events.enumerated().compactMap { i, e in
      guard e["event"] as? String == "warning", let m = e["message"] as? String, m.contains("/srv") || m.contains(dataUUID)
      else { return nil }
      return (i, m)
    }
  }

  @Test("dry run of the OVA without its data disk: the /srv entry is warned about, with the options that fix it")
  func dryRunWarnsMissingMount() throws {
    let f = try GuestFixture.named(Self.fixtureName)
    _ = Self.sourceHashes
    let out = try TempDir()
    let r = try V2VRun.run(["convert", "-i", "ova", f.ova, "-o", "local", "-os", out.path, "--dry-run", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let warnings = Self.srvWarnings(Self.events(r.stdout)).map(\.message)
    print("dry run warnings about /srv: \(warnings)")
    #expect(warnings.count == 1, "one warning for the one entry: \(warnings)")
    let w = warnings.first ?? ""
    #expect(w.contains("/srv") && w.contains(Self.dataUUID), "names the entry: \(w)")
    #expect(w.contains("--missing-mounts") && w.contains("nofail") && w.contains("comment"), "offers the options: \(w)")
    #expect((r.jsonResult?["warnings"] as? [String] ?? []).contains(w), "also in the result")
    #expect(r.jsonResult?["dryRun"] as? Bool == true)
    #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty, "a dry run writes nothing")
    try expectSourceUnchanged()
  }

  @Test("VMX (2 NICs, 2 disks) -> -o local: ens192 and ens224 come back with their static addresses on virtio-net")
  func vmxPinsNames() throws {
    let f = try GuestFixture.named(Self.fixtureName)
    _ = Self.sourceHashes
    let (mac0, mac1) = try sourceMACs(f)
    let out = try TempDir()
    let r = try V2VRun.run(["convert", "-i", "vmx", f.vmx, "-o", "local", "-os", out.path, "--verify-boot", "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let result = r.jsonResult
    let boot = Self.boot(result)
    print("vmx boot: \(boot.evidence)\n  " + boot.markers.joined(separator: "\n  "))
    #expect(boot.passed)
    #expect(boot.evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/vda1"), "\(boot.evidence)")
    let ifs = Self.interfaces(boot.markers)
    #expect(ifs.count == 2, "both NICs booted: \(ifs)")
    let ens192 = ifs.first { $0.name == "ens192" }
    let ens224 = ifs.first { $0.name == "ens224" }
    #expect(ens192?.mac == mac0, "ens192 is the NIC with ethernet0's MAC: \(ifs)")
    #expect(ens224?.mac == mac1, "ens224 is the NIC with ethernet1's MAC: \(ifs)")
    #expect(ens192?.addresses.contains("192.0.2.10/24") == true, "ifupdown's IPv4: \(ifs)")
    #expect(ens192?.addresses.contains("2001:db8:1::10/64") == true, "ifupdown's IPv6: \(ifs)")
    #expect(ens224?.addresses.contains("198.51.100.20/24") == true, "networkd's IPv4: \(ifs)")
    #expect(ens224?.addresses.contains("2001:db8:2::20/64") == true, "networkd's IPv6: \(ifs)")
    #expect(boot.markers.contains { $0.contains("V2V-SRV-MARKER /srv mounted from /dev/vdb1") }, "\(boot.markers)")
    // The pins in the change list: one .link file per NIC, matching its MAC, naming it as before.
    let changes = Self.changes(result)
    #expect(changes.contains { $0.hasPrefix("pin ens192 to \(mac0) (ifupdown: static 192.0.2.10/24") }, "\(changes)")
    #expect(changes.contains { $0.hasPrefix("pin ens224 to \(mac1) (networkd: static 198.51.100.20/24") }, "\(changes)")
    let edited = Self.editedFiles(result)
    for (name, mac) in [("ens192", mac0), ("ens224", mac1)] {
      let link = edited["/etc/systemd/network/10-v2v-\(name).link"]
      #expect(link?.contains("MACAddress=\(mac)") == true && link?.contains("Name=\(name)") == true, "\(name): \(link ?? "no .link file")")
    }
    #expect(edited.keys.filter { $0.hasSuffix(".link") }.count == 2, "\(edited.keys.sorted())")
    // Both disks are converted: nothing to warn about /srv.
    #expect(Self.srvWarnings(Self.events(r.stdout)).isEmpty)
    let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
    #expect(files == ["\(f.name)-sda", "\(f.name)-sdb", "\(f.name).xml"])
    let xml = try String(contentsOfFile: out.path + "/\(f.name).xml", encoding: .utf8)
    #expect(xml.contains("<mac address='\(mac0)'/>") && xml.contains("<mac address='\(mac1)'/>"), "both MACs kept")
    #expect(try libvirtSchemaProblem(xml: xml) == nil)
    try expectSourceUnchanged()
  }

  @Test(
    "OVA without its data disk, --nic-names leave --missing-mounts nofail: warned before the copy, boots, no static address"
  )
  func ovaLeaveNamesNofail() throws {
    let f = try GuestFixture.named(Self.fixtureName)
    _ = Self.sourceHashes
    let (mac0, mac1) = try sourceMACs(f)
    let out = try TempDir()
    let r = try V2VRun.run([
      "convert", "-i", "ova", f.ova, "-o", "local", "-os", out.path, "--nic-names", "leave", "--missing-mounts", "nofail",
      "--verify-boot", "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let result = r.jsonResult
    let events = Self.events(r.stdout)
    // Warned before any slow work: the /srv warning comes before the first "Copying disk" stage.
    let warnings = Self.srvWarnings(events)
    let firstCopy = events.firstIndex { ($0["stage"] as? String)?.hasPrefix("Copying disk") == true }
    print("ova warnings about /srv: \(warnings.map(\.message)); first copy at event \(firstCopy ?? -1)")
    #expect(warnings.count == 1, "\(warnings)")
    #expect(firstCopy != nil)
    if let w = warnings.first, let c = firstCopy { #expect(w.index < c, "warned at event \(w.index), copy at \(c)") }
    let changes = Self.changes(result)
    #expect(changes.contains { $0.contains("/etc/fstab") && $0.contains("nofail") }, "\(changes)")
    #expect(!changes.contains { $0.hasPrefix("pin ") }, "no pinning with --nic-names leave: \(changes)")
    #expect(!Self.editedFiles(result).keys.contains { $0.hasSuffix(".link") || $0.contains("v2v-net") }, "\(changes)")
    // The guest boots: nofail keeps it out of emergency mode (without it: "Entering emergency mode").
    let boot = Self.boot(result)
    print("ova boot: \(boot.evidence)\n  " + boot.markers.joined(separator: "\n  "))
    #expect(boot.passed, "\(boot.evidence)")
    #expect(boot.evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/vda1"), "\(boot.evidence)")
    #expect(boot.markers.contains { $0.contains("V2V-SRV-MARKER /srv not mounted") }, "\(boot.markers)")
    // The negative control for the network step: the same NICs with the same MACs, but not by their old
    // names, so neither ifupdown nor networkd configures them.
    let ifs = Self.interfaces(boot.markers)
    #expect(Set(ifs.map(\.mac)) == [mac0, mac1], "both NICs booted with the source MACs: \(ifs)")
    #expect(!ifs.contains { $0.name == "ens192" || $0.name == "ens224" }, "\(ifs)")
    #expect(!boot.markers.contains { $0.contains("192.0.2.10") || $0.contains("198.51.100.20") }, "\(boot.markers)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["\(f.name)-sda", "\(f.name).xml"])
    try expectSourceUnchanged()
  }
}
