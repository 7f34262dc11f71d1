import Foundation
import Testing
import V2VModel
import V2VReaders
import V2VTestSupport

/// Fuzz-style properties: random and mutated input never crashes a parser; it only returns a machine or
/// throws `ReaderError` (typed throws make any other error impossible to compile).
@Suite("Reader fuzzing", .offPool)
struct ReaderFuzzTests {
  /// A small deterministic PRNG (SplitMix64) so failures reproduce.
  struct Rng: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9e37_79b9_7f4a_7c15
      var z = state
      z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
      z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
      return z ^ (z >> 31)
    }
  }

  static let alphabet = Array("abcXYZ019 =\"'[],:#.\n\r\t<>/&;!?-_|\\{}()ä".unicodeScalars)

  /// Mutations of `seed`: byte flips, deletions, insertions of syntax characters, truncations.
  static func mutants(of seed: String, count: Int, rng: inout Rng) -> [String] {
    var out: [String] = []
    for i in 0..<count {
      var s = Array(seed.unicodeScalars)
      let edits = Int.random(in: 1...8, using: &rng)
      for _ in 0..<edits where !s.isEmpty {
        let at = Int.random(in: 0..<s.count, using: &rng)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: s[at] = alphabet.randomElement(using: &rng)!
        case 1: s.remove(at: at)
        case 2: s.insert(alphabet.randomElement(using: &rng)!, at: at)
        default: s = Array(s.prefix(at))
        }
      }
      if i % 10 == 0 {  // pure noise now and then
        s = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
      }
      var str = ""
      str.unicodeScalars.append(contentsOf: s)
      out.append(str)
    }
    return out
  }

  /// What must hold for every input: the reader either returns a model that satisfies the invariants
  /// (positive memory, at least one vCPU, every disk with a source) or throws a `ReaderError` with a location.
  /// Returns true when a model was read.
  @discardableResult
  static func checkOutcome(_ read: () throws(ReaderError) -> SourceVM, input: String, under dir: String) -> Bool {
    do {
      let vm = try read()
      #expect(vm.memoryBytes > 0, "\(input): read a model with no memory")
      #expect(vm.vcpus >= 1, "\(input): read a model with \(vm.vcpus) vCPUs")
      for d in vm.disks {
        #expect(!d.source.displayPath.isEmpty, "\(input): read a disk with no source")
      }
      return true
    } catch {
      #expect(!error.location.file.isEmpty, "\(input): error without a location: \(error)")
      #expect(error.location.file.hasPrefix(dir), "\(input): error located outside the input: \(error)")
      #expect(!error.problem.isEmpty, "\(input): error without a problem: \(error)")
      return false
    }
  }

  static let seeds: [(dir: String, ext: String, format: SourceFormat)] = [
    ("vmx", "vmx", .vmx), ("xen", "cfg", .xen), ("libvirtxml", "xml", .libvirtxml), ("ovf", "ovf", .ova),
  ]

  @Test("mutated fixtures only ever throw ReaderError", arguments: seeds.map(\.dir))
  func mutatedFixtures(_ dir: String) throws {
    let spec = Self.seeds.first { $0.dir == dir }!
    let fixtures = try FileManager.default.contentsOfDirectory(atPath: RepoPaths.fixtures + "/" + dir)
      .filter { $0.hasSuffix("." + spec.ext) && !$0.hasPrefix("bad-") }.sorted()
    let tmp = try TempDir(prefix: "v2v-fuzz")
    var rng = Rng(state: 0x5eed)
    var read = 0
    var refused = 0
    for f in fixtures {
      let seed = try String(contentsOfFile: RepoPaths.fixtures + "/\(dir)/\(f)", encoding: .utf8)
      for (i, m) in Self.mutants(of: seed, count: 150, rng: &rng).enumerated() {
        let path = tmp.path + "/m\(i).\(spec.ext)"
        try m.write(toFile: path, atomically: false, encoding: .utf8)
        let reader = spec.format.reader(workDirectory: tmp.path + "/work")
        if Self.checkOutcome({ () throws(ReaderError) in try reader.read(path) }, input: "\(f) mutant \(i)", under: tmp.path) {
          read += 1
        } else {
          refused += 1
        }
      }
    }
    // Every mutant's outcome was checked above; these make sure there were mutants and that they reached
    // the error paths. (OVF and libvirt XML mutants name disks that are not in the scratch directory, so
    // none of them reads: `read` is informative only.)
    #expect(!fixtures.isEmpty, "no \(dir) fixtures to mutate")
    #expect(refused > 0, "no mutant of a \(dir) fixture was refused (\(read) read)")
  }

  @Test("random bytes only ever throw ReaderError", arguments: SourceFormat.allCases.map(\.rawValue))
  func randomBytes(_ name: String) throws {
    let format = SourceFormat(rawValue: name)!
    let tmp = try TempDir(prefix: "v2v-fuzz")
    var rng = Rng(state: 42)
    for i in 0..<60 {
      let bytes = (0..<Int.random(in: 0..<2048, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
      let path = tmp.path + "/r\(i)"
      _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
      let reader = format.reader(workDirectory: tmp.path + "/work")
      Self.checkOutcome({ () throws(ReaderError) in try reader.read(path) }, input: "\(name) random \(i)", under: tmp.path)
    }
  }
}
