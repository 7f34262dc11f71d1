import Foundation
import V2VProcess
import Testing
import V2VModel
import V2VReaders
import V2VTestSupport

/// Golden pairs: `Fixtures/<format>/<case>.<ext>` read by the real reader must give `<case>.expected.json`.
///
/// A case may have `<case>.setup`, a shell script run in a fresh temporary directory (holding a copy of the
/// fixture) before reading: it makes the tiny disk images, archives and manifests the case needs, and may
/// write the name of what to read into `SOURCE`. Paths inside that directory appear as `$DIR` in the
/// expected JSON. Re-record with `V2V_RECORD=1`.
@Suite("Reader golden pairs", .offPool)
struct ReaderGoldenTests {
  static let formats: [(dir: String, ext: String, format: SourceFormat)] = [
    ("vmx", "vmx", .vmx), ("ovf", "ovf", .ova), ("xen", "cfg", .xen), ("libvirtxml", "xml", .libvirtxml),
    ("physical", "physical", .physical),
  ]

  /// Every case, `<format dir>/<file>`; throws when a format's folder cannot be listed.
  static func caseList() throws -> [String] {
    try formats.flatMap { f in
      let dir = RepoPaths.fixtures + "/" + f.dir
      let files = try FileManager.default.contentsOfDirectory(atPath: dir)
      return files.filter { $0.hasSuffix("." + f.ext) && !$0.hasSuffix(".expected.json") }.sorted().map { "\(f.dir)/\($0)" }
    }
  }

  /// The parameterized test's arguments. A missing folder gives no cases here (an argument list cannot
  /// throw), which `caseListIsComplete` turns into a failure.
  static var cases: [String] { (try? caseList()) ?? [] }

  @Test("the case list covers every format and every recorded expectation")
  func caseListIsComplete() throws {
    let list = try Self.caseList()
    #expect(Self.cases == list)
    for f in Self.formats {
      let dir = RepoPaths.fixtures + "/" + f.dir
      let inFormat = list.filter { $0.hasPrefix(f.dir + "/") }
      #expect(!inFormat.isEmpty, "no golden cases in \(dir)")
      // Every recorded `<case>.expected.json` has its case (in record mode too: recording writes them).
      let expected = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".expected.json") }
      #expect(inFormat.count >= expected.count, "\(dir): \(expected.count) expectations, \(inFormat.count) cases")
      for e in expected {
        let stem = f.dir + "/" + String(e.dropLast(".expected.json".count))
        #expect(inFormat.contains { GoldenCase.stem($0) == stem }, "\(stem).expected.json has no fixture")
      }
    }
  }

  @Test("golden", arguments: cases)
  func golden(_ fixture: String) throws {
    let result = try GoldenCase(fixture).run()
    let expectedPath = RepoPaths.fixtures + "/" + GoldenCase.stem(fixture) + ".expected.json"
    if ProcessInfo.processInfo.environment["V2V_RECORD"] == "1" {
      try (result + "\n").write(toFile: expectedPath, atomically: true, encoding: .utf8)
      return
    }
    let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
    #expect(result == expected.trimmingCharacters(in: .whitespacesAndNewlines), "\(fixture)")
  }
}

/// One golden case: set up, read, render.
struct GoldenCase {
  let fixture: String
  init(_ fixture: String) { self.fixture = fixture }

  static func stem(_ fixture: String) -> String { (fixture as NSString).deletingPathExtension }

  /// The rendered JSON (or the error as JSON), with the temporary directory shown as `$DIR`.
  func run() throws -> String {
    let tmp = try TempDir(prefix: "v2v-golden")
    let name = (fixture as NSString).lastPathComponent
    let src = RepoPaths.fixtures + "/" + fixture
    try FileManager.default.copyItem(atPath: src, toPath: tmp.path + "/" + name)
    let setup = RepoPaths.fixtures + "/" + Self.stem(fixture) + ".setup"
    if FileManager.default.fileExists(atPath: setup) { try Shell.run(["sh", "-e", setup], in: tmp.path) }
    let format = ReaderGoldenTests.formats.first { fixture.hasPrefix($0.dir + "/") }!.format
    var locations = [tmp.path + "/" + name]
    var facts = PhysicalMachineFacts()
    if let source = try? String(contentsOfFile: tmp.path + "/SOURCE", encoding: .utf8) {
      locations = [tmp.path + "/" + source.trimmingCharacters(in: .whitespacesAndNewlines)]
    }
    if format == .physical {
      // The fixture lists `disk FILE` lines and optional `name=`, `memoryMiB=`, `vcpus=` lines.
      let text = try String(contentsOfFile: src, encoding: .utf8)
      locations = []
      for line in text.split(separator: "\n") {
        if line.hasPrefix("disk ") { locations.append(tmp.path + "/" + line.dropFirst(5)) }
        if line.hasPrefix("name=") { facts.name = String(line.dropFirst(5)) }
        if line.hasPrefix("memoryMiB=") { facts.memoryBytes = UInt64(line.dropFirst(10)).map { $0 << 20 } }
        if line.hasPrefix("vcpus=") { facts.vcpus = Int(line.dropFirst(6)) }
      }
    }
    let rendered: String
    do {
      rendered = InspectReport(try format.reader(physical: facts, workDirectory: tmp.path + "/extracted").read(locations)).json()
    } catch {
      let obj = ["error": error.description, "category": error.category.rawValue]
      let enc = JSONEncoder()
      enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      rendered = String(decoding: try enc.encode(obj), as: UTF8.self)
    }
    return rendered.replacingOccurrences(of: tmp.path, with: "$DIR")
  }
}

/// Runs helper commands for fixtures.
enum Shell {
  struct Failed: Error, CustomStringConvertible { var description: String }

  static func run(_ args: [String], in dir: String) throws {
    let r = try ProcessRunner.run(["/usr/bin/env"] + args, workingDirectory: dir, input: .none, stdout: .discard)
    guard r.status == 0 else {
      throw Failed(description: "\(args.joined(separator: " ")) failed: \(r.stderr)")
    }
  }
}
