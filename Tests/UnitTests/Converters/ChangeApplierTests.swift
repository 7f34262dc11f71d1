import Foundation
import Testing
import V2VCore
import V2VTestSupport

/// A typed operation for the tests: writes its detail into a file, or fails.
private struct StampOperation: GuestOperation {
  var path: String
  var stamp: String
  var failWith: String?
  var kind: String { "stamp" }
  var detail: String { "\(path) <- \(stamp)" }
  func apply(to session: GuestSession) throws {
    if let failWith { throw OperationFailed(description: failWith) }
    try session.writeText(path, stamp)
  }
}

private struct OperationFailed: Error, CustomStringConvertible { var description: String }

/// Another operation type with the same kind and detail as a ``StampOperation``.
private struct LookAlike: GuestOperation {
  var kind: String { "stamp" }
  var detail: String { "/x <- 1" }
  func apply(to session: GuestSession) throws {}
}

@Suite("ChangeApplier", .offPool)
struct ChangeApplierTests {
  private func change(_ kind: GuestChange.Kind, optional: Bool = false) -> GuestChange {
    GuestChange(kind, reason: "test", summary: "change \(kind)", optional: optional)
  }

  @Test("writeFile: bytes as given; mode set when asked, else an existing file keeps its own")
  func writeFile() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path)
    try s.makeDirectory("/etc")
    try s.writeText("/etc/keep", "old")
    try s.setMode("/etc/keep", 0o600)
    let bytes = (0...255).map { UInt8($0) }
    let warnings = try ChangeApplier.apply(
      [
        change(.writeFile(path: "/etc/bin", bytes: bytes, mode: 0o755)),
        change(.writeFile(path: "/etc/keep", bytes: [0, 1], mode: nil)),
      ], to: s)
    #expect(warnings.isEmpty)
    #expect(try s.readFile("/etc/bin") == bytes)
    #expect(try s.fileInfo("/etc/bin")?.mode == 0o755)
    #expect(try s.readFile("/etc/keep") == [0, 1])
    #expect(try s.fileInfo("/etc/keep")?.mode == 0o600)
  }

  @Test("upload: the host file's content, then the mode")
  func upload() throws {
    let dir = try TempDir()
    try FileManager.default.createDirectory(atPath: dir.path + "/root/drivers", withIntermediateDirectories: true)
    let s = FakeGuestSession(root: dir.path + "/root")
    let content = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 * 31) })
    try content.write(to: URL(fileURLWithPath: dir.path + "/viostor.sys"))
    _ = try ChangeApplier.apply(
      [
        change(.upload(hostPath: dir.path + "/viostor.sys", guestPath: "/drivers/viostor.sys", mode: 0o640)),
        change(.upload(hostPath: dir.path + "/viostor.sys", guestPath: "/drivers/copy.sys", mode: nil)),
      ], to: s)
    #expect(try s.readFile("/drivers/viostor.sys") == Array(content))
    #expect(try s.fileInfo("/drivers/viostor.sys")?.mode == 0o640)
    #expect(try s.fileInfo("/drivers/copy.sys")?.mode == 0o644)
  }

  @Test("makeDirectory, setMode, setOwner")
  func directoriesModesOwners() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path)
    _ = try ChangeApplier.apply(
      [
        change(.makeDirectory(path: "/var/lib/v2v/state", mode: 0o700, owner: .init(uid: 990, gid: 991))),
        change(.makeDirectory(path: "/plain/dir", mode: nil, owner: nil)),
        change(.writeFile(path: "/plain/dir/f", bytes: [1], mode: nil)),
        change(.setOwner(path: "/plain/dir/f", uid: 5, gid: 6)),
        change(.setMode(path: "/plain/dir/f", mode: 0o2751)),
      ], to: s)
    let state = try #require(try s.fileInfo("/var/lib/v2v/state"))
    #expect(state.mode == 0o700 && state.uid == 990 && state.gid == 991)
    #expect(try s.isDirectory("/plain/dir"))
    let f = try #require(try s.fileInfo("/plain/dir/f"))
    #expect(f.mode == 0o2751 && f.uid == 5 && f.gid == 6)
  }

  @Test("what a command prints reaches the output callback; silent commands and other kinds do not")
  func commandOutput() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path)
    s.respond(to: ["say"], with: "V2V-INITRAMFS: appended 3 module files\n")
    let say = change(.run(argv: ["say", "it"]))
    let quiet = change(.run(argv: ["quiet"]))
    var printed: [(GuestChange, String)] = []
    _ = try ChangeApplier.apply(
      [say, quiet, change(.makeDirectory(path: "/d", mode: nil, owner: nil))], to: s,
      output: { c, text in printed.append((c, text)) })
    #expect(printed.count == 1)
    #expect(printed.first?.0 == say)
    #expect(printed.first?.1 == "V2V-INITRAMFS: appended 3 module files\n")
  }

  @Test("a typed operation is applied with the session")
  func operation() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path)
    let op = StampOperation(path: "/stamp", stamp: "done")
    let c = change(.operation(AnyGuestOperation(op)))
    var logged: [GuestChange] = []
    let warnings = try ChangeApplier.apply([c], to: s, log: { change, _ in logged.append(change) })
    #expect(warnings.isEmpty)
    #expect(try s.readText("/stamp") == "done")
    #expect(logged == [c])
  }

  @Test("failing optional changes of the new kinds become warnings and the rest still applies; a required one throws")
  func optionalFailures() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path)
    s.createsParentDirectories = false  // as the appliance
    let changes = [
      change(.upload(hostPath: dir.path + "/absent-too", guestPath: "/g", mode: nil), optional: true),
      change(.upload(hostPath: dir.path + "/absent", guestPath: "/f", mode: nil), optional: true),
      change(.setMode(path: "/absent", mode: 0o600), optional: true),
      change(.setOwner(path: "/absent", uid: 0, gid: 0), optional: true),
      change(.operation(AnyGuestOperation(StampOperation(path: "/x", stamp: "1", failWith: "hive is locked"))), optional: true),
      change(.makeDirectory(path: "/after", mode: 0o711, owner: nil)),
    ]
    let warnings = try ChangeApplier.apply(changes, to: s)
    #expect(warnings.count == 5)
    #expect(warnings.last?.hasPrefix(changes[4].summary + ": ") == true)
    #expect(warnings.last?.contains("hive is locked") == true)
    // A file written into a directory the guest lacks: the applier creates the directory (the appliance
    // would not).
    _ = try ChangeApplier.apply([change(.writeFile(path: "/new/dir/f", bytes: [1], mode: nil))], to: s)
    #expect(try s.readFile("/new/dir/f") == [1])
    #expect(try s.fileInfo("/after")?.mode == 0o711)

    let required = change(.operation(AnyGuestOperation(StampOperation(path: "/x", stamp: "1", failWith: "hive is locked"))))
    let err = #expect(throws: ConversionError.self) {
      try ChangeApplier.apply([required, change(.makeDirectory(path: "/never", mode: nil, owner: nil))], to: s)
    }
    #expect(err?.description.contains("hive is locked") == true)
    #expect(try !s.exists("/never"))
  }

  @Test("operations are equal by kind and detail")
  func operationEquality() {
    let a = AnyGuestOperation(StampOperation(path: "/x", stamp: "1"))
    #expect(a == AnyGuestOperation(LookAlike()))
    #expect(a != AnyGuestOperation(StampOperation(path: "/x", stamp: "2")))
    #expect(change(.operation(a)) == change(.operation(AnyGuestOperation(LookAlike()))))
    #expect(a.description == "stamp: /x <- 1")
  }

  private func json(_ value: some Encodable) throws -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try e.encode(value), as: UTF8.self)
  }

  @Test("the report shows written bytes as their size, modes in octal, operations by kind and detail")
  func encoding() throws {
    #expect(
      try json(GuestChange.Kind.writeFile(path: "/a", bytes: Array("abc".utf8), mode: 0o755))
        == #"{"writeFile":{"mode":"0755","path":"/a","size":3}}"#)
    #expect(try json(GuestChange.Kind.writeFile(path: "/e", bytes: [], mode: nil)) == #"{"writeFile":{"path":"/e","size":0}}"#)
    #expect(
      try json(GuestChange.Kind.writeFile(path: "/m", bytes: Array(repeating: UInt8(ascii: "a"), count: 1_000_000), mode: nil))
        .count < 100, "the bytes themselves never reach the report")
    let op = AnyGuestOperation(StampOperation(path: "/x", stamp: "1"))
    #expect(try json(GuestChange.Kind.operation(op)) == #"{"operation":{"detail":"/x <- 1","kind":"stamp"}}"#)
    #expect(try json(op) == #"{"detail":"/x <- 1","kind":"stamp"}"#)
    #expect(try json(GuestChange.Kind.setMode(path: "/s", mode: 0o4755)) == #"{"setMode":{"mode":"4755","path":"/s"}}"#)
    #expect(
      try json(GuestChange.Kind.makeDirectory(path: "/d", mode: 0o700, owner: .init(uid: 1, gid: 2)))
        == #"{"makeDirectory":{"mode":"0700","owner":{"gid":2,"uid":1},"path":"/d"}}"#)
    // The existing kinds keep the shape they always had.
    #expect(try json(GuestChange.Kind.editFile(path: "/f", newContent: "x")) == #"{"editFile":{"newContent":"x","path":"/f"}}"#)
    #expect(try json(GuestChange.Kind.run(argv: ["true"])) == #"{"run":{"argv":["true"]}}"#)
  }

  @Test("kinds recorded in full decode back; written bytes and operations do not")
  func decoding() throws {
    let full: [GuestChange.Kind] = [
      .editFile(path: "/f", newContent: "x"), .removeFile(path: "/r"), .run(argv: ["a", "b"]),
      .upload(hostPath: "/h", guestPath: "/g", mode: 0o600), .upload(hostPath: "/h", guestPath: "/g", mode: nil),
      .makeDirectory(path: "/d", mode: 0o1777, owner: .init(uid: 3, gid: 4)), .makeDirectory(path: "/d", mode: nil, owner: nil),
      .setMode(path: "/m", mode: 0o644), .setOwner(path: "/o", uid: 7, gid: 8),
    ]
    for kind in full {
      let c = change(kind, optional: true)
      #expect(try JSONDecoder().decode(GuestChange.self, from: JSONEncoder().encode(c)) == c)
    }
    for kind: GuestChange.Kind in [
      .writeFile(path: "/w", bytes: [1], mode: nil), .operation(AnyGuestOperation(StampOperation(path: "/x", stamp: "1"))),
    ] {
      let data = try JSONEncoder().encode(change(kind))
      #expect(throws: DecodingError.self) { try JSONDecoder().decode(GuestChange.self, from: data) }
    }
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(AnyGuestOperation.self, from: Data(#"{"kind":"k","detail":"d"}"#.utf8))
    }
    #expect(throws: DecodingError.self) {
      try JSONDecoder().decode(GuestChange.Kind.self, from: Data(#"{"setMode":{"path":"/m","mode":"0958"}}"#.utf8))
    }
  }
}
