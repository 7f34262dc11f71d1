import Foundation
import Testing
import V2VModel
import V2VReaders
import V2VTestSupport

/// Inputs per reader of the long fuzz run; 0 (skipped) unless `V2V_FUZZ_ITERATIONS` is set.
let longFuzzIterations = Int(ProcessInfo.processInfo.environment["V2V_FUZZ_ITERATIONS"] ?? "") ?? 0

/// The long fuzz run of issue 8 (Fuzz/README.md): millions of mutated inputs per reader, each read by the
/// real reader from a file in a tmpfs, checking what must hold for every input (a model with positive
/// memory, at least one vCPU and a source for every disk, or a `ReaderError` located in the input's
/// directory), with a watchdog for hangs. Runs only when `V2V_FUZZ_ITERATIONS` is set: never in CI.
@Suite("long fuzz run (V2V_FUZZ_ITERATIONS)", .offPool, .enabled(if: longFuzzIterations > 0))
struct LongFuzzTests {
  static let env = ProcessInfo.processInfo.environment
  static let iterations = longFuzzIterations
  /// Which readers (comma-separated); all when unset.
  static let readers = (env["V2V_FUZZ_READERS"] ?? "vmx,ova,xen,libvirtxml,physical").split(separator: ",").map(String.init)
  /// Where inputs are written: a tmpfs by default.
  static let root = env["V2V_FUZZ_DIR"] ?? "/dev/shm/v2v-fuzz-\(getpid())"
  static let seed = UInt64(env["V2V_FUZZ_SEED"] ?? "") ?? 0x5eed_f00d


  /// One reader's corpus: the seeds to mutate and the directory the mutants are read in.
  struct Target {
    var format: SourceFormat
    var ext: String
    var seeds: [[UInt8]]
    var dir: String
    /// Extra syntax the mutator splices in.
    var tokens: [[UInt8]]
  }

  static let commonTokens = ["\n", "\r\n", "\"", "'", "=", "0", "-1", "18446744073709551616", "9223372036854775807",
                             "4294967296", "..", "/", "../../etc/passwd", "\\", "\u{00E9}", "\u{FEFF}", "#"].map { Array($0.utf8) }
    + [[0x00], [0xff], [0xc3], [0xe9], [0x1f, 0x8b]]

  static func sh(_ script: String, in dir: String) throws {
    try Shell.run(["sh", "-ec", script], in: dir)
  }

  /// Copies the non-`bad-` fixtures of `fixtureDir` with extension `ext` into `dir`, runs their setups
  /// there (disks, archives), and returns their bytes as seeds.
  static func fixtureSeeds(_ fixtureDir: String, ext: String, into dir: String) throws -> [[UInt8]] {
    let src = RepoPaths.fixtures + "/" + fixtureDir
    var seeds: [[UInt8]] = []
    for f in try FileManager.default.contentsOfDirectory(atPath: src).sorted() where f.hasSuffix("." + ext) && !f.hasPrefix("bad-") {
      let data = try Data(contentsOf: URL(fileURLWithPath: src + "/" + f))
      seeds.append([UInt8](data))
      try? FileManager.default.removeItem(atPath: dir + "/" + f)
      try data.write(to: URL(fileURLWithPath: dir + "/" + f))
      let setup = src + "/" + (f as NSString).deletingPathExtension + ".setup"
      if FileManager.default.fileExists(atPath: setup) { try Shell.run(["sh", "-e", setup], in: dir) }
    }
    return seeds
  }

  static func target(_ name: String) throws -> Target {
    let dir = root + "/" + name
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let hostile = RepoPaths.fixtures + "/hostile"
    func hostileSeeds(_ ext: String) throws -> [[UInt8]] {
      try FileManager.default.contentsOfDirectory(atPath: hostile).sorted().filter { $0.hasSuffix("." + ext) }
        .map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: hostile + "/" + $0))) }
    }
    switch name {
    case "vmx":
      let seeds = try fixtureSeeds("vmx", ext: "vmx", into: dir) + hostileSeeds("vmx")
      return Target(format: .vmx, ext: "vmx", seeds: seeds, dir: dir, tokens: ["scsi0:0.", "ide0:0.", ".present = \"TRUE\"", ".fileName = \"", "memsize", ".encoding = \"UTF-8\"", "|22", "|7", "ethernet0.", "genid"].map { Array($0.utf8) })
    case "xen":
      let seeds = try fixtureSeeds("xen", ext: "cfg", into: dir) + hostileSeeds("cfg")
      return Target(format: .xen, ext: "cfg", seeds: seeds, dir: dir, tokens: ["[", "]", ",", ";", "\\\n", "disk = [", "xvda", "maxmem", "0x", "format=qcow2", "vdev=", "target="].map { Array($0.utf8) })
    case "libvirtxml":
      let seeds = try fixtureSeeds("libvirtxml", ext: "xml", into: dir) + hostileSeeds("xml")
      return Target(format: .libvirtxml, ext: "xml", seeds: seeds, dir: dir, tokens: ["<", ">", "</", "/>", "<disk type='block'>", "unit='EiB'", "<!ENTITY", "&amp;", "<![CDATA[", "bus='", "dev='vda'"].map { Array($0.utf8) })
    case "ova":
      // Mutated descriptors read from a directory holding the disks they name, and mutated tar archives
      // (ustar, GNU and pax headers; a raw disk and a stream-optimized VMDK; no manifest, so no digests).
      var seeds = try fixtureSeeds("ovf", ext: "ovf", into: dir) + hostileSeeds("ovf")
      try sh("""
        for a in *.ova; do case "$a" in *.ova) tar -xf "$a" 2>/dev/null || unzip -oq "$a" 2>/dev/null || true;; esac; done
        rm -f *.mf
        for g in *.gz; do [ -e "$g" ] || continue; head -c 4096 /dev/zero | gzip -n > "$g"; done
        mkdir -p t && cd t
        head -c 4096 /dev/zero > disk1.img
        qemu-img create -q -f vmdk -o subformat=streamOptimized disk2.vmdk 1M
        sed -e 's/href="disk1.vmdk"/href="disk1.img"/' -e 's/#streamOptimized//' -e 's/vmdk.html/raw/' \(hostile)/not-a-vmdk.ovf > vm.ovf
        sed -e 's/disk1.vmdk/disk2.vmdk/' \(hostile)/not-a-vmdk.ovf > s.ovf
        tar --format=ustar -cf ../seed-ustar.tar vm.ovf disk1.img
        tar --format=gnu -cf ../seed-gnu.tar s.ovf disk2.vmdk
        mkdir -p a-very-long-directory-name-to-force-long-names-in-the-header-of-the-archive-member-xxxxxxxxxxxx
        cp vm.ovf disk1.img a-very-long-directory-name-to-force-long-names-in-the-header-of-the-archive-member-xxxxxxxxxxxx/
        tar --format=pax -cf ../seed-pax.tar a-very-long-directory-name-to-force-long-names-in-the-header-of-the-archive-member-xxxxxxxxxxxx
        """, in: dir)
      for t in ["seed-ustar.tar", "seed-gnu.tar", "seed-pax.tar"] {
        seeds.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + t))))
      }
      return Target(format: .ova, ext: "ova", seeds: seeds, dir: dir, tokens: ["<File ", "href=\"", "compression=\"gzip\"", "capacity=\"", "byte * 2^", "ustar", "0000777", "disk1.img", "vm.ovf"].map { Array($0.utf8) })
    case "physical":
      // Partition tables (MBR, GPT) and disk headers (VMDK descriptor and sparse, qcow2 with a backing
      // file, VHD, VDI), cut to their first 64 KiB.
      try sh("""
        truncate -s 2M mbr.img gpt.img
        printf 'label: dos\\n,,83,*\\n' | sfdisk -q mbr.img
        printf 'label: gpt\\n,512K,U\\n,,L\\n' | sfdisk -q gpt.img
        qemu-img create -q -f vmdk sparse.vmdk 1M
        qemu-img create -q -f qcow2 base.qcow2 1M
        qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
        qemu-img create -q -f vpc d.vhd 1M
        qemu-img create -q -f vdi d.vdi 1M
        truncate -s 1M flat-flat.vmdk
        printf '# Disk DescriptorFile\\nversion=1\\nencoding="UTF-8"\\nCID=fffffffe\\nparentCID=ffffffff\\ncreateType="monolithicFlat"\\nRW 2048 FLAT "flat-flat.vmdk" 0\\nddb.adapterType = "lsilogic"\\n' > flat.vmdk
        printf '# Disk DescriptorFile\\nCID=1\\nparentCID=2\\ncreateType="monolithicFlat"\\nparentFileNameHint="flat.vmdk"\\nRW 2048 FLAT "flat-flat.vmdk" 0\\n' > delta.vmdk
        """, in: dir)
      var seeds: [[UInt8]] = []
      for f in ["mbr.img", "gpt.img", "sparse.vmdk", "base.qcow2", "top.qcow2", "d.vhd", "d.vdi", "flat.vmdk", "delta.vmdk"] {
        seeds.append(Array([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f))).prefix(65536)))
      }
      return Target(format: .physical, ext: "img", seeds: seeds, dir: dir, tokens: ["KDMV", "COWD", "QFI\u{FB}", "conectix", "vhdxfile", "EFI PART", "createType", "RW ", " FLAT ", "parentFileNameHint=\"", "top.qcow2", "base.qcow2"].map { Array($0.utf8) } + [[0x55, 0xaa], [0xee]])
    default:
      throw CocoaError(.featureUnsupported)
    }
  }

  /// A SplitMix64 generator (deterministic: a failing input is reproducible from its seed and index).
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

  /// One mutant: 1-8 edits of a random seed (byte flips, deletions, token insertions, truncation, chunk
  /// duplication, splices with another seed), or now and then pure noise.
  static func mutant(_ t: Target, _ rng: inout Rng) -> [UInt8] {
    if Int.random(in: 0..<50, using: &rng) == 0 {
      return (0..<Int.random(in: 0..<1024, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
    var b = t.seeds.randomElement(using: &rng)!
    let tokens = t.tokens + commonTokens
    for _ in 0..<Int.random(in: 1...8, using: &rng) {
      let at = b.isEmpty ? 0 : Int.random(in: 0..<b.count, using: &rng)
      switch Int.random(in: 0..<8, using: &rng) {
      case 0 where !b.isEmpty: b[at] = UInt8.random(in: 0...255, using: &rng)
      case 1 where !b.isEmpty: b[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
      case 2 where !b.isEmpty: b.removeSubrange(at..<min(b.count, at + Int.random(in: 1...16, using: &rng)))
      case 3: b.insert(contentsOf: tokens.randomElement(using: &rng)!, at: at)
      case 4 where Int.random(in: 0..<4, using: &rng) == 0: b = Array(b.prefix(at))
      case 5 where !b.isEmpty:
        let len = min(b.count - at, Int.random(in: 1...64, using: &rng))
        b.insert(contentsOf: b[at..<at + len], at: Int.random(in: 0...b.count, using: &rng))
      case 6:
        let other = t.seeds.randomElement(using: &rng)!
        let from = other.isEmpty ? 0 : Int.random(in: 0..<other.count, using: &rng)
        b = Array(b.prefix(at)) + other[from...]
      default:
        // A digit string where a number goes: overflow and sign edge cases.
        let n = ["0", "1", "-1", "65536", "2147483648", "9007199254740993", "17592186044416", "36028797018963968"].randomElement(using: &rng)!
        b.insert(contentsOf: Array(n.utf8), at: at)
      }
    }
    return b
  }

  /// Figures of one reader's run.
  struct Figures: CustomStringConvertible {
    var reader: String
    var inputs = 0
    var read = 0
    var refused = 0
    var violations = 0
    var warnings = 0
    var seconds = 0.0
    var slowest = 0.0
    var slowestIndex = -1
    var description: String {
      String(
        format: "%@: %d inputs in %.1f s (%.0f/s): %d read, %d refused, %d warnings, %d invariant violations; slowest input #%d: %.1f ms",
        reader, inputs, seconds, Double(inputs) / max(seconds, 0.001), read, refused, warnings, violations, slowestIndex, slowest * 1000)
    }
  }

  @Test("no crash, no hang, every outcome checked", arguments: readers)
  func longRun(_ name: String) throws {
    let t = try Self.target(name)
    var rng = Rng(state: Self.seed ^ name.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) })
    // OVA: a mutant descriptor is read as `in.ovf` (from its directory, which holds the disks it names);
    // as `in.ova` it would meet the seeds' other descriptors there and stop at "holds N OVF descriptors".
    let path = t.dir + "/in." + t.ext
    let ovfPath = t.dir + "/in.ovf"
    let work = t.dir + "/work"
    var f = Figures(reader: name)
    // Watchdog: an input that takes more than 10 s is a hang: keep it and stop the run.
    let progress = Progress()
    let watchdog = Thread {
      var last = -1
      var since = Date()
      while !progress.done {
        Thread.sleep(forTimeInterval: 1)
        let now = progress.count
        if now != last { last = now; since = Date(); continue }
        if Date().timeIntervalSince(since) > 10 {
          try? FileManager.default.copyItem(atPath: path, toPath: t.dir + "/hang-\(now)." + t.ext)
          try? FileManager.default.copyItem(atPath: ovfPath, toPath: t.dir + "/hang-\(now).ovf")
          FileHandle.standardError.write(Data("HANG: \(name) input #\(now) kept as \(t.dir)/hang-\(now).\(t.ext)\n".utf8))
          exit(99)
        }
      }
    }
    watchdog.start()
    defer { progress.done = true }
    let started = Date()
    for i in 0..<Self.iterations {
      let bytes = Self.mutant(t, &rng)
      let isText = t.format == .ova && bytes.first.map { $0 == UInt8(ascii: "<") || $0 == 0xef || $0 == UInt8(ascii: " ") } == true
      let path = isText ? ovfPath : path
      // A crash leaves this input at `path`.
      _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
      let reader = t.format.reader(workDirectory: work)
      let t0 = DispatchTime.now().uptimeNanoseconds
      do {
        let (vm, warnings) = try ReaderWarnings.collect(log: false) { () throws(ReaderError) in try reader.read(path) }
        f.read += 1
        f.warnings += warnings.count
        if vm.memoryBytes == 0 || vm.vcpus < 1 || vm.disks.contains(where: { $0.source.displayPath.isEmpty }) {
          f.violations += 1
          try? FileManager.default.copyItem(atPath: path, toPath: t.dir + "/violation-\(i)." + t.ext)
        }
      } catch {
        f.refused += 1
        if error.location.file.isEmpty || error.problem.isEmpty || !(error.location.file.hasPrefix(t.dir) || error.location.file == "-")
          || error.description.contains("\n")
        {
          f.violations += 1
          try? FileManager.default.copyItem(atPath: path, toPath: t.dir + "/violation-\(i)." + t.ext)
          FileHandle.standardError.write(Data("VIOLATION \(name) #\(i): \(error)\n".utf8))
        }
      }
      let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
      if dt > f.slowest {
        f.slowest = dt
        f.slowestIndex = i
        try? FileManager.default.removeItem(atPath: t.dir + "/slowest." + t.ext)
        try? FileManager.default.copyItem(atPath: path, toPath: t.dir + "/slowest." + t.ext)
      }
      f.inputs += 1
      progress.count = i + 1
      if (i + 1) % 100_000 == 0 {
        f.seconds = Date().timeIntervalSince(started)
        FileHandle.standardError.write(Data("fuzz progress: \(f)\n".utf8))
      }
    }
    f.seconds = Date().timeIntervalSince(started)
    FileHandle.standardError.write(Data("FUZZ RESULT \(f)\n".utf8))
    #expect(f.violations == 0, "\(f)")
    #expect(f.refused > 0, "\(f)")
    if Self.env["V2V_FUZZ_KEEP"] == nil { try? FileManager.default.removeItem(atPath: t.dir) }
  }

  /// What the watchdog reads.
  final class Progress: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    private var finished = false
    var count: Int {
      get { lock.lock(); defer { lock.unlock() }; return value }
      set { lock.lock(); value = newValue; lock.unlock() }
    }
    var done: Bool {
      get { lock.lock(); defer { lock.unlock() }; return finished }
      set { lock.lock(); finished = newValue; lock.unlock() }
    }
  }
}
