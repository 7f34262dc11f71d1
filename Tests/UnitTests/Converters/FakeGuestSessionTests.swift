import Foundation
import Testing
import V2VCore
import V2VTestSupport

@Suite("FakeGuestSession")
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
}
