import Foundation
import Yams

/// A `v2v batch` plan: many machines, each converted by one `v2v convert` child, under concurrency limits.
///
/// ```yaml
/// defaults: {output: local, outputStorage: /srv/converted, outputFormat: qcow2}
/// concurrency: 2          # machines converting at once, overall
/// perSourceHost: 1        # machines reading from one source host at once
/// retries: 2              # extra attempts for transient failures (exit code 1)
/// retryDelay: 10          # seconds before the first retry; doubles for each further one
/// machines:
///   - {name: web01, input: vmx, source: /mnt/ds1/web01/web01.vmx, sourceHost: ds1, wave: 1, options: {verifyBoot: true}}
/// ```
/// Parsed and validated up front by ``BatchPlan/load(path:)``: every problem is one ``PlanIssue`` naming the
/// file and line.
public struct BatchPlan: Sendable, Equatable {
  /// The plan file (as given).
  public var path: String
  /// `defaults`: options every machine gets unless it overrides them.
  public var defaults: [String: OptionValue]
  /// `concurrency`: machines converting at once, overall (default 1).
  public var concurrency: Int
  /// `perSourceHost`: machines reading from one source host at once (default: no limit beyond concurrency).
  public var perSourceHost: Int?
  /// `retries`: extra attempts for a transient failure (default 2).
  public var retries: Int
  /// `retryDelay`: seconds before the first retry, doubled for each further one (default 10).
  public var retryDelay: Double
  /// The machines, in plan order (the order of `--index`).
  public var machines: [PlanMachine]

  /// The plan's folder.
  public var directory: String { (absolutePath as NSString).deletingLastPathComponent }
  /// The plan's absolute path.
  public var absolutePath: String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
  }
  /// The plan's path without its `.yaml`/`.yml` extension: the stem of the state files beside it.
  public var stem: String {
    let p = absolutePath
    for ext in [".yaml", ".yml"] where p.hasSuffix(ext) { return String(p.dropLast(ext.count)) }
    return p
  }
  /// `PLAN.state.sqlite`: the shared state of local runs.
  public var statePath: String { stem + ".state.sqlite" }
  /// `PLAN.results/`: one JSON record per machine, written by `--index` runs.
  public var resultsDirectory: String { stem + ".results" }
  /// `PLAN.logs/`: each attempt's child output (`NAME.N.jsonl`, `NAME.N.stderr`).
  public var logsDirectory: String { stem + ".logs" }

  /// The waves, in order.
  public var waves: [Int] { Array(Set(machines.map(\.wave))).sorted() }

  /// The machines `--wave`/`--index` select, in plan order.
  public func select(wave: Int?, index: Int?) throws(PlanIssue) -> [PlanMachine] {
    var chosen = machines
    if let wave {
      chosen = chosen.filter { $0.wave == wave }
      if chosen.isEmpty { throw PlanIssue(file: path, line: nil, "no machine in wave \(wave) (waves: \(waves.map(String.init).joined(separator: ", ")))") }
    }
    if let index {
      guard index >= 0 && index < chosen.count else {
        throw PlanIssue(file: path, line: nil, "--index \(index): the selection has \(chosen.count) machine(s), indexes 0-\(chosen.count - 1)")
      }
      return [chosen[index]]
    }
    return chosen
  }

  /// Reads and validates a plan file.
  public static func load(path: String) throws(PlanIssues) -> BatchPlan {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
      throw PlanIssues([PlanIssue(file: path, line: nil, "cannot read the plan: \(error.localizedDescription)")])
    }
    return try parse(text, path: path)
  }

  /// Parses and validates plan text; `path` names the file in every issue.
  public static func parse(_ text: String, path: String) throws(PlanIssues) -> BatchPlan {
    var parser = PlanParser(file: path)
    let plan = parser.parse(text)
    if !parser.issues.isEmpty {
      // In file order (options come out of a dictionary); issues without a line last.
      let sorted = parser.issues.enumerated().sorted { ($0.element.line ?? .max, $0.offset) < ($1.element.line ?? .max, $1.offset) }
      throw PlanIssues(sorted.map(\.element))
    }
    return plan!
  }
}

/// One machine of a plan.
public struct PlanMachine: Sendable, Equatable {
  /// Unique in the plan; the output name unless `options.outputName` says otherwise.
  public var name: String
  /// `-i`: vmx, ova, xen, libvirtxml or physical.
  public var input: String
  /// The source: one path, or one disk per entry (physical).
  public var sources: [String]
  /// The source host whose slots it takes (default: the source's directory).
  public var sourceHost: String
  /// Its wave (default 1).
  public var wave: Int
  /// Its options: the plan's defaults, then its own `options`.
  public var options: [String: OptionValue]
  /// Plan order, from 0.
  public var index: Int
  /// The line of its entry in the plan.
  public var line: Int?

  /// The output name (`outputName`, else the machine's name).
  public var outputName: String { options["outputName"]?.string ?? name }
  /// `-o` (default libvirt, as `v2v convert`'s).
  public var outputKind: String { options["output"]?.string ?? "libvirt" }
  /// `-os`.
  public var outputStorage: String? { options["outputStorage"]?.string }
  /// Whether `--verify-boot` is asked.
  public var verifyBoot: Bool { options["verifyBoot"]?.bool ?? false }
}

/// A plan option's value.
public enum OptionValue: Sendable, Equatable, CustomStringConvertible {
  case string(String)
  case bool(Bool)
  case number(Double)
  case list([String])

  var string: String? { if case .string(let s) = self { return s } else { return nil } }
  var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }

  public var description: String {
    switch self {
    case .string(let s): return s
    case .bool(let b): return String(b)
    case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    case .list(let l): return l.joined(separator: ",")
    }
  }
}

/// One problem in a plan: `FILE:LINE: problem`.
public struct PlanIssue: Error, Sendable, Equatable, CustomStringConvertible {
  /// The plan file.
  public var file: String
  /// The line (from 1), when the problem has one.
  public var line: Int?
  /// What is wrong.
  public var problem: String

  /// Creates an issue.
  public init(file: String, line: Int?, _ problem: String) {
    self.file = file
    self.line = line
    self.problem = problem
  }

  public var description: String { line.map { "\(file):\($0): \(problem)" } ?? "\(file): \(problem)" }
}

/// Every problem found in a plan, one line each.
public struct PlanIssues: Error, Sendable, CustomStringConvertible {
  /// The problems, in file order.
  public var issues: [PlanIssue]
  /// Creates the list.
  public init(_ issues: [PlanIssue]) { self.issues = issues }
  public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// The `v2v convert` options a plan may set, by their camelCase long names, and how each maps to argv.
public enum ConvertOptions {
  /// What an option takes.
  public enum Kind: Sendable, Equatable {
    /// A string.
    case string
    /// One of these words.
    case choice([String])
    /// A boolean: `--flag` when true, nothing when false.
    case flag
    /// A number.
    case number
    /// A positive integer.
    case integer
    /// A string or a list of strings: the option repeated.
    case repeated
  }

  /// One option: its plan name, its `v2v convert` spelling, its kind.
  public struct Spec: Sendable {
    public var name: String
    public var flag: String
    public var kind: Kind
  }

  /// Every option, in the order argv lists them. `json`, `verbose` and `quiet` are the batch's to set.
  public static let all: [Spec] = [
    Spec(name: "output", flag: "-o", kind: .choice(["local", "libvirt", "qemu", "physical"])),
    Spec(name: "outputStorage", flag: "-os", kind: .string),
    Spec(name: "outputConnection", flag: "-oc", kind: .string),
    Spec(name: "outputName", flag: "-on", kind: .string),
    Spec(name: "outputFormat", flag: "-of", kind: .choice(["raw", "qcow2"])),
    Spec(name: "outputAllocation", flag: "-oa", kind: .choice(["sparse", "preallocated"])),
    Spec(name: "network", flag: "--network", kind: .repeated),
    Spec(name: "bridge", flag: "--bridge", kind: .repeated),
    Spec(name: "blockDriver", flag: "--block-driver", kind: .choice(["virtio-blk", "virtio-scsi"])),
    Spec(name: "firmware", flag: "--firmware", kind: .choice(["bios", "uefi"])),
    Spec(name: "grow", flag: "--grow", kind: .flag),
    Spec(name: "force", flag: "--force", kind: .flag),
    Spec(name: "virtioWin", flag: "--virtio-win", kind: .string),
    Spec(name: "allowEmulated", flag: "--allow-emulated", kind: .flag),
    Spec(name: "root", flag: "--root", kind: .string),
    Spec(name: "accel", flag: "--accel", kind: .choice(["auto", "kvm", "tcg"])),
    Spec(name: "dryRun", flag: "--dry-run", kind: .flag),
    Spec(name: "verifyBoot", flag: "--verify-boot", kind: .flag),
    Spec(name: "bootTimeout", flag: "--boot-timeout", kind: .number),
    Spec(name: "bootEvidence", flag: "--boot-evidence", kind: .choice(["auto", "console", "filesystem"])),
    Spec(name: "overwrite", flag: "--overwrite", kind: .flag),
    Spec(name: "workDir", flag: "--work-dir", kind: .string),
    // Physical sources' facts (`-i physical`).
    Spec(name: "memory", flag: "--memory", kind: .integer),
    Spec(name: "vcpus", flag: "--vcpus", kind: .integer),
    Spec(name: "sshIdentity", flag: "--ssh-identity", kind: .string),
    Spec(name: "sshKnownHosts", flag: "--ssh-known-hosts", kind: .string),
  ]

  /// The spec of a plan option name.
  public static func spec(_ name: String) -> Spec? { all.first { $0.name == name } }

  /// The `v2v convert` argv of one machine (without the binary): `convert -i FORMAT SOURCE... OPTIONS
  /// -on NAME --json`. Options in ``all``'s order; the output name defaults to the machine's name.
  public static func argv(for machine: PlanMachine) -> [String] {
    var argv = ["convert", "-i", machine.input] + machine.sources
    var options = machine.options
    if options["outputName"] == nil { options["outputName"] = .string(machine.name) }
    for spec in all {
      guard let value = options[spec.name] else { continue }
      switch (spec.kind, value) {
      case (.flag, .bool(let on)): if on { argv.append(spec.flag) }
      case (.repeated, .list(let items)): for item in items { argv += [spec.flag, item] }
      default: argv += [spec.flag, value.description]
      }
    }
    return argv + ["--json"]
  }
}

/// The YAML → plan walk, collecting every issue instead of stopping at the first.
struct PlanParser {
  let file: String
  var issues: [PlanIssue] = []

  init(file: String) { self.file = file }

  static let topKeys = ["defaults", "concurrency", "perSourceHost", "retries", "retryDelay", "machines"]
  static let machineKeys = ["name", "input", "source", "sourceHost", "wave", "options"]
  static let inputs = ["vmx", "ova", "xen", "libvirtxml", "physical"]

  mutating func issue(_ node: Node?, _ problem: String) {
    issues.append(PlanIssue(file: file, line: node?.mark?.line, problem))
  }

  mutating func parse(_ text: String) -> BatchPlan? {
    let root: Node?
    do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
      issues.append(Self.yamlIssue(error, file: file))
      return nil
    } catch {
      issues.append(PlanIssue(file: file, line: nil, "not YAML: \(error)"))
      return nil
    }
    guard let root, case .mapping(let top) = root else {
      issues.append(PlanIssue(file: file, line: root?.mark?.line ?? 1, "the plan must be a mapping with a `machines` list"))
      return nil
    }
    var plan = BatchPlan(path: file, defaults: [:], concurrency: 1, perSourceHost: nil, retries: 2, retryDelay: 10, machines: [])
    let pairs = uniquePairs(top, known: Self.topKeys, what: "plan key")
    if let d = pairs["defaults"] { plan.defaults = options(d, context: "defaults") }
    if let c = pairs["concurrency"] { plan.concurrency = integer(c, "concurrency", minimum: 1) ?? 1 }
    if let p = pairs["perSourceHost"] { plan.perSourceHost = integer(p, "perSourceHost", minimum: 1) }
    if let r = pairs["retries"] { plan.retries = integer(r, "retries", minimum: 0) ?? 0 }
    if let r = pairs["retryDelay"] {
      if let d = r.float, d >= 0, r.scalar != nil { plan.retryDelay = d } else { issue(r, "retryDelay: expected a number of seconds ≥ 0, got \(show(r))") }
    }
    guard let list = pairs["machines"] else {
      issue(root, "missing `machines`: the list of machines to convert")
      return plan
    }
    guard case .sequence(let seq) = list else {
      issue(list, "machines: expected a list, got \(show(list))")
      return plan
    }
    if seq.isEmpty { issue(list, "machines: the list is empty") }
    var seen: [String: Int] = [:]
    for (i, entry) in seq.enumerated() {
      guard var m = machine(entry, index: i, defaults: plan.defaults) else { continue }
      if let first = seen[m.name] {
        issue(entry, "duplicate machine name '\(m.name)' (first at line \(first))")
      } else {
        seen[m.name] = entry.mark?.line ?? 0
      }
      m.index = plan.machines.count
      plan.machines.append(m)
    }
    // Two machines writing the same output name to the same place would overwrite each other.
    var outputs: [String: String] = [:]
    for m in plan.machines where seen[m.name] != nil {
      let key = "\(m.outputKind)|\(m.options["outputConnection"]?.description ?? "")|\(m.outputStorage ?? "")|\(m.outputName)"
      if let other = outputs[key], other != m.name {
        issues.append(PlanIssue(file: file, line: m.line, "machine '\(m.name)': output name '\(m.outputName)' is also machine '\(other)''s, in the same output"))
      } else {
        outputs[key] = m.name
      }
    }
    return plan
  }

  /// A mapping's pairs by key, reporting unknown and duplicate keys.
  mutating func uniquePairs(_ mapping: Node.Mapping, known: [String]?, what: String) -> [String: Node] {
    var result: [String: Node] = [:]
    for (k, v) in mapping {
      guard let key = k.scalar?.string else {
        issue(k, "\(what): a key must be a plain word")
        continue
      }
      if let known, !known.contains(key) {
        let hint = Self.closest(key, in: known).map { " (did you mean '\($0)'?)" } ?? ""
        issue(k, "unknown \(what) '\(key)'\(hint); known: \(known.joined(separator: ", "))")
        continue
      }
      if result[key] != nil {
        issue(k, "duplicate key '\(key)'")
        continue
      }
      result[key] = v
    }
    return result
  }

  mutating func machine(_ node: Node, index: Int, defaults: [String: OptionValue]) -> PlanMachine? {
    guard case .mapping(let map) = node else {
      issue(node, "machines[\(index)]: expected a mapping with name, input and source, got \(show(node))")
      return nil
    }
    let pairs = uniquePairs(map, known: Self.machineKeys, what: "machine key")
    let label: String
    var ok = true
    var name = ""
    if let n = pairs["name"] {
      if let s = n.scalar?.string, !s.isEmpty, Self.isValidName(s) {
        name = s
      } else {
        issue(n, "machines[\(index)].name: expected a name of letters, digits, '.', '_' and '-' (it names files), got \(show(n))")
        ok = false
      }
    } else {
      issue(node, "machines[\(index)]: missing `name`")
      ok = false
    }
    label = name.isEmpty ? "machines[\(index)]" : "machine '\(name)'"
    var input = ""
    if let i = pairs["input"] {
      if let s = i.scalar?.string, Self.inputs.contains(s) { input = s } else {
        issue(i, "\(label): bad input kind \(show(i)); use one of: \(Self.inputs.joined(separator: ", "))")
        ok = false
      }
    } else {
      issue(node, "\(label): missing `input` (\(Self.inputs.joined(separator: " | ")))")
      ok = false
    }
    var sources: [String] = []
    if let s = pairs["source"] {
      switch s {
      case .scalar(let sc) where !sc.string.isEmpty && s.null == nil: sources = [sc.string]
      case .sequence(let seq) where !seq.isEmpty && seq.allSatisfy({ $0.scalar != nil && !($0.scalar!.string.isEmpty) }):
        sources = seq.map { $0.scalar!.string }
      default:
        issue(s, "\(label): source: expected a path (or a list of disks for physical), got \(show(s))")
        ok = false
      }
      if sources.count > 1 && input != "physical" && !input.isEmpty {
        issue(s, "\(label): source: a list of disks is only for input physical")
        ok = false
      }
    } else {
      issue(node, "\(label): missing `source`")
      ok = false
    }
    var host = ""
    if let h = pairs["sourceHost"] {
      if let s = h.scalar?.string, !s.isEmpty, h.null == nil { host = s } else {
        issue(h, "\(label): sourceHost: expected a name, got \(show(h))")
      }
    }
    if host.isEmpty, let first = sources.first { host = Self.defaultHost(first) }
    var wave = 1
    if let w = pairs["wave"] { wave = integer(w, "\(label): wave", minimum: 0) ?? 1 }
    var options = defaults
    if let o = pairs["options"] {
      for (k, v) in self.options(o, context: "\(label): options") { options[k] = v }
    }
    if let kind = options["output"]?.string, kind != "libvirt", options["outputStorage"] == nil {
      issue(node, "\(label): output \(kind) needs outputStorage (-os)")
      ok = false
    }
    if let on = options["outputName"]?.string, !Self.isValidName(on) {
      issue(pairs["options"] ?? node, "\(label): outputName '\(on)': letters, digits, '.', '_' and '-' only")
      ok = false
    }
    guard ok else { return nil }
    return PlanMachine(
      name: name, input: input, sources: sources, sourceHost: host, wave: wave, options: options, index: index,
      line: node.mark?.line)
  }

  /// An `ssh://user@host/dev/sda` disk's host is its host; a path's is its directory.
  static func defaultHost(_ source: String) -> String {
    if source.hasPrefix("ssh://"), let url = URL(string: source), let host = url.host { return "ssh://" + host }
    let dir = (source as NSString).deletingLastPathComponent
    return dir.isEmpty ? "." : dir
  }

  static func isValidName(_ s: String) -> Bool {
    !s.isEmpty && !s.hasPrefix(".") && !s.hasPrefix("-")
      && s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) }
  }

  mutating func options(_ node: Node, context: String) -> [String: OptionValue] {
    guard case .mapping(let map) = node else {
      if node.null != nil { return [:] }
      issue(node, "\(context): expected a mapping of `v2v convert` options, got \(show(node))")
      return [:]
    }
    var result: [String: OptionValue] = [:]
    let known = ConvertOptions.all.map(\.name)
    for (key, value) in uniquePairs(map, known: nil, what: "\(context) key") {
      guard let spec = ConvertOptions.spec(key) else {
        let hint = Self.closest(key, in: known).map { " (did you mean '\($0)'?)" } ?? ""
        let reserved = ["json", "verbose", "quiet", "name"].contains(key) ? " (the batch sets it)" : ""
        issue(keyNode(map, key) ?? value, "\(context): unknown option '\(key)'\(reserved)\(hint)")
        continue
      }
      if let v = optionValue(value, spec, context: context) { result[key] = v }
    }
    return result
  }

  func keyNode(_ map: Node.Mapping, _ key: String) -> Node? { map.first { $0.key.scalar?.string == key }?.key }

  mutating func optionValue(_ node: Node, _ spec: ConvertOptions.Spec, context: String) -> OptionValue? {
    let isScalar = node.scalar != nil && node.null == nil
    func wrong(_ expected: String) -> OptionValue? {
      issue(node, "\(context): \(spec.name): expected \(expected), got \(show(node))")
      return nil
    }
    switch spec.kind {
    case .string:
      guard isScalar, let s = node.scalar?.string, !s.isEmpty else { return wrong("a string") }
      return .string(s)
    case .choice(let words):
      guard isScalar, let s = node.scalar?.string, words.contains(s) else { return wrong("one of \(words.joined(separator: ", "))") }
      return .string(s)
    case .flag:
      guard isScalar, node.scalar?.style == .plain, let b = node.bool else {
        return wrong("true or false")
      }
      return .bool(b)
    case .number:
      guard isScalar, node.scalar?.style == .plain, let d = node.float, d > 0 else { return wrong("a positive number") }
      return .number(d)
    case .integer:
      guard isScalar, node.scalar?.style == .plain, let i = node.int, i > 0 else { return wrong("a positive integer") }
      return .number(Double(i))
    case .repeated:
      if isScalar, let s = node.scalar?.string, !s.isEmpty { return .list([s]) }
      if case .sequence(let seq) = node, seq.allSatisfy({ $0.scalar != nil && $0.null == nil }) {
        return .list(seq.map { $0.scalar!.string })
      }
      return wrong("a string or a list of strings")
    }
  }

  mutating func integer(_ node: Node, _ what: String, minimum: Int) -> Int? {
    guard node.scalar != nil, node.scalar?.style == .plain, let i = node.int else {
      issue(node, "\(what): expected an integer, got \(show(node))")
      return nil
    }
    guard i >= minimum else {
      issue(node, "\(what) must be at least \(minimum), got \(i)")
      return nil
    }
    return i
  }

  func show(_ node: Node) -> String {
    switch node {
    case .scalar(let s): return node.null != nil ? "nothing" : "'\(s.string)'"
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    }
  }

  static func closest(_ word: String, in candidates: [String]) -> String? {
    let lower = word.lowercased()
    return candidates.min { distance(lower, $0.lowercased()) < distance(lower, $1.lowercased()) }
      .flatMap { distance(lower, $0.lowercased()) <= max(2, word.count / 3) ? $0 : nil }
  }

  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var row = Array(0...b.count)
    for i in 1...a.count {
      var prev = row[0]
      row[0] = i
      for j in 1...b.count {
        let cur = row[j]
        row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
        prev = cur
      }
    }
    return row[b.count]
  }

  static func yamlIssue(_ error: YamlError, file: String) -> PlanIssue {
    switch error {
    case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      let ctx = context.map { " \($0.text)" } ?? ""
      return PlanIssue(file: file, line: mark.line, "not valid YAML: \(problem)\(ctx)")
    default:
      return PlanIssue(file: file, line: nil, "not valid YAML: \(error)")
    }
  }
}
