import Foundation
import Testing
import V2VCore
import V2VModel
import V2VProcess
import V2VTestSupport

/// An sshd of the test's own on 127.0.0.1: a free port, its own host key, authorized_keys and config in a
/// temp dir; it plays the physical machine booted into a rescue system.
final class TestSSHServer {
  let dir: TempDir
  let port: Int
  let clientKey: String
  let otherKey: String
  let knownHosts: String
  let wrongKnownHosts: String
  let emptyKnownHosts: String
  let config: String
  private(set) var process: RunningProcess?

  init() throws {
    dir = try TempDir(prefix: "v2v-sshd")
    let d = dir.path
    config = d + "/sshd_config"
    clientKey = d + "/client_key"
    otherKey = d + "/other_key"
    for k in ["host_key", "client_key", "other_key", "other_host_key"] {
      let r = try ProcessRunner.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", k, "-f", "\(d)/\(k)"], timeout: 60)
      guard r.succeeded else { throw SSHServerError("ssh-keygen: \(r.stderr)") }
    }
    try FileManager.default.copyItem(atPath: clientKey + ".pub", toPath: d + "/authorized_keys")
    port = try Self.freePort()
    func pub(_ k: String) throws -> String {
      try String(contentsOfFile: "\(d)/\(k).pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
    }
    knownHosts = d + "/known_hosts"
    wrongKnownHosts = d + "/known_hosts.wrong"
    emptyKnownHosts = d + "/known_hosts.empty"
    try "".write(toFile: emptyKnownHosts, atomically: true, encoding: .utf8)
    try "[127.0.0.1]:\(port) \(try pub("host_key"))\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
    try "[127.0.0.1]:\(port) \(try pub("other_host_key"))\n".write(toFile: wrongKnownHosts, atomically: true, encoding: .utf8)
    try """
      Port \(port)
      ListenAddress 127.0.0.1
      HostKey \(d)/host_key
      AuthorizedKeysFile \(d)/authorized_keys
      PidFile none
      StrictModes no
      UsePAM no
      PasswordAuthentication no
      KbdInteractiveAuthentication no
      PermitRootLogin prohibit-password
      Subsystem sftp internal-sftp
      """.write(toFile: config, atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)  // privilege separation
  }

  /// Starts sshd in the foreground and waits until it listens.
  func start() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") else {
      throw SSHServerError("/usr/sbin/sshd missing: run scripts/setup-host.sh (openssh-server)")
    }
    let log = dir.path + "/sshd.log"
    let p = try ProcessRunner.start(["/usr/sbin/sshd", "-D", "-e", "-f", config], stderr: log)
    process = p
    let deadline = Date().addingTimeInterval(20)
    while Date() < deadline {
      if (try? String(contentsOfFile: log, encoding: .utf8))?.contains("Server listening") == true { return }
      if !p.isRunning { break }
      Thread.sleep(forTimeInterval: 0.1)
    }
    throw SSHServerError("sshd did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
  }

  /// Stops sshd (its whole process group) and waits for it.
  func stop() { process?.terminate(grace: 2) }

  /// A TCP port nothing listens on right now (bound to port 0, then released).
  static func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SSHServerError("socket failed") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
      p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard ok else { throw SSHServerError("bind failed") }
    return Int(UInt16(bigEndian: addr.sin_port))
  }
}

/// The test's sshd could not be set up.
struct SSHServerError: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}

/// Processes whose command line contains `text` (nbdkit serving a test's disk, the test's sshd).
func processes(containing text: String) -> [Int32] {
  ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name in
    guard let pid = Int32(name), pid != getpid(),
      let raw = FileManager.default.contents(atPath: "/proc/\(name)/cmdline")
    else { return nil }
    let cmd = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
    return cmd.contains(text) ? pid : nil
  }
}

/// P2V: a remote machine's disk over SSH against the test's own sshd (a remote block device streamed with
/// the ssh client, a remote image through nbdkit's ssh plugin), their failures, and the local block-device
/// checks on loop devices. The real binary each time.
@Suite("P2V: remote over SSH and local devices", .serialized, .offPool)
struct PhysicalRemoteTests {
  static let fixtureName = "vmware-debian12-bios"

  func listing(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

  func errorLines(_ r: V2VRun) -> [Substring] { r.stderr.split(separator: "\n").filter { $0.hasPrefix("v2v: error:") } }


  /// The fixture's disk as a raw image (what `dd` of the physical machine's disk would be), in `dir`.
  func rawFixture(in dir: String) throws -> (GuestFixture, String) {
    let f = try GuestFixture.named(Self.fixtureName)
    let raw = dir + "/disk.raw"
    let r = try ProcessRunner.run(["qemu-img", "convert", "-O", "raw", f.vmdk, raw], timeout: 600)
    #expect(r.succeeded, "\(r.stderr)")
    return (f, raw)
  }

  /// Attaches `image` read-only to a free loop device (the whole disk only; no partitions needed) and
  /// returns it: the remote machine's /dev/sda.
  func attachReadOnly(_ image: String) throws -> String {
    let r = try ProcessRunner.run(["losetup", "--find", "--show", "--read-only", image])
    guard r.succeeded else { throw SSHServerError("losetup: \(r.stderr)") }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The `--json` progress events of `r` whose label contains `text`: (fraction, totalBytes).
  func progress(_ r: V2VRun, label text: String) -> [(Double, UInt64?)] {
    r.stdout.split(separator: "\n").compactMap { line in
      guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["event"] as? String == "progress",
        (o["label"] as? String)?.contains(text) == true, let f = (o["fraction"] as? NSNumber)?.doubleValue
      else { return nil }
      return (f, (o["totalBytes"] as? NSNumber)?.uint64Value)
    }
  }

  /// The `t` of the first `--json` stage event whose text starts with `prefix`.
  func stageTime(_ r: V2VRun, _ prefix: String) -> Double? {
    for line in r.stdout.split(separator: "\n") {
      guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["event"] as? String == "stage",
        (o["stage"] as? String)?.hasPrefix(prefix) == true
      else { continue }
      return (o["t"] as? NSNumber)?.doubleValue
    }
    return nil
  }

  @Test("ssh://root@127.0.0.1:PORT/dev/loopN (a remote block device): streamed over ssh, converted, boots on virtio; device unchanged, nothing left behind")
  func remoteDeviceConversion() throws {
    let server = try TestSSHServer()
    try server.start()
    defer { server.stop() }
    let (f, raw) = try rawFixture(in: server.dir.path)
    let dev = try attachReadOnly(raw)
    defer { _ = try? ProcessRunner.run(["losetup", "-d", dev]) }
    let before = try sha256(raw)
    let size = try Overlays.virtualSize(raw)
    let out = server.dir.path + "/out"
    let work = server.dir.path + "/work"
    for d in [out, work] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
    let uri = "ssh://root@127.0.0.1:\(server.port)\(dev)"
    let start = Date()
    let r = try V2VRun.run([
      "convert", "-i", "physical", uri, "--name", "p2v-remote", "--ssh-identity", server.clientKey, "--ssh-known-hosts",
      server.knownHosts, "-o", "local", "-os", out, "--work-dir", work, "--verify-boot", "--json",
    ])
    let seconds = Date().timeIntervalSince(start)
    // v2v stopped its ssh before exiting, and the remote `cat` ended with it; nothing in the work directory.
    #expect(processes(containing: dev).isEmpty, "a process still reads \(dev): \(processes(containing: dev))")
    #expect(processes(containing: work).isEmpty, "a process (nbdkit?) still uses the work directory")
    #expect(listing(work).isEmpty, "left in the work directory: \(listing(work))")
    #expect(r.status == 0, "\(r.stderr)")
    let result = r.jsonResult
    let boot = result?["boot"] as? [String: Any]
    let evidence = boot?["evidence"] as? String ?? "no boot result"
    let stages = (result?["stages"] as? [[String: Any]] ?? []).map { "\($0["stage"] ?? ""): \(String(format: "%.0f", ($0["seconds"] as? Double) ?? 0)) s" }
    let copyStart = stageTime(r, "Copying the remote block device"), copyEnd = stageTime(r, "Planning the output")
    let stream = (copyStart != nil && copyEnd != nil) ? copyEnd! - copyStart! : -1
    print("p2v remote device: \(ByteFormat.human(size)) streamed in \(String(format: "%.0f", stream)) s; \(String(format: "%.0f", seconds)) s in all; stages: \(stages.joined(separator: "; "))")
    print("p2v remote device boot: \(evidence)")
    #expect(boot?["passed"] as? Bool == true)
    #expect(evidence.contains("V2V-BOOT-MARKER host=\(f.hostname) root=/dev/vda1"), "\(evidence)")
    #expect(r.stdout.contains("Connecting to the remote disks (ssh, read-only)"))
    #expect(stream > 0, "no copy stage in: \(r.stdout.prefix(2000))")
    // Progress of the stream: bytes of the device's size, rising to 1.
    let p = progress(r, label: "Reading \(uri)")
    #expect(p.count >= 2, "progress events: \(p)")
    #expect(p.allSatisfy { $0.1 == size }, "totalBytes: \(p)")
    #expect(p.last?.0 == 1, "\(p)")
    #expect(zip(p, p.dropFirst()).allSatisfy { $0.0 <= $1.0 }, "progress went backwards: \(p)")
    #expect(listing(out) == ["p2v-remote-sda", "p2v-remote.xml"])
    #expect(try sha256(raw) == before, "the remote disk was written")
    #expect(try ProcessRunner.run(["blockdev", "--getro", dev]).stdout.hasPrefix("1"), "the loop device is no longer read-only")
    // The copy read the whole device: the output has its capacity.
    #expect(try Overlays.virtualSize(out + "/p2v-remote-sda") == size)
    server.stop()
    #expect(processes(containing: server.config).isEmpty, "sshd still running")
  }

  @Test("bad remote input, image (nbdkit) and block device (ssh): closed port, wrong path, not a disk, unauthorized key, host key mismatch or unknown, malformed URI; inspect; the library open/close")
  func remoteFailures() throws {
    let server = try TestSSHServer()
    try server.start()
    defer { server.stop() }
    let disk = server.dir.path + "/small.raw"
    #expect(try ProcessRunner.run(["qemu-img", "create", "-q", "-f", "raw", disk, "16M"]).succeeded)
    let before = try sha256(disk)
    let closed = try TestSSHServer.freePort()
    let good = "ssh://root@127.0.0.1:\(server.port)\(disk)"
    // The same 16 MiB as a remote block device (read through the ssh client, not nbdkit).
    let dev = try attachReadOnly(disk)
    defer { _ = try? ProcessRunner.run(["losetup", "-d", dev]) }
    let goodDev = "ssh://root@127.0.0.1:\(server.port)\(dev)"
    let work = server.dir.path + "/work"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    let cases: [(String, [String], Int32, [String])] = [
      ("closed port", ["ssh://root@127.0.0.1:\(closed)\(disk)", "--ssh-identity", server.clientKey, "--ssh-known-hosts", server.knownHosts],
       3, ["ssh://root@127.0.0.1:\(closed)\(disk): cannot connect to 127.0.0.1 port \(closed): connection refused"]),
      ("wrong path", ["ssh://root@127.0.0.1:\(server.port)/nonexistent/sda", "--ssh-identity", server.clientKey, "--ssh-known-hosts", server.knownHosts],
       3, ["no such file or device on the remote machine: /nonexistent/sda"]),
      ("unauthorized key", [good, "--ssh-identity", server.otherKey, "--ssh-known-hosts", server.knownHosts],
       3, ["\(good): SSH login as root refused", server.otherKey]),
      ("host key mismatch", [good, "--ssh-identity", server.clientKey, "--ssh-known-hosts", server.wrongKnownHosts],
       4, ["\(good): the host key of 127.0.0.1 does not match", server.wrongKnownHosts]),
      ("device: wrong device path", ["ssh://root@127.0.0.1:\(server.port)/dev/nonexistent", "--ssh-identity", server.clientKey, "--ssh-known-hosts", server.knownHosts],
       3, ["ssh://root@127.0.0.1:\(server.port)/dev/nonexistent: no such file or device on the remote machine: /dev/nonexistent"]),
      ("device: not a disk", ["ssh://root@127.0.0.1:\(server.port)/dev/null", "--ssh-identity", server.clientKey, "--ssh-known-hosts", server.knownHosts],
       3, ["not a disk: /dev/null is a character device on the remote machine"]),
      ("device: unauthorized key", [goodDev, "--ssh-identity", server.otherKey, "--ssh-known-hosts", server.knownHosts],
       3, ["\(goodDev): SSH login as root refused", server.otherKey]),
      ("device: host key mismatch", [goodDev, "--ssh-identity", server.clientKey, "--ssh-known-hosts", server.wrongKnownHosts],
       4, ["\(goodDev): the host key of 127.0.0.1 does not match", server.wrongKnownHosts]),
      ("device: host key unknown", [goodDev, "--ssh-identity", server.clientKey, "--ssh-known-hosts", server.emptyKnownHosts],
       4, ["\(goodDev): the host key of 127.0.0.1 is not in \(server.emptyKnownHosts)"]),
      ("device: closed port", ["ssh://root@127.0.0.1:\(closed)\(dev)", "--ssh-identity", server.clientKey, "--ssh-known-hosts", server.knownHosts],
       3, ["ssh://root@127.0.0.1:\(closed)\(dev): cannot connect to 127.0.0.1 port \(closed): connection refused"]),
      ("malformed URI", ["ssh://root@127.0.0.1:99999\(disk)", "--ssh-identity", server.clientKey],
       64, ["invalid port '99999'"]),
      ("password in the URI", ["ssh://root:hunter2@127.0.0.1/dev/sda"], 64, ["a password in the URI is not accepted"]),
      ("missing identity file", [good, "--ssh-identity", server.dir.path + "/nope"], 64, ["--ssh-identity: \(server.dir.path)/nope: no such file"]),
    ]
    for (what, args, code, phrases) in cases {
      let out = server.dir.path + "/out-\(what.replacingOccurrences(of: " ", with: "-"))"
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
      let start = Date()
      let r = try V2VRun.run(["convert", "-i", "physical"] + args + ["-o", "local", "-os", out, "--work-dir", work], timeout: 120)
      let secs = Date().timeIntervalSince(start)
      #expect(r.status == code, "\(what): \(r.stderr)")
      #expect(errorLines(r).count == 1, "\(what): one line: \(r.stderr)")
      #expect(r.stderr.split(separator: "\n").count == 1, "\(what): nothing else on stderr: \(r.stderr)")
      for p in phrases { #expect(r.stderr.contains(p), "\(what): '\(p)' in: \(r.stderr)") }
      #expect(!r.stderr.contains("hunter2"))
      #expect(listing(out).isEmpty, "\(what): output written")
      #expect(listing(work).isEmpty, "\(what): left in the work directory: \(listing(work))")
      #expect(secs < 30, "\(what): took \(secs) s")
      print("p2v bad input '\(what)': exit \(r.status) in \(String(format: "%.1f", secs)) s: \(r.stderr.trimmingCharacters(in: .newlines))")
    }
    // inspect connects too: it shows the size, and the same failures.
    let ok = try V2VRun.run(["inspect", "-i", "physical", good, "--ssh-identity", server.clientKey, "--ssh-known-hosts", server.knownHosts, "--json"])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(ok.stdout.contains("16777216"), "\(ok.stdout)")
    let mismatch = try V2VRun.run(["inspect", "-i", "physical", good, "--ssh-identity", server.clientKey, "--ssh-known-hosts", server.wrongKnownHosts])
    #expect(mismatch.status == 4, "\(mismatch.stderr)")
    // inspect of a remote block device: its size from the remote shell, nothing streamed (the work
    // directory stays empty; a second, in the test's numbers).
    let sshdLog = server.dir.path + "/sshd.log"
    func logins() -> Int { ((try? String(contentsOfFile: sshdLog, encoding: .utf8)) ?? "").components(separatedBy: "Accepted publickey").count - 1 }
    let loginsBefore = logins()
    let started = Date()
    let okDev = try V2VRun.run([
      "inspect", "-i", "physical", goodDev, "--ssh-identity", server.clientKey, "--ssh-known-hosts", server.knownHosts, "--json",
    ], environment: ["TMPDIR": work])
    #expect(okDev.status == 0, "\(okDev.stderr)")
    #expect(okDev.stdout.contains("\"capacityBytes\" : 16777216"), "\(okDev.stdout)")
    #expect(listing(work).isEmpty)
    #expect(logins() - loginsBefore == 1, "inspect of a device: one ssh login (the probe), no copy; sshd saw \(logins() - loginsBefore)")
    print("p2v inspect of a remote device: \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    #expect(try sha256(disk) == before)
    #expect(processes(containing: disk).isEmpty, "nbdkit left running")
    // The library call the job makes: nbdkit serves while the sources are open and close() stops it. (The
    // checks after a v2v run cannot tell, since nbdkit also exits when v2v does.)
    let sources = try RemoteSources.open(
      [Disk(source: .remote(uri: good), format: .raw, bus: .sata)],
      options: SSHOptions(identity: server.clientKey, knownHosts: server.knownHosts), workDirectory: server.dir.path)
    #expect(sources.disks[0].capacityBytes == 16 << 20)
    #expect(sources.disks[0].source.displayPath.hasPrefix("nbd+unix:///?socket=\(server.dir.path)/v2v-ssh-"))
    #expect(sources.serverPIDs.count == 1)
    #expect(processes(containing: disk).count == 1)
    sources.close()
    #expect(processes(containing: disk).isEmpty, "close() left nbdkit running")
    #expect(!listing(server.dir.path).contains { $0.hasPrefix("v2v-ssh-") }, "socket directory left")
    // The same for a remote block device: copied to a sparse raw image in the work directory, the same
    // bytes, removed by close().
    let devSources = try RemoteSources.open(
      [Disk(source: .remote(uri: goodDev), format: .raw, bus: .sata)],
      options: SSHOptions(identity: server.clientKey, knownHosts: server.knownHosts), workDirectory: work)
    #expect(devSources.serverPIDs.isEmpty, "a device is not served by nbdkit")
    #expect(devSources.localImages.count == 1)
    let image = devSources.localImages.first ?? "-"
    #expect(devSources.disks[0].source == .file(path: image))
    #expect(devSources.disks[0].capacityBytes == 16 << 20)
    #expect(image.hasPrefix(work + "/v2v-ssh-"))
    #expect(try sha256(image) == before)
    #expect(processes(containing: dev).isEmpty, "ssh left running after the copy")
    devSources.close()
    #expect(!FileManager.default.fileExists(atPath: image), "close() left the copy")
    #expect(listing(work).isEmpty)
  }

  @Test("local loop device: a partition mounted read-write is refused naming the mount point; not a disk (read-only: XenPhysicalTests.physicalLoop)")
  func localDevices() throws {
    let dir = try TempDir(prefix: "v2v-p2v-local")
    // 1. A small disk with one ext4 partition, mounted read-write.
    let small = dir.path + "/small.raw"
    #expect(try ProcessRunner.run(["qemu-img", "create", "-q", "-f", "raw", small, "64M"]).succeeded)
    #expect(try ProcessRunner.run(["sh", "-c", "echo 'label: dos\nstart=2048, type=83' | sfdisk -q \(small)"]).succeeded)
    let dev = try LoopDevice.attach(small, partitions: 1)
    defer { LoopDevice.detach(dev, partitions: 1) }
    #expect(try ProcessRunner.run(["mkfs.ext4", "-q", "-F", dev + "p1"]).succeeded)
    let mnt = dir.path + "/mnt rw"
    try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
    #expect(try ProcessRunner.run(["mount", dev + "p1", mnt]).succeeded)
    defer { _ = try? ProcessRunner.run(["umount", mnt]) }
    let out = dir.path + "/out"
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    var r = try V2VRun.run(["convert", "-i", "physical", dev, "-o", "local", "-os", out], timeout: 120)
    #expect(r.status == 3, "\(r.stderr)")
    #expect(r.stderr == "v2v: error: \(dev): \(dev)p1 is mounted read-write on \(mnt) (ext4): converting a live filesystem gives a corrupt copy; unmount it or remount it read-only (mount -o remount,ro \(mnt)), then run v2v again\n", "\(r.stderr)")
    #expect(listing(out).isEmpty)
    // The image behind the loop device is the same live disk.
    r = try V2VRun.run(["convert", "-i", "physical", small, "-o", "local", "-os", out], timeout: 120)
    #expect(r.status == 3, "\(r.stderr)")
    #expect(r.stderr.contains("\(small): \(dev)p1 is mounted read-write on \(mnt) (ext4) (attached as \(dev))"), "\(r.stderr)")
    #expect(listing(out).isEmpty)

    // 2. Read-only mounts are accepted: XenPhysicalTests.physicalLoop converts (and boots) a loop device
    // whose root partition is mounted read-only on this host, so that case costs no appliance here.

    // 3. Not a disk: a character device and a directory.
    r = try V2VRun.run(["convert", "-i", "physical", "/dev/null", "-o", "local", "-os", out], timeout: 60)
    #expect(r.status == 3)
    #expect(r.stderr.contains("/dev/null") && r.stderr.contains("is a character device"), "\(r.stderr)")
    r = try V2VRun.run(["convert", "-i", "physical", dir.path, "-o", "local", "-os", out], timeout: 60)
    #expect(r.status == 3, "\(r.stderr)")
    #expect(errorLines(r).count == 1)
    // 4. A device this user may not read (nobody): permission denied, said so.
    let nobody = try ProcessRunner.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", RepoPaths.v2vBinary, "convert", "-i", "physical", dev, "-o", "local", "-os", out], timeout: 60)
    #expect(nobody.status == 3, "\(nobody.stderr)")
    #expect(nobody.stderr == "v2v: error: \(dev): permission denied reading the disk: run v2v as root (or as a member of the 'disk' group)\n", "\(nobody.stderr)")
    #expect(listing(out).isEmpty)
  }
}
