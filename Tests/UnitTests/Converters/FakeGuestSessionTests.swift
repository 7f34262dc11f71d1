import Foundation
import Testing
import V2VCore
import V2VModel
import V2VTestSupport

@Suite("FakeGuestSession", .offPool)
struct FakeGuestSessionTests {
  @Test func rejectsDotDotAndRelativePaths() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path + "/root")
    #expect(throws: FakeGuestSession.Failure.self) { try s.readText("/etc/../../outside") }
    #expect(throws: FakeGuestSession.Failure.self) { try s.writeText("etc/fstab", "") }
  }

  @Test func linksResolveInsideTheRoot() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path)
    try s.makeDirectory("/usr/lib/modules/x")
    try s.writeText("/usr/lib/modules/x/modules.dep", "dep")
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/lib", withDestinationPath: "usr/lib")
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/abs", withDestinationPath: "/usr/lib/modules")
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/up", withDestinationPath: "../../../../etc")
    #expect(try s.readText("/lib/modules/x/modules.dep") == "dep")
    #expect(try s.list("/abs") == ["x"])
    #expect(try s.readLink("/lib") == "usr/lib")
    #expect(try s.hostPath("/up/passwd") == dir.path + "/etc/passwd")
    try s.remove("/abs")
    #expect(try s.readLink("/abs") == nil)
    #expect(try s.isDirectory("/usr/lib/modules"))
  }

  @Test func recordsCommandsAndAnswersByLongestPrefix() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path)
    s.respond(to: ["rpm"], with: "short")
    s.respond(to: ["rpm", "-qa"], with: "bash\n")
    s.fail(["dracut"])
    #expect(try s.run(["rpm", "-qa", "--qf", "%{NAME}\\n"]) == "bash\n")
    #expect(try s.run(["rpm", "-e", "x"]) == "short")
    #expect(try s.run(["true"]) == "")
    #expect(throws: FakeGuestSession.Failure.self) { try s.run(["dracut", "-f"]) }
    #expect(s.commands.count == 4)
  }

  @Test("binary files round-trip every byte value; absent and non-regular files read as nil")
  func binaryFiles() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path)
    let all = (0...255).map { UInt8($0) }
    try s.makeDirectory("/bin")
    try s.writeFile("/bin/all", all + all.reversed())
    #expect(try s.readFile("/bin/all") == all + all.reversed())
    try s.writeFile("/bin/empty", [])
    #expect(try s.readFile("/bin/empty") == [])
    #expect(try s.readFile("/bin/missing") == nil)
    #expect(try s.readFile("/bin") == nil)
    // Text goes through the same bytes.
    try s.writeText("/bin/t", "ä\n")
    #expect(try s.readFile("/bin/t") == [0xC3, 0xA4, 0x0A])
    #expect(try s.readText("/bin/all")?.isEmpty == false)
  }

  @Test("writing keeps an existing file's mode, gives a new one 0644, needs the parent directory when strict")
  func writeSemantics() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path)
    s.createsParentDirectories = true
    try s.writeText("/lenient/when/asked", "x")
    #expect(try s.isDirectory("/lenient/when"))
    s.createsParentDirectories = false  // the default, as the appliance
    #expect(throws: FakeGuestSession.Failure.self) { try s.writeFile("/no/such/dir/f", [1]) }
    #expect(throws: FakeGuestSession.Failure.self) { try s.writeText("/no/such/dir/f", "x") }
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/no"))
    try s.makeDirectory("/etc")
    try s.writeFile("/etc/new", [1, 2, 3])
    #expect(try s.fileInfo("/etc/new")?.mode == 0o644)
    try s.setMode("/etc/new", 0o700)
    try s.writeFile("/etc/new", [9])
    #expect(try s.fileInfo("/etc/new")?.mode == 0o700)
    #expect(try s.fileInfo("/etc/new")?.size == 1)
    #expect(throws: FakeGuestSession.Failure.self) { try s.writeFile("/etc", [1]) }
  }

  @Test("upload and download copy whole files between the host and the tree")
  func uploadDownload() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path + "/root")
    try FileManager.default.createDirectory(atPath: dir.path + "/root", withIntermediateDirectories: true)
    let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
    try Data(big).write(to: URL(fileURLWithPath: dir.path + "/host.bin"))
    try s.makeDirectory("/opt/drivers")
    try s.upload(hostPath: dir.path + "/host.bin", to: "/opt/drivers/viostor.sys")
    #expect(try s.readFile("/opt/drivers/viostor.sys") == big)
    try s.download("/opt/drivers/viostor.sys", toHostPath: dir.path + "/back.bin")
    #expect(FileManager.default.contents(atPath: dir.path + "/back.bin") == Data(big))
    #expect(throws: FakeGuestSession.Failure.self) { try s.upload(hostPath: dir.path + "/nothing", to: "/opt/x") }
    s.createsParentDirectories = false
    #expect(throws: FakeGuestSession.Failure.self) { try s.upload(hostPath: dir.path + "/host.bin", to: "/missing/x") }
    #expect(throws: FakeGuestSession.Failure.self) { try s.download("/opt/none", toHostPath: dir.path + "/none") }
    #expect(throws: FakeGuestSession.Failure.self) { try s.download("/opt", toHostPath: dir.path + "/none") }
  }

  @Test("directories with mode and owner, chmod, chown, fileInfo")
  func modesAndOwners() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path)
    try s.makeDirectory("/a/b/c", mode: 0o750, owner: (uid: 1234, gid: 5678))
    #expect(try s.isDirectory("/a/b"))
    let c = try #require(try s.fileInfo("/a/b/c"))
    #expect(c.mode == 0o750 && c.uid == 1234 && c.gid == 5678)
    #expect(try s.fileInfo("/a/b")?.uid != 1234)  // only the directory itself
    try s.makeDirectory("/a/b/c", mode: 0o700)  // an existing directory still gets the mode
    #expect(try s.fileInfo("/a/b/c")?.mode == 0o700)
    try s.makeDirectory("/d", owner: (uid: 7, gid: 8))
    #expect(try s.fileInfo("/d")?.uid == 7)
    try s.makeDirectory("/e")
    #expect(try s.isDirectory("/e"))
    try s.writeFile("/e/f", Array("12345".utf8))
    try s.setMode("/e/f", 0o4755)
    try s.setOwner("/e/f", uid: 0, gid: 42)
    let f = try #require(try s.fileInfo("/e/f"))
    #expect(f.size == 5 && f.mode == 0o4755 && f.uid == 0 && f.gid == 42)
    // Through a link, like chmod(2)/chown(2)/stat(2).
    try FileManager.default.createSymbolicLink(atPath: dir.path + "/e/link", withDestinationPath: "f")
    try s.setMode("/e/link", 0o600)
    #expect(try s.fileInfo("/e/f")?.mode == 0o600)
    #expect(try s.fileInfo("/e/missing") == nil)
    #expect(throws: FakeGuestSession.Failure.self) { try s.setMode("/e/missing", 0o644) }
    #expect(throws: FakeGuestSession.Failure.self) { try s.setOwner("/e/missing", uid: 0, gid: 0) }
    try s.remove("/e/f")
    try s.writeFile("/e/f", [1])
    #expect(try s.fileInfo("/e/f")?.gid != 42)  // a new file does not inherit a removed one's owner
  }
}
