import Foundation
import Testing
import V2VTestSupport

/// Issue 8: the hostile-input corpus (`Fixtures/hostile/cases.tsv`), each row through the real `v2v` binary
/// in a fresh directory holding the corpus's text cases and what `make-archives.sh` generates (OVAs that lie,
/// invalid UTF-8). A row gives the exit code and the substrings the message must contain.
@Suite("hostile input corpus (real binary)", .offPool)
struct HostileCorpusTests {
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var exit: Int32
    var args: [String]
    var mentions: [String]
    var testDescription: String { name }
  }

  static let folder = RepoPaths.fixtures + "/hostile"

  /// Every row of cases.tsv; throws when the file cannot be read or a row is malformed.
  static func caseList() throws -> [Case] {
    let text = try String(contentsOfFile: folder + "/cases.tsv", encoding: .utf8)
    return try text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { line in
      let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
      guard cols.count >= 3, let code = Int32(cols[1]) else { throw CocoaError(.fileReadCorruptFile) }
      return Case(name: cols[0], exit: code, args: cols[2].split(separator: " ").map(String.init), mentions: Array(cols.dropFirst(3)))
    }
  }

  /// The test's arguments (an argument list cannot throw: `caseListIsComplete` fails when this is empty).
  static var cases: [Case] { (try? caseList()) ?? [] }

  @Test("the case list reads, is not empty, and names each case once")
  func caseListIsComplete() throws {
    let list = try Self.caseList()
    #expect(list.count >= 40, "only \(list.count) cases")
    #expect(Set(list.map(\.name)).count == list.count, "a case name repeats")
    #expect(list.contains { $0.exit == 0 } && list.contains { $0.exit == 3 } && list.contains { $0.exit == 4 } && list.contains { $0.exit == 64 })
  }

  @Test("refused or warned as the corpus says", arguments: cases)
  func corpusCase(_ c: Case) throws {
    let tmp = try TempDir(prefix: "v2v-corpus")
    try Shell.run(["sh", "-e", Self.folder + "/make-archives.sh", tmp.path], in: tmp.path)
    let args = c.args.map { $0.replacingOccurrences(of: "$DIR", with: tmp.path) }
    let run = try V2VRun.run(args, timeout: 30)
    let mentions = c.mentions.map { $0.replacingOccurrences(of: "$DIR", with: tmp.path) }
    #expect(run.status == c.exit, "\(c.name): exit \(run.status): \(run.stderr)")
    let lines = run.stderr.split(separator: "\n").map(String.init)
    if c.exit == 0 {
      #expect(lines.allSatisfy { $0.hasPrefix("v2v: warning: ") }, "\(c.name): \(run.stderr)")
      if !mentions.isEmpty {
        #expect(lines.contains { l in mentions.allSatisfy { l.contains($0) } }, "\(c.name): no warning line with \(mentions) in: \(run.stderr)")
      } else {
        #expect(lines.isEmpty, "\(c.name): \(run.stderr)")
      }
    } else {
      #expect(lines.count == 1, "\(c.name): not one line: \(run.stderr)")
      #expect(lines.first?.hasPrefix("v2v: error: ") == true, "\(c.name): \(run.stderr)")
      for m in mentions { #expect(run.stderr.contains(m), "\(c.name): '\(m)' not in: \(run.stderr)") }
      #expect(run.stdout.isEmpty, "\(c.name): printed \(run.stdout)")
    }
  }
}
