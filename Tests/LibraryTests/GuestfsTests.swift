import Foundation
import Guestfs
import Testing
import V2VProcess
import V2VCore
import V2VModel
@testable import V2VGuestfs
import V2VTestSupport

/// The libguestfs wrapper and ``GuestfsAppliance``'s session against the real library: one appliance start
/// (~20-30 s under TCG) for all of it.
@Suite("libguestfs wrapper", .serialized, .offPool)
struct GuestfsTests {
  @Test("one appliance on a scratch disk: files, binary content, streaming, modes, owners, the session, errors")
  func roundTrip() throws {
    let dir = try TempDir()
    let disk = dir.path + "/scratch.img"
    #expect(FileManager.default.createFile(atPath: disk, contents: nil))
    try FileHandle(forWritingAtPath: disk)!.truncate(atOffset: 64 << 20)
    #expect(try Self.host(["/usr/sbin/mkfs.ext4", "-q", "-F", disk]).status == 0)

    let g = try Appliance.handle(accelerator: .tcg, smp: 1)
    try g.addDrive(disk, format: "raw")
    #expect(throws: GuestfsError.self) { try g.pid() }  // no qemu yet
    try g.launch()
    defer { try? g.shutdown() }

    // The appliance's qemu, for the job to kill on cancellation.
    let pid = try g.pid()
    let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self) }
    #expect(cmdline?.contains("qemu") == true, "pid \(pid): \(cmdline ?? "no such process")")

    #expect(try g.inspectOS().isEmpty)  // a filesystem with no OS on it (inspect_os unmounts everything)
    try g.mount("/dev/sda", at: "/")
    try g.mkdirP("/etc/v2v")
    try g.write("/etc/v2v/hello", Array("hello from v2v\n".utf8))
    #expect(try g.readFile("/etc/v2v/hello") == Array("hello from v2v\n".utf8))
    #expect(try g.exists("/etc/v2v/hello"))
    #expect(try g.isDir("/etc/v2v"))
    #expect(try !g.isFile("/etc/v2v/missing"))
    #expect(try g.ls("/etc/v2v") == ["hello"])

    // Binary content: every byte value, and the empty file.
    let all = (0...255).map { UInt8($0) }
    try g.write("/etc/v2v/all", all + all.reversed())
    #expect(try g.readFile("/etc/v2v/all") == all + all.reversed())
    try g.write("/etc/v2v/empty", [])
    #expect(try g.readFile("/etc/v2v/empty") == [])
    let allStat = try g.statns("/etc/v2v/all")
    #expect(allStat.size == 512 && allStat.isRegularFile && allStat.uid == 0)
    #expect(try !g.statns("/etc/v2v").isRegularFile)

    // Streaming: a 5 MiB host file in and out, unchanged.
    let big = FileHandle(forReadingAtPath: "/dev/urandom")!.readData(ofLength: 5 << 20)
    try big.write(to: URL(fileURLWithPath: dir.path + "/big.bin"))
    try g.upload(dir.path + "/big.bin", to: "/big.bin")
    #expect(try g.statns("/big.bin").size == 5 << 20)
    try g.download("/big.bin", to: dir.path + "/back.bin")
    #expect(try Self.sha256(dir.path + "/back.bin") == Self.sha256(dir.path + "/big.bin"))
    let readBig = try g.readFile("/big.bin") == Array(big)  // read_file streams: no 4 MiB message limit
    #expect(readBig)

    // Owner and mode; chown first, as it clears set-user-ID.
    try g.chown(uid: 1001, gid: 1002, "/etc/v2v/hello")
    try g.chmod(0o4750, "/etc/v2v/hello")
    let hello = try g.statns("/etc/v2v/hello")
    #expect(hello.mode & 0o7777 == 0o4750 && hello.uid == 1001 && hello.gid == 1002)

    // The GuestSession of the real appliance, over the same handle.
    let a = GuestfsAppliance(g: g)
    #expect(try a.readFile("/missing") == nil)
    #expect(try a.readFile("/etc") == nil)
    #expect(try a.fileInfo("/missing") == nil)
    try a.writeFile("/etc/v2v/new", all)
    #expect(try a.readFile("/etc/v2v/new") == all)
    let new = try #require(try a.fileInfo("/etc/v2v/new"))
    #expect(new.size == 256 && new.mode == 0o644 && new.uid == 0 && new.gid == 0)
    try a.setMode("/etc/v2v/new", 0o600)
    try a.writeText("/etc/v2v/new", "text ä\n")  // an existing file keeps its mode
    #expect(try a.readText("/etc/v2v/new") == "text ä\n")
    #expect(try a.fileInfo("/etc/v2v/new")?.mode == 0o600)
    #expect(throws: GuestfsError.self) { try a.writeFile("/no/such/dir/f", [1]) }
    // More than one protocol message (4 MiB) both ways.
    let sessionReadBig = try a.readFile("/big.bin") == Array(big)
    #expect(sessionReadBig)
    let large = Array(big.reversed())
    try a.writeFile("/etc/v2v/large", large)
    let sessionLarge = try a.readFile("/etc/v2v/large") == large
    #expect(sessionLarge)
    try a.upload(hostPath: dir.path + "/big.bin", to: "/etc/v2v/up.bin")
    try a.download("/etc/v2v/up.bin", toHostPath: dir.path + "/down.bin")
    #expect(try Self.sha256(dir.path + "/down.bin") == Self.sha256(dir.path + "/big.bin"))
    // Directories: parents created, mode and owner on the directory itself, also when it exists.
    try a.makeDirectory("/srv/a/b", mode: 0o750, owner: (uid: 1234, gid: 5678))
    let b = try #require(try a.fileInfo("/srv/a/b"))
    #expect(b.mode == 0o750 && b.uid == 1234 && b.gid == 5678)
    #expect(try a.isDirectory("/srv/a") && a.fileInfo("/srv/a")?.uid == 0)
    try a.makeDirectory("/srv/a/b", mode: 0o1777)
    #expect(try a.fileInfo("/srv/a/b")?.mode == 0o1777)
    try a.makeDirectory("/srv/plain")
    #expect(try a.isDirectory("/srv/plain"))
    try a.setOwner("/etc/v2v/new", uid: 42, gid: 43)
    let owned = try #require(try a.fileInfo("/etc/v2v/new"))
    #expect(owned.uid == 42 && owned.gid == 43 && owned.size == Int64("text ä\n".utf8.count))

    // Changes through the real session.
    let warnings = try ChangeApplier.apply(
      [
        GuestChange(.makeDirectory(path: "/opt/drv", mode: 0o755, owner: nil), reason: "r", summary: "dir"),
        GuestChange(.writeFile(path: "/opt/drv/viostor.sys", bytes: all, mode: 0o640), reason: "r", summary: "driver"),
        GuestChange(.upload(hostPath: dir.path + "/big.bin", guestPath: "/opt/drv/big.bin", mode: 0o600), reason: "r", summary: "big"),
        GuestChange(.setOwner(path: "/opt/drv/viostor.sys", uid: 7, gid: 8), reason: "r", summary: "chown"),
        GuestChange(.setMode(path: "/missing", mode: 0o600), reason: "r", summary: "optional chmod", optional: true),
      ], to: a)
    #expect(warnings.count == 1 && warnings[0].hasPrefix("optional chmod: guestfs_chmod"), "\(warnings)")
    #expect(try a.readFile("/opt/drv/viostor.sys") == all)
    let drv = try #require(try a.fileInfo("/opt/drv/viostor.sys"))
    #expect(drv.mode == 0o640 && drv.uid == 7 && drv.gid == 8)
    #expect(try a.fileInfo("/opt/drv/big.bin")?.mode == 0o600)
    #expect(try a.fileInfo("/opt/drv")?.mode == 0o755)

    // Errors come back as GuestfsError with libguestfs's message, captured right after the call.
    let err = #expect(throws: GuestfsError.self) { try g.readFile("/no/such/file") }
    #expect(err?.function == "guestfs_read_file")
    #expect(err?.message.contains("No such file") == true, "\(String(describing: err))")
    let statErr = #expect(throws: GuestfsError.self) { try g.statns("/no/such/file") }
    #expect(statErr?.function == "guestfs_statns")

    try g.umountAll()
  }

  @Test("a missing disk is refused before launch, naming the file")
  func missingDisk() throws {
    let g = try Guestfs()
    let err = #expect(throws: GuestfsError.self) { try g.addDrive("/nonexistent/disk.img", format: "raw") }
    #expect(err?.message.contains("/nonexistent/disk.img") == true)
  }

  /// Runs a host program (found on PATH), returning its exit status and stdout.
  @Test("an appliance whose daemon never answers: its qemu is killed at the limit, the start tried once more, then a clear error")
  func hungLaunch() throws {
    let dir = try TempDir()
    let disk = dir.path + "/overlay-hang.img"
    #expect(FileManager.default.createFile(atPath: disk, contents: nil))
    try FileHandle(forWritingAtPath: disk)!.truncate(atOffset: 16 << 20)
    // A qemu that answers libguestfs' probes and then hangs on the appliance boot itself (-kernel), as an
    // appliance kernel stuck under TCG does.
    let fake = dir.path + "/qemu-that-hangs"
    try """
      #!/bin/bash
      for a in "$@"; do [ "$a" = -kernel ] && { echo boot >> "$0.boots"; while :; do sleep 1; done; }; done
      exec /usr/bin/qemu-system-x86_64 "$@"

      """.write(toFile: fake, atomically: true, encoding: .utf8)
    chmod(fake, 0o755)
    var launcher = GuestfsLauncher(smp: 1, launchTimeout: 3)
    launcher.hypervisor = fake
    var reports: [String] = []
    let started = Date()
    do {
      _ = try launcher.launch(
        disks: [OverlayDisk(path: disk, format: "raw")], accelerator: .tcg, verbose: false, report: { reports.append($0) })
      Issue.record("a launch on a qemu that never boots succeeded")
    } catch let e as V2VError {
      #expect(e.exitClass == .hostNotReady)
      #expect(e.message.contains("did not answer within 3 s") && e.message.contains("twice"), "\(e.message)")
    }
    #expect(reports.count == 1 && reports.first?.contains("starting it once more") == true, "\(reports)")
    let boots = (try? String(contentsOfFile: fake + ".boots", encoding: .utf8)) ?? ""
    #expect(boots == "boot\nboot\n", "appliance boots tried: \(boots.debugDescription)")
    #expect(Date().timeIntervalSince(started) < 300)
    // Nothing of either try is left running.
    #expect(LaunchWatchdog.child(of: getpid(), mentioning: [disk]) == nil)
  }

  @Test("/proc/PID/stat: the parent pid after a command name with spaces and parentheses")
  func statParent() {
    #expect(LaunchWatchdog.parentPID(stat: "4242 (qemu-system-x86) S 17 4242 17 0 -1") == 17)
    #expect(LaunchWatchdog.parentPID(stat: "4243 (a (b) c) R 99 1 1") == 99)
    #expect(LaunchWatchdog.parentPID(stat: "garbage") == nil)
  }

  private static func host(_ argv: [String]) throws -> (status: Int32, out: String) {
    let r = try ProcessRunner.run(argv, timeout: 120)
    return (r.status, r.stdout)
  }

  /// SHA-256 of a host file (coreutils).
  private static func sha256(_ path: String) throws -> String {
    let r = try host(["sha256sum", path])
    #expect(r.status == 0)
    return String(r.out.prefix(64))
  }
}
