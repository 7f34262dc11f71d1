import Foundation
import Testing
import V2VCore
import V2VModel
import V2VProcess
import V2VTestSupport

/// Remote block devices (`ssh://host/dev/sda`): the ssh command lines, the probe's answers, ssh's messages
/// mapped to classes, the work-directory space check, and the sparse writer (no network).
@Suite("P2V remote block devices", .offPool)
struct RemoteBlockDeviceTests {
  let options = SSHOptions(identity: "/k/id", knownHosts: "/k/known", timeoutSeconds: 7)

  @Test("the ssh command line: keys only, host key checked and never added, timeouts, port and user, the remote command last")
  func sshArguments() throws {
    let uri = try SSHDiskURI.parse("ssh://root@127.0.0.1:2222/dev/sda")
    let argv = RemoteBlockDevice.sshArguments(uri, options: options, remoteCommand: RemoteBlockDevice.streamCommand(uri.path))
    #expect(
      argv == [
        "ssh", "-T", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UpdateHostKeys=no",
        "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no", "-o", "ConnectTimeout=7",
        "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4", "-o", "LogLevel=ERROR",
        "-o", "Ciphers=^aes128-gcm@openssh.com", "-o", "UserKnownHostsFile=/k/known", "-i", "/k/id", "-p", "2222", "-l", "root",
        "--", "127.0.0.1", "exec cat -- '/dev/sda'",
      ])
    // Defaults: ssh's own user, keys and known_hosts; the host after "--", so it can never be an option.
    let plain = RemoteBlockDevice.sshArguments(try SSHDiskURI.parse("ssh://h/dev/sdb"), options: SSHOptions(), remoteCommand: "x")
    #expect(plain.suffix(3) == ["--", "h", "x"])
    #expect(!plain.contains("-p") && !plain.contains("-l") && !plain.contains("-i"))
    #expect(plain.contains("StrictHostKeyChecking=yes") && plain.contains("BatchMode=yes") && plain.contains("ConnectTimeout=10"))
    #expect(!(argv + plain).contains { $0.contains("StrictHostKeyChecking=no") || $0.contains("accept-new") })
  }

  @Test("paths reach the remote shell as one word, whatever they contain")
  func quoting() throws {
    for path in ["/dev/sda", "/srv/my disk's.img", "/x;rm -rf /", "/$(id)`id`\"\\"] {
      let r = try ProcessRunner.run(["sh", "-c", "printf %s " + RemoteBlockDevice.shellQuote(path)])
      #expect(r.stdout == path)
    }
    // The probe runs under sh -c with the path as $1: run it here on a few local paths.
    let tmp = try TempDir(prefix: "v2v-probe")
    let file = tmp.path + "/it's a file"
    FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
    func probe(_ p: String) throws -> RemoteBlockDevice.Probe? {
      RemoteBlockDevice.parseProbe(try ProcessRunner.run(["sh", "-c", RemoteBlockDevice.probeCommand(p)]).stdout)
    }
    #expect(try probe(file) == .file)
    #expect(try probe(tmp.path + "/nope") == .missing)
    #expect(try probe("/dev/null") == .other("character device"))
    #expect(try probe(tmp.path) == .other("directory"))
  }

  @Test("the probe's one line parsed")
  func parseProbe() {
    #expect(RemoteBlockDevice.parseProbe("v2v-probe block 4294967296\n") == .block(4 << 30))
    #expect(RemoteBlockDevice.parseProbe("motd\nv2v-probe block unknown\n") == .block(nil))
    #expect(RemoteBlockDevice.parseProbe("v2v-probe missing") == .missing)
    #expect(RemoteBlockDevice.parseProbe("v2v-probe unreadable") == .unreadable)
    #expect(RemoteBlockDevice.parseProbe("v2v-probe file") == .file)
    #expect(RemoteBlockDevice.parseProbe("v2v-probe other special file") == .other("special file"))
    #expect(RemoteBlockDevice.parseProbe("") == nil)
    #expect(RemoteBlockDevice.parseProbe("v2v-probe what") == nil)
  }

  @Test(
    "ssh's messages map to the same classes and lines as nbdkit's",
    arguments: [
      ("ssh: connect to host 127.0.0.1 port 2222: Connection refused", Int32(255), RemoteSourceError.Kind.unreachable,
       "cannot connect to 127.0.0.1 port 2222: connection refused (is the rescue system", ExitClass.sourceInvalid),
      ("ssh: connect to host 192.0.2.10 port 2222: Connection timed out", 255, .unreachable, "port 2222: connection timed out", .sourceInvalid),
      ("ssh: Could not resolve hostname nosuch.invalid: Name or service not known", 255, .unreachable,
       "name or service not known", .sourceInvalid),
      ("root@127.0.0.1: Permission denied (publickey).", 255, .authenticationFailed,
       "SSH login as root refused (no key accepted): add the public key of /k/id to ~/.ssh/authorized_keys", .sourceInvalid),
      ("""
      @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
      @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
      @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
      Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.
      Host key verification failed.
      """, 255, .hostKeyMismatch, "the host key of 127.0.0.1 does not match the one in /k/known", .sourceIntegrity),
      ("No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.",
       255, .hostKeyUnknown, "the host key of 127.0.0.1 is not in /k/known", .sourceIntegrity),
      ("cat: /dev/sda: No such file or directory", 1, .noSuchPath, "no such file or device on the remote machine: /dev/sda", .sourceInvalid),
      ("cat: /dev/sda: Permission denied", 1, .permissionDenied, "permission denied reading /dev/sda", .sourceInvalid),
      ("cat: /dev/sda: Input/output error", 1, .failed, "cannot read the remote disk: cat: /dev/sda: Input/output error", .sourceInvalid),
      ("", 137, .failed, "ssh exited with status 137", .sourceInvalid),
    ])
  func classify(stderr: String, status: Int32, kind: RemoteSourceError.Kind, phrase: String, exit: ExitClass) throws {
    let uri = try SSHDiskURI.parse("ssh://root@127.0.0.1:2222/dev/sda")
    let (k, line) = RemoteBlockDevice.classify(sshStderr: stderr, status: status, uri: uri, options: options)
    #expect(k == kind, "\(line)")
    #expect(line.contains(phrase), "\(line)")
    #expect(!line.contains("\n"))
    #expect(RemoteSourceError(uri: "u", kind: k, detail: line).exitClass == exit)
  }

  @Test("the work directory must hold the device's size; the refusal names --work-dir")
  func space() {
    #expect(RemoteBlockDevice.spaceError(uri: "u", needed: 4 << 30, available: 4 << 30, directory: "/w") == nil)
    let e = RemoteBlockDevice.spaceError(uri: "ssh://h/dev/sda", needed: 4 << 30, available: 1 << 30, directory: "/w")
    #expect(e?.kind == .workSpace)
    #expect(e?.exitClass == .hostNotReady)
    #expect(e?.description == "ssh://h/dev/sda: the remote block device is copied to the work directory first and needs 4.0 GiB there; /w has 1.0 GiB free: choose a larger one with --work-dir (or TMPDIR)")
  }

  @Test("the sparse writer: the same bytes, holes for zero blocks (trailing ones too), any chunking")
  func sparseWriter() throws {
    let tmp = try TempDir(prefix: "v2v-sparse")
    let block = SparseWriter.block
    // 8 blocks: data, zero, zero, data (one byte at its end), zero ×3, and a short zero tail.
    var bytes = [UInt8](repeating: 0, count: 7 * block + 1000)
    for i in 0..<block { bytes[i] = UInt8(truncatingIfNeeded: i &* 7 &+ 1) }
    bytes[4 * block - 1] = 0xAB
    for chunk in [block, 1000, 3 * block + 17, bytes.count] {
      let path = tmp.path + "/img-\(chunk)"
      let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
      #expect(fd >= 0)
      var w = SparseWriter(fd: fd)
      try bytes.withUnsafeBytes { all in
        var at = 0
        while at < all.count {
          let n = min(chunk, all.count - at)
          try w.write(UnsafeRawBufferPointer(rebasing: all[at..<at + n]))
          at += n
        }
      }
      try w.finish()
      close(fd)
      #expect(w.offset == UInt64(bytes.count))
      let back = try Data(contentsOf: URL(fileURLWithPath: path))
      #expect(back == Data(bytes), "chunk \(chunk): content differs")
      if chunk % block == 0 {
        // Block-aligned writes: exactly the two data blocks written.
        #expect(w.dataBytes == UInt64(2 * block), "chunk \(chunk): \(w.dataBytes)")
      }
      var st = stat()
      #expect(stat(path, &st) == 0)
      #expect(UInt64(st.st_blocks) * 512 < UInt64(bytes.count) / 2, "chunk \(chunk): not sparse (\(st.st_blocks) blocks)")
    }
  }
}
