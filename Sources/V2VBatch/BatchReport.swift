import Foundation

/// `v2v batch report` and `v2v batch status`: the merged state (database and `--index` records) as JSON,
/// CSV or a table, with a summary and a wave estimate from the measured throughput. docs/batch.md documents
/// the JSON.
public struct BatchReport {
  public let plan: BatchPlan
  public let records: [MachineRecord]
  public let now: Double

  public init(plan: BatchPlan, records: [MachineRecord], now: Double = Date().timeIntervalSince1970) {
    self.plan = plan
    self.records = records
    self.now = now
  }

  /// Loads the merged state of a plan.
  public static func load(_ plan: BatchPlan) throws -> BatchReport {
    BatchReport(plan: plan, records: try MergedState.load(plan))
  }

  func count(_ s: MachineStatus) -> Int { records.filter { $0.status == s }.count }

  /// Seconds of the last attempt (to now while it runs).
  func elapsed(_ r: MachineRecord) -> Double? {
    guard let last = r.history.last else { return nil }
    return (last.endedAt ?? (r.status == .running ? now : last.startedAt)) - last.startedAt
  }

  /// Measured throughput: succeeded machines per second of wall time during which attempts ran (the union
  /// of their intervals, so pauses between runs do not count, and concurrency does).
  public var machinesPerSecond: Double? {
    let done = records.filter { $0.status == .succeeded }.count
    let intervals = records.flatMap(\.history).compactMap { a in a.endedAt.map { (a.startedAt, $0) } }.sorted { $0.0 < $1.0 }
    var wall = 0.0
    var current: (Double, Double)?
    for (s, e) in intervals {
      if let c = current, s <= c.1 {
        current = (c.0, max(c.1, e))
      } else {
        if let c = current { wall += c.1 - c.0 }
        current = (s, e)
      }
    }
    if let c = current { wall += c.1 - c.0 }
    guard done > 0, wall > 0 else { return nil }
    return Double(done) / wall
  }

  /// Mean seconds of a successful conversion (its last attempt).
  public var secondsPerMachine: Double? {
    let d = records.filter { $0.status == .succeeded }.compactMap(elapsed)
    return d.isEmpty ? nil : d.reduce(0, +) / Double(d.count)
  }

  /// Whether a rerun leaves this machine alone: it succeeded, or failed deterministically (class 3-8, 64;
  /// only `--retry-failed` tries those again).
  static func finished(_ r: MachineRecord) -> Bool {
    r.status == .succeeded || (r.status == .failed && r.errorClass.map { ExitVerdict(exitCode: $0) == .deterministic } == true)
  }

  /// Per wave: machines, those a run still has to convert (not finished), the deterministic failures, and the
  /// seconds the remaining ones should take at the measured rate.
  public var waveEstimates: [(wave: Int, machines: Int, remaining: Int, failed: Int, estimatedSeconds: Double?)] {
    plan.waves.map { w in
      let inWave = records.filter { $0.wave == w }
      let remaining = inWave.filter { !Self.finished($0) }.count
      let failed = inWave.filter { $0.status == .failed && Self.finished($0) }.count
      return (w, inWave.count, remaining, failed, machinesPerSecond.map { Double(remaining) / $0 })
    }
  }

  /// One machine as the report shows it.
  func machineObject(_ r: MachineRecord) -> [String: Any] {
    var phases: [String: Any] = [:]
    for p in r.phases { phases[p.name] = ((phases[p.name] as? Double) ?? 0) + Self.round(p.seconds) }
    return [
      "name": r.name,
      "wave": r.wave,
      "sourceHost": r.sourceHost,
      "status": r.status.rawValue,
      "attempts": r.attempts,
      "error": r.error.map { ["class": Int($0.class), "message": $0.message] as [String: Any] } ?? NSNull(),
      "phases": phases,
      "outputBytes": r.outputBytes.map { NSNumber(value: $0) } ?? NSNull(),
      "bootVerified": r.bootVerified.map { NSNumber(value: $0) } ?? NSNull(),
      "outputs": r.outputs,
      "startedAt": r.startedAt.map(Self.iso) ?? NSNull(),
      "endedAt": r.endedAt.map(Self.iso) ?? NSNull(),
      "seconds": elapsed(r).map(Self.round) ?? NSNull(),
    ]
  }

  /// The report as one JSON object.
  public var jsonObject: [String: Any] {
    [
      "plan": plan.absolutePath,
      "generatedAt": Self.iso(now),
      "summary": [
        "machines": records.count, "succeeded": count(.succeeded), "failed": count(.failed),
        "running": count(.running), "pending": count(.pending),
        "outputBytes": NSNumber(value: records.compactMap(\.outputBytes).reduce(0, +)),
      ] as [String: Any],
      "throughput": [
        "machinesPerHour": machinesPerSecond.map { Self.round($0 * 3600) } ?? NSNull(),
        "secondsPerMachine": secondsPerMachine.map(Self.round) ?? NSNull(),
      ] as [String: Any],
      "waves": waveEstimates.map { w in
        [
          "wave": w.wave, "machines": w.machines, "remaining": w.remaining, "failed": w.failed,
          "estimatedSeconds": w.estimatedSeconds.map(Self.round) ?? NSNull(),
        ] as [String: Any]
      },
      "machines": records.map(machineObject),
    ]
  }

  /// `report --json`.
  public var json: String {
    let data = try! JSONSerialization.data(withJSONObject: jsonObject, options: [.prettyPrinted, .sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  /// `report --csv`: one row per machine; phases as `NAME=SECONDS` joined by `;`.
  public var csv: String {
    var lines = ["name,wave,status,attempts,errorClass,errorMessage,outputBytes,bootVerified,seconds,phases"]
    for r in records {
      let fields: [String] = [
        r.name, String(r.wave), r.status.rawValue, String(r.attempts), r.errorClass.map(String.init) ?? "",
        r.errorMessage ?? "", r.outputBytes.map(String.init) ?? "", r.bootVerified.map(String.init) ?? "",
        elapsed(r).map { String(Self.round($0)) } ?? "",
        r.phases.map { "\($0.name)=\(Self.round($0.seconds))" }.joined(separator: ";"),
      ]
      lines.append(fields.map(Self.csvField).joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// A few lines for a human: counts, throughput, the wave estimate, the failures.
  public var summary: String {
    var lines = [
      "\(records.count) machines: \(count(.succeeded)) succeeded, \(count(.failed)) failed, \(count(.running)) running, \(count(.pending)) pending"
    ]
    if let mps = machinesPerSecond, let spm = secondsPerMachine {
      lines.append(String(format: "throughput: %.1f machines/hour (%.0f s per machine, concurrency %d)", mps * 3600, spm, plan.concurrency))
    } else {
      lines.append("throughput: not measured yet (no machine has succeeded)")
    }
    for w in waveEstimates where w.remaining > 0 || w.failed > 0 {
      var line = "wave \(w.wave): \(w.remaining) of \(w.machines) to go"
      if w.remaining > 0, let e = w.estimatedSeconds { line += ", about \(Self.duration(e))" }
      if w.failed > 0 { line += "; \(w.failed) failed for good (fix the cause, then `v2v batch run --retry-failed`)" }
      lines.append(line)
    }
    for r in records where r.status == .failed {
      lines.append("failed: \(r.name) (class \(r.errorClass ?? 1), \(r.attempts) attempt(s)): \(r.errorMessage ?? "")")
    }
    return lines.joined(separator: "\n")
  }

  /// `status`: machine, status, phase, elapsed, attempts.
  public var table: String {
    let header = ["MACHINE", "WAVE", "STATUS", "PHASE", "ELAPSED", "ATTEMPTS"]
    let rows = records.map { r in
      [r.name, String(r.wave), r.status.rawValue, r.status == .failed ? "error \(r.errorClass ?? 1)" : (r.phase ?? "-"),
       elapsed(r).map(Self.duration) ?? "-", String(r.attempts)]
    }
    let widths = header.indices.map { i in ([header] + rows).map { $0[i].count }.max()! }
    return ([header] + rows).map { row in
      row.enumerated().map { i, f in i == row.count - 1 ? f : f.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
    }.joined(separator: "\n")
  }

  /// `status --json`: one object per machine.
  public var statusJSON: String { statusJSON(pretty: true) }

  /// Whether a run is still at work on the plan: a `v2v batch run` holds its lock, or a machine is running
  /// in a pod (its `--index` record says `running`), or a child a killed run left behind still runs here.
  /// A run killed outright leaves its rows `running` with no child and no lock holder: over, until a rerun.
  public var runActive: Bool {
    if BatchLock.isHeld(path: plan.stem + ".state.lock") { return true }
    return records.contains { r in
      guard r.status == .running else { return false }
      if ResultRecords.read(directory: plan.resultsDirectory, name: r.name)?.status == .running { return true }
      return r.history.last.map { $0.endedAt == nil && Orphans.alive($0) } ?? false
    }
  }

  /// `status --json` (one line per refresh with `--watch`).
  public func statusJSON(pretty: Bool) -> String {
    let list: [[String: Any]] = records.map { r in
      [
        "name": r.name, "wave": r.wave, "status": r.status.rawValue, "phase": r.phase.map { $0 as Any } ?? NSNull(),
        "elapsed": elapsed(r).map(Self.round) ?? NSNull(), "attempts": r.attempts,
      ]
    }
    let data = try! JSONSerialization.data(withJSONObject: list, options: pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
  }

  /// `3/5 done: 2 succeeded, 1 failed, 1 running, 1 pending` (the head line of `status --watch`).
  public var progressLine: String {
    "\(count(.succeeded) + count(.failed))/\(records.count) done: \(count(.succeeded)) succeeded, \(count(.failed)) failed, "
      + "\(count(.running)) running, \(count(.pending)) pending"
  }

  /// `HH:MM:SS`, local time.
  public static func clock(_ t: Double) -> String {
    let f = DateFormatter()
    f.dateFormat = "HH:mm:ss"
    return f.string(from: Date(timeIntervalSince1970: t))
  }

  /// A number of seconds without a useless `.0`.
  public static func seconds(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }

  static func round(_ x: Double) -> Double { (x * 10).rounded() / 10 }

  static func iso(_ t: Double) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date(timeIntervalSince1970: t))
  }

  static func duration(_ s: Double) -> String {
    let t = Int(s.rounded())
    return t >= 3600 ? "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" : t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
  }

  static func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
  }
}
