import Foundation
import Testing
import V2VCore
import V2VModel

/// P2V source checks on synthetic text: mountinfo and a fake /sys tree (no devices, no root needed).
@Suite("P2V source devices")
struct SourceDeviceTests {
  static let mountinfo = """
    22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
    30 22 7:1 / /mnt/live\\040disk rw,noatime shared:5 - ext4 /dev/loop0p1 rw
    31 22 7:2 / /mnt/ro ro,relatime shared:6 - ext4 /dev/loop0p2 ro
    32 22 253:0 / /srv/data rw,relatime shared:7 - xfs /dev/mapper/vg-data rw,attr2
    33 22 7:16 / /media/cd ro,relatime - iso9660 /dev/loop1 ro
    34 22 8:1 / /mnt/bindro ro,relatime - ext4 /dev/sda1 rw
    """

  /// loop0 (partitions loop0p1 mounted rw, loop0p2 ro); sda (sda1 mounted ro, sda2 is an LVM PV holding
  /// dm-0 = vg-data mounted rw); sdb (sdb1 swap); sdc (nothing).
  static let sysfs = BlockSysfs.fake([
    "/sys/class/block/loop0/dev": "7:0\n",
    "/sys/class/block/loop0/loop/backing_file": "/images/disk.raw\n",
    "/sys/class/block/loop0/loop0p1/partition": "1\n",
    "/sys/class/block/loop0/loop0p2/partition": "2\n",
    "/sys/class/block/loop0p1/dev": "7:1\n",
    "/sys/class/block/loop0p2/dev": "7:2\n",
    "/sys/class/block/loop1/dev": "7:16\n",
    "/sys/class/block/sda/dev": "8:0\n",
    "/sys/class/block/sda/sda1/partition": "1\n",
    "/sys/class/block/sda/sda2/partition": "2\n",
    "/sys/class/block/sda/queue/rotational": "0\n",
    "/sys/class/block/sda1/dev": "8:1\n",
    "/sys/class/block/sda2/dev": "8:2\n",
    "/sys/class/block/sda2/holders/dm-0": "",
    "/sys/class/block/dm-0/dev": "253:0\n",
    "/sys/class/block/dm-0/dm/name": "vg-data\n",
    "/sys/class/block/sdb/dev": "8:16\n",
    "/sys/class/block/sdb/sdb1/partition": "1\n",
    "/sys/class/block/sdb1/dev": "8:17\n",
    "/sys/class/block/sdc/dev": "8:32\n",
  ])

  @Test("mountinfo: device, mount point (escapes decoded), per-mount and superblock options")
  func parseMountInfo() {
    let m = SourceDevices.parseMountInfo(Self.mountinfo)
    #expect(m.count == 6)
    #expect(m[1].device == "7:1")
    #expect(m[1].mountPoint == "/mnt/live disk")
    #expect(m[1].fsType == "ext4")
    #expect(m[1].source == "/dev/loop0p1")
    #expect(m[1].isWritable)
    #expect(!m[2].isWritable, "mounted ro")
    #expect(!m[5].isWritable, "a read-only bind of a read-write superblock writes nothing through this mount")
    #expect(SourceDevices.parseMountInfo("garbage line\n\n1 2 3").isEmpty)
  }

  @Test("the stack of a disk: itself, its partitions, and what device-mapper built on them")
  func stack() {
    #expect(Self.sysfs.stack(of: "sda") == ["sda", "sda1", "sda2", "dm-0"])
    #expect(Self.sysfs.stack(of: "loop0") == ["loop0", "loop0p1", "loop0p2"])
    #expect(Self.sysfs.stack(of: "sdc") == ["sdc"])
    #expect(Self.sysfs.loopDevices(backedBy: "/images/disk.raw") == ["loop0"])
  }

  @Test("a partition mounted read-write is a live use naming the mount point; read-only mounts are not")
  func partitionMountedReadWrite() {
    let mounts = SourceDevices.parseMountInfo(Self.mountinfo)
    let uses = SourceDevices.liveUses(of: "loop0", sysfs: Self.sysfs, mounts: mounts)
    #expect(uses == [LiveUse(device: "/dev/loop0p1", mountPoint: "/mnt/live disk", fsType: "ext4")])
    let e = SourceDevices.refusal(path: "/dev/loop0", uses: uses)
    #expect(e?.exitClass == .sourceInvalid)
    #expect(
      e?.description
        == "/dev/loop0: /dev/loop0p1 is mounted read-write on /mnt/live disk (ext4): converting a live filesystem gives a "
        + "corrupt copy; unmount it or remount it read-only (mount -o remount,ro /mnt/live disk), then run v2v again")
  }

  @Test("an LVM volume on a partition, mounted read-write, makes the whole disk live")
  func stackedLVM() {
    let uses = SourceDevices.liveUses(of: "sda", sysfs: Self.sysfs, mounts: SourceDevices.parseMountInfo(Self.mountinfo))
    #expect(uses == [LiveUse(device: "/dev/mapper/vg-data", mountPoint: "/srv/data", fsType: "xfs")])
    // The partition alone (sda1, mounted read-only) is fine.
    #expect(SourceDevices.liveUses(of: "sda1", sysfs: Self.sysfs, mounts: SourceDevices.parseMountInfo(Self.mountinfo)).isEmpty)
  }

  @Test("only read-only mounts, or none: accepted")
  func readOnlyOrUnmounted() {
    let mounts = SourceDevices.parseMountInfo(Self.mountinfo)
    #expect(SourceDevices.liveUses(of: "loop1", sysfs: Self.sysfs, mounts: mounts).isEmpty)
    #expect(SourceDevices.liveUses(of: "sdc", sysfs: Self.sysfs, mounts: mounts).isEmpty)
    #expect(SourceDevices.refusal(path: "/dev/sdc", uses: []) == nil)
    // The same disk with its rw mount remounted read-only.
    let ro = Self.mountinfo.replacingOccurrences(of: "/mnt/live\\040disk rw,noatime", with: "/mnt/live\\040disk ro,noatime")
    #expect(SourceDevices.liveUses(of: "loop0", sysfs: Self.sysfs, mounts: SourceDevices.parseMountInfo(ro)).isEmpty)
  }

  @Test("active swap on a partition is a live use")
  func swap() {
    #expect(SourceDevices.parseSwaps("Filename\tType\tSize\tUsed\tPriority\n/dev/sdb1 partition 1048572 0 -2\n") == ["/dev/sdb1"])
    let uses = SourceDevices.liveUses(of: "sdb", sysfs: Self.sysfs, mounts: [], swapDevices: ["8:17"])
    #expect(uses == [LiveUse(device: "/dev/sdb1", mountPoint: nil, fsType: "swap")])
    #expect(SourceDevices.refusal(path: "/dev/sdb", uses: uses)?.description.contains("swapoff /dev/sdb1") == true)
  }

  @Test("an image attached to a loop device is refused through that device")
  func loopBackedImage() {
    let uses = SourceDevices.liveUses(of: "loop0", sysfs: Self.sysfs, mounts: SourceDevices.parseMountInfo(Self.mountinfo))
    let e = SourceDevices.refusal(path: "/images/disk.raw", via: "/dev/loop0", uses: uses)
    #expect(e?.description.hasPrefix("/images/disk.raw: /dev/loop0p1 is mounted read-write on /mnt/live disk (ext4) (attached as /dev/loop0)") == true)
  }
}

/// `ssh://` disk URIs, the nbdkit command line, and nbdkit's messages mapped to classes (no network).
@Suite("P2V remote sources")
struct RemoteSourceTests {
  @Test("well-formed URIs: user, host, port, path; IPv6 in brackets; %-escapes in the path")
  func parse() throws {
    #expect(try SSHDiskURI.parse("ssh://root@192.0.2.10/dev/sda") == SSHDiskURI(user: "root", host: "192.0.2.10", port: nil, path: "/dev/sda"))
    #expect(try SSHDiskURI.parse("ssh://rescue.example.com:2222/dev/nvme0n1")
      == SSHDiskURI(user: nil, host: "rescue.example.com", port: 2222, path: "/dev/nvme0n1"))
    #expect(try SSHDiskURI.parse("SSH://admin@[2001:db8::1]:22/srv/my%20disk.img")
      == SSHDiskURI(user: "admin", host: "2001:db8::1", port: 22, path: "/srv/my disk.img"))
    #expect(try SSHDiskURI.parse("ssh://root@[::1]/dev/sda").description == "ssh://root@[::1]/dev/sda")
    #expect(SSHDiskURI.isSSH("ssh:root@host") && SSHDiskURI.isSSH("Ssh://x") && !SSHDiskURI.isSSH("/dev/sda"))
  }

  @Test(
    "malformed URIs are usage errors naming the URI and the problem",
    arguments: [
      ("ssh://root@host", "no disk path"),
      ("ssh://root@host/", "names a directory"),
      ("ssh://root:secret@host/dev/sda", "a password in the URI is not accepted"),
      ("ssh://root@host:0/dev/sda", "invalid port '0'"),
      ("ssh://root@host:70000/dev/sda", "invalid port '70000'"),
      ("ssh://root@host:22x/dev/sda", "invalid port"),
      ("ssh://root@/dev/sda", "no host"),
      ("ssh://@host/dev/sda", "empty user name"),
      ("ssh://root@-oProxyCommand=x/dev/sda", "invalid host name"),
      ("ssh://-l@host/dev/sda", "invalid user name"),
      ("ssh://root@host/dev/sda?x=1", "query strings"),
      ("ssh://root@2001:db8::1/dev/sda", "more than one ':'"),
      ("ssh://root@[2001:db8::1/dev/sda", "unterminated '['"),
      ("ssh://root@host/dev/s da", "spaces or control characters"),
      ("ssh:/host/dev/sda", "not an SSH URI"),
      ("ssh://root@host/dev/%zz", "invalid %-escape"),
    ])
  func malformed(uri: String, problem: String) {
    let e = #expect(throws: RemoteSourceError.self) { try SSHDiskURI.parse(uri) }
    #expect(e?.kind == .malformedURI)
    #expect(e?.exitClass == .usage)
    let shown = uri.replacingOccurrences(of: ":secret@", with: ":***@")
    #expect(e?.description.hasPrefix(shown + ": ") == true, "\(e?.description ?? "")")
    #expect(e?.description.contains("secret") == false, "a password is never echoed")
    #expect(e?.description.contains(problem) == true, "\(e?.description ?? "")")
  }

  @Test("the nbdkit command line: foreground, read-only, Unix socket, host key verified, keys, timeout, parent watch")
  func nbdkitArguments() throws {
    let uri = try SSHDiskURI.parse("ssh://root@127.0.0.1:2222/dev/sda")
    let argv = RemoteSources.nbdkitArguments(
      uri, options: SSHOptions(identity: "/k/id", knownHosts: "/k/known", timeoutSeconds: 7), socket: "/w/sda.sock", parentPID: 42)
    #expect(
      argv == [
        "nbdkit", "--foreground", "--readonly", "--unix", "/w/sda.sock", "--filter=exitwhen", "ssh", "host=127.0.0.1",
        "path=/dev/sda", "port=2222", "user=root", "identity=/k/id", "known-hosts=/k/known", "verify-remote-host=true",
        "timeout=7", "exit-when-process-exits=42", "exit-when-poll=2",
      ])
    // Defaults: libssh's own user, keys and known_hosts; never a password, never verification off.
    let plain = RemoteSources.nbdkitArguments(try SSHDiskURI.parse("ssh://h/d.img"), options: SSHOptions(), socket: "/s")
    #expect(plain == ["nbdkit", "--foreground", "--readonly", "--unix", "/s", "ssh", "host=h", "path=/d.img", "verify-remote-host=true", "timeout=10"])
    #expect(!(argv + plain).contains { $0.hasPrefix("password") || $0 == "verify-remote-host=false" })
  }

  @Test(
    "nbdkit's libssh messages map to classes with one line each",
    arguments: [
      ("nbdkit: ssh[1]: error: failed to connect to remote host: 127.0.0.1: Connection refused", RemoteSourceError.Kind.unreachable,
       "cannot connect to 127.0.0.1 port 2222: connection refused", ExitClass.sourceInvalid),
      ("nbdkit: ssh[1]: error: failed to connect to remote host: 127.0.0.1: Timeout connecting to 127.0.0.1", .unreachable,
       "timeout connecting", .sourceInvalid),
      ("nbdkit: ssh[1]: error: cannot open file for reading: SFTP server: No such file", .noSuchPath,
       "no such file or device on the remote machine: /dev/sda", .sourceInvalid),
      ("nbdkit: ssh[1]: error: cannot open file for reading: SFTP server: Permission denied", .permissionDenied,
       "permission denied reading /dev/sda", .sourceInvalid),
      ("nbdkit: ssh[1]: error: all possible authentication methods failed", .authenticationFailed,
       "SSH login as root refused (no key accepted): add the public key of /k/id to ~/.ssh/authorized_keys", .sourceInvalid),
      ("nbdkit: ssh[1]: error: host key for server changed", .hostKeyMismatch,
       "does not match the one in /k/known", .sourceIntegrity),
      ("nbdkit: ssh[1]: error: host key for server was not found but another type of key exists", .hostKeyMismatch,
       "does not match", .sourceIntegrity),
      ("nbdkit: ssh[1]: error: either the host key is unknown, you must use ssh first and accept the host key; or the known_hosts file", .hostKeyUnknown,
       "is not in /k/known", .sourceIntegrity),
      ("nbdkit: debug: x\nnbdkit: ssh[1]: error: something new\n", .failed, "cannot read the remote disk: something new", .sourceInvalid),
    ])
  func classify(stderr: String, kind: RemoteSourceError.Kind, phrase: String, exit: ExitClass) throws {
    let uri = try SSHDiskURI.parse("ssh://root@127.0.0.1:2222/dev/sda")
    let (k, line) = RemoteSources.classify(nbdkitStderr: stderr, uri: uri, options: SSHOptions(identity: "/k/id", knownHosts: "/k/known"))
    #expect(k == kind)
    #expect(line.contains(phrase), "\(line)")
    #expect(!line.contains("\n"))
    #expect(RemoteSourceError(uri: "u", kind: k, detail: line).exitClass == exit)
  }

  @Test("a missing --ssh-identity or --ssh-known-hosts file is a usage error before connecting")
  func missingKeyFile() {
    let e = #expect(throws: RemoteSourceError.self) {
      try RemoteSources.validate(["ssh://root@h/dev/sda"], options: SSHOptions(identity: "/nonexistent/key"))
    }
    #expect(e?.exitClass == .usage)
    #expect(e?.description == "--ssh-identity: /nonexistent/key: no such file")
    // Local disks only: the options are not looked at.
    #expect(throws: Never.self) { try RemoteSources.validate(["/dev/sda"], options: SSHOptions(identity: "/nonexistent/key")) }
  }
}
