import Foundation
import Hivex
import Testing
import V2VProcess
import V2VTestSupport

/// The hivex wrapper against the real library, on an empty hive written by Fixtures/windows/empty-hive.py.
@Suite("hivex wrapper", .offPool)
struct HiveTests {
  @Test("every value type round-trips through a commit; keys are found case-insensitively; deletes and errors")
  func roundTrip() throws {
    let dir = try TempDir(prefix: "v2v-hive")
    let path = dir.path + "/SYSTEM"
    #expect(try ProcessRunner.run(["python3", RepoPaths.fixtures + "/windows/empty-hive.py", path]).succeeded)
    let values: [(String, RegistryValue)] = [
      ("", .string("default value")), ("Text", .string("Grüße ✓")), ("Path", .expandString("%SystemRoot%\\inf")),
      ("List", .multiString(["a", "bc", ""].filter { !$0.isEmpty })), ("Start", .dword(0)), ("Big", .qword(0x1_0000_0001)),
      ("Bytes", .binary([0x01, 0xff, 0x00, 0x00])),
    ]
    do {
      let h = try Hive(path: path, writable: true)
      let key = try h.createKey(["ControlSet001", "Services", "viostor"])
      for (n, v) in values { try h.setValue(key, n, v) }
      try h.createKey(["ControlSet001", "Services", "gone", "child"])
      try h.deleteKey(["ControlSet001", "Services", "gone"])
      try h.deleteKey(["ControlSet001", "Services", "never-there"])  // nothing, no error
      try h.commit()
    }
    let h = try Hive(path: path)
    for (n, v) in values { #expect(try h.value(at: ["controlset001", "SERVICES", "viostor"], n) == v, "\(n)") }
    #expect(try h.node(["ControlSet001", "Services", "gone"]) == nil)
    #expect(try h.children(try #require(try h.node(["ControlSet001", "Services"]))) == ["viostor"])
    #expect(try h.value(at: ["ControlSet001", "Services", "viostor"], "Missing") == nil)
    #expect(try h.node(["Nope"]) == nil)
    #expect(RegistryValue.dword(4).description == "dword:00000004")
    #expect(throws: HivexError.self) { try Hive(path: dir.path + "/missing") }
    do {
      _ = try Hive(path: dir.path + "/missing")
    } catch {
      #expect("\(error)".contains(dir.path + "/missing"))
    }
  }
}
