import Foundation
import V2VModel
import V2VProcess

/// A batch failure that is not one machine's: a bad plan, a locked state, a host problem.
public struct BatchError: ClassifiedError, Sendable {
  public var exitClass: ExitClass
  public var message: String
  public init(_ exitClass: ExitClass, _ message: String) {
    self.exitClass = exitClass
    self.message = message
  }
  public var description: String { message }
}

/// How to run a plan.
public struct RunOptions: Sendable {
  /// The `v2v` binary each machine's `v2v convert` child runs (default: this process's own).
  public var binary: String
  /// `--wave N`: only that wave.
  public var wave: Int?
  /// `--index I`: only machine I of the selection, recorded in `PLAN.results/NAME.json`.
  public var index: Int?
  /// Seconds between looks at the children's output.
  public var pollInterval: Double = 0.1
  /// Seconds a child gets to clean up after SIGTERM before SIGKILL.
  public var stopGrace: Double = 30
  /// `--retry-failed`: on a rerun, also convert again the machines that failed deterministically (after the
  /// cause was fixed). Without it a rerun leaves them failed: they would fail the same way again.
  public var retryFailed = false

  public init(binary: String = CommandLine.arguments[0], wave: Int? = nil, index: Int? = nil) {
    self.binary = binary
    self.wave = wave
    self.index = index
  }
}

/// What a run did.
public struct RunSummary: Sendable {
  /// The selected machines' records at the end, in plan order.
  public var records: [MachineRecord]
  /// Machines skipped because an earlier run finished them (succeeded, or failed deterministically).
  public var skipped: [String]
  /// Whether the run was stopped (SIGINT/SIGTERM) before it finished.
  public var interrupted: Bool

  public var failed: [MachineRecord] { records.filter { $0.status == .failed } }
  public var succeeded: [MachineRecord] { records.filter { $0.status == .succeeded } }

  /// The exit code: 0 when every selected machine succeeded; when some failed, their class if they share
  /// one, else 1; 130 when interrupted.
  public var exitCode: Int32 {
    if interrupted { return 130 }
    let classes = Set(failed.compactMap(\.errorClass))
    if failed.isEmpty && records.allSatisfy({ $0.status == .succeeded }) { return 0 }
    return classes.count == 1 ? classes.first! : 1
  }

  /// A few lines for a human: counts, then one line per failed machine.
  public var text: String {
    var lines = [
      "\(succeeded.count) succeeded, \(failed.count) failed"
        + (skipped.isEmpty ? "" : ", \(skipped.count) already done (skipped)")
        + (interrupted ? "; interrupted, rerun `v2v batch run` to resume" : "")
    ]
    for f in failed {
      lines.append("  \(f.name): error class \(f.errorClass ?? 1) after \(f.attempts) attempt(s): \(f.errorMessage ?? "")")
    }
    return lines.joined(separator: "\n")
  }
}

/// Where a run keeps its records: the shared database, or one JSON file per machine (`--index`).
protocol RecordSink: Sendable {
  func save(_ record: MachineRecord) throws
}

extension StateStore: RecordSink {}

struct ResultDirectorySink: RecordSink {
  let directory: String
  func save(_ record: MachineRecord) throws { try ResultRecords.write(record, directory: directory) }
}

/// Runs a plan: one `v2v convert --json` child per machine (never a conversion in this process), at most
/// `concurrency` at once and `perSourceHost` per source host, waves in order, transient failures retried with
/// exponential backoff.
///
/// Threads, not Swift concurrency: the scheduler runs on the caller's thread and each attempt on a thread of
/// its own, because ``ProcessRunner`` blocks its caller and must not run on the cooperative pool.
public final class BatchRunner: @unchecked Sendable {
  public let plan: BatchPlan
  public let options: RunOptions
  /// Lines for the user (a machine started, finished, failed); called from any thread.
  public var log: @Sendable (String) -> Void = { _ in }

  private let cond = NSCondition()
  private var running = 0
  private var perHost: [String: Int] = [:]
  private var queue: [(machine: PlanMachine, notBefore: Double)] = []
  private var stopSignal: Int32?

  public init(plan: BatchPlan, options: RunOptions) {
    self.plan = plan
    self.options = options
  }

  /// Asks the run to stop (SIGINT/SIGTERM): no machine starts any more, running children get SIGTERM (they
  /// remove their partial output) and their machines go back to pending. Safe from any thread.
  public func stop(signal: Int32) {
    cond.withLock {
      if stopSignal == nil { stopSignal = signal }
      cond.broadcast()
    }
  }

  var stopping: Bool { cond.withLock { stopSignal != nil } }

  /// The signal ``stop(signal:)`` was given, if any.
  public var stopRequest: Int32? { cond.withLock { stopSignal } }

  /// Runs the selection to the end (blocking).
  public func run() throws(BatchError) -> RunSummary {
    // Several conversions at once: each child's libguestfs appliance gets ONE vCPU (V2V_APPLIANCE_SMP=1,
    // inherited), unless the user set it. Measured on 2 cores under TCG (Benchmarks/batch-throughput.sh,
    // docs/batch.md): one conversion takes the same 56 s with 1 or 2 vCPUs, and two at once finish 4 machines
    // in 127 s with 1 vCPU each against 185 s with 2 (the vCPUs fight over the same cores).
    if plan.concurrency > 1 { setenv("V2V_APPLIANCE_SMP", "1", 0) }
    let selection: [PlanMachine]
    do { selection = try plan.select(wave: options.wave, index: options.index) } catch {
      throw BatchError(.usage, error.description)
    }
    let sink: RecordSink
    var lock: BatchLock?
    var records: [String: MachineRecord] = [:]
    let merged: [String: MachineRecord]
    do {
      merged = Dictionary(uniqueKeysWithValues: try MergedState.load(plan).map { ($0.name, $0) })
    } catch {
      throw BatchError(.hostNotReady, "\(plan.statePath): cannot read the state: \(error)")
    }
    if options.index != nil {
      sink = ResultDirectorySink(directory: plan.resultsDirectory)
      for m in selection { records[m.name] = ResultRecords.read(directory: plan.resultsDirectory, name: m.name) ?? merged[m.name] }
    } else {
      lock = try BatchLock(path: plan.stem + ".state.lock")
      do {
        let store = try StateStore(path: plan.statePath)
        try store.sync(with: plan)
        for r in try store.all() { records[r.name] = r }
        sink = store
      } catch {
        throw BatchError(.hostNotReady, "\(plan.statePath): cannot open the state: \(error)")
      }
    }
    defer { _ = lock }

    // Resume: finished machines are skipped; one a killed run left `running` is stopped if its child still
    // runs, its half-written output removed, and it starts again from pending.
    var skipped: [String] = []
    var todo: [PlanMachine] = []
    for m in selection {
      var r = records[m.name] ?? MachineRecord(pending: m)
      if merged[m.name]?.status == .succeeded || r.status == .succeeded {
        skipped.append(m.name)
        records[m.name] = merged[m.name]?.status == .succeeded ? merged[m.name]! : r
        continue
      }
      // A deterministic failure is finished too: trying it again would fail the same way (and redo its
      // slow work). Transient failures that ran out of retries get a fresh budget; `--retry-failed` also
      // retries the deterministic ones (after the cause was fixed).
      if r.status == .failed, !options.retryFailed, let c = r.errorClass, ExitVerdict(exitCode: c) == .deterministic {
        skipped.append(m.name)
        continue
      }
      if r.status == .running {
        if options.index == nil, let last = r.history.last { Orphans.stop(last, grace: options.stopGrace) }
        let removed = OutputCleaner.removePartial(m)
        log("\(m.name): left running by an earlier run; restarting it" + (removed.isEmpty ? "" : " (removed \(removed.joined(separator: ", ")))"))
        if var last = r.history.popLast() {
          last.endedAt = last.endedAt ?? Date().timeIntervalSince1970
          last.slotUntil = last.slotUntil ?? last.endedAt
          r.history.append(last)
        }
      }
      r.status = .pending
      r.phase = nil
      records[m.name] = r
      try? sink.save(r)
      todo.append(m)
    }

    let state = RunState(records: records, sink: sink)
    for wave in Array(Set(todo.map(\.wave))).sorted() {
      if stopping { break }
      runWave(todo.filter { $0.wave == wave }, state: state)
    }
    let final = state.snapshot()
    return RunSummary(records: selection.compactMap { final[$0.name] }, skipped: skipped, interrupted: stopping)
  }

  /// Runs the machines of one wave under the limits; returns when every one has finished.
  private func runWave(_ machines: [PlanMachine], state: RunState) {
    cond.withLock { queue = machines.map { ($0, 0) } }
    cond.lock()
    defer { cond.unlock() }
    while true {
      if stopSignal != nil { queue.removeAll() }
      if queue.isEmpty && running == 0 { return }
      let now = Date().timeIntervalSince1970
      if let i = queue.firstIndex(where: { canStart($0.machine, now: now, notBefore: $0.notBefore) }) {
        let m = queue.remove(at: i).machine
        running += 1
        perHost[m.sourceHost, default: 0] += 1
        let slotFrom = Date().timeIntervalSince1970
        let thread = Thread { [self] in attempt(m, slotFrom: slotFrom, state: state) }
        thread.stackSize = 4 << 20
        thread.start()
        continue
      }
      let earliest = queue.filter { $0.notBefore > now }.map(\.notBefore).min()
      if let earliest, running < plan.concurrency {
        _ = cond.wait(until: Date(timeIntervalSince1970: earliest))
      } else {
        cond.wait()
      }
    }
  }

  private func canStart(_ m: PlanMachine, now: Double, notBefore: Double) -> Bool {
    notBefore <= now && running < plan.concurrency && perHost[m.sourceHost, default: 0] < (plan.perSourceHost ?? Int.max)
  }

  private func releaseHost(_ host: String) {
    cond.withLock {
      perHost[host, default: 1] -= 1
      cond.broadcast()
    }
  }

  /// One attempt at one machine, on its own thread.
  private func attempt(_ m: PlanMachine, slotFrom: Double, state: RunState) {
    var r = state.record(m)
    r.attempts += 1
    let n = r.attempts
    let inThisRun = state.countAttempt(m.name)
    try? FileManager.default.createDirectory(atPath: plan.logsDirectory, withIntermediateDirectories: true)
    let logPath = "\(plan.logsDirectory)/\(m.name).\(n).jsonl"
    let errPath = "\(plan.logsDirectory)/\(m.name).\(n).stderr"
    let argv = [options.binary] + ConvertOptions.argv(for: m)
    let started = Date().timeIntervalSince1970
    var hostHeld = true
    var attemptRecord = AttemptRecord(number: n, startedAt: started, slotFrom: slotFrom, log: logPath)
    func giveBackHost(at t: Double) {
      guard hostHeld else { return }
      hostHeld = false
      attemptRecord.slotUntil = t
      releaseHost(m.sourceHost)
    }

    r.status = .running
    r.startedAt = r.startedAt ?? started
    r.endedAt = nil
    r.phase = nil
    r.phases = []
    let process: RunningProcess
    do {
      process = try ProcessRunner.start(argv, stdout: logPath, stderr: errPath)
    } catch {
      giveBackHost(at: Date().timeIntervalSince1970)
      attemptRecord.endedAt = Date().timeIntervalSince1970
      r.history.append(attemptRecord)
      r.status = .failed
      r.errorClass = ExitClass.hostNotReady.rawValue
      r.errorMessage = "cannot start \(options.binary): \(error)"
      r.endedAt = attemptRecord.endedAt
      state.update(r)
      log("\(m.name): failed: \(r.errorMessage!)")
      finish(m, retryAfter: nil)
      return
    }
    attemptRecord.pid = process.pid
    attemptRecord.pidStart = Orphans.startTime(pid: process.pid)
    r.history.append(attemptRecord)
    state.update(r)
    log("\(m.name): started (attempt \(n), pid \(process.pid))")

    // Follow the child's JSON lines until it exits.
    let tailer = LineTailer(path: logPath)
    var phaseStart: (String, Double)?
    var phases: [PhaseTiming] = []
    var result: ChildResult?
    var terminated = false
    func handle(_ lines: [String]) {
      var changed = false
      for line in lines {
        switch ChildEvent.parse(line) {
        case .stage(let s):
          let now = Date().timeIntervalSince1970
          if let (name, t0) = phaseStart { phases.append(PhaseTiming(name: name, seconds: now - t0)) }
          phaseStart = (s, now)
          r.phase = s
          if ChildEvent.sourceReadDone(s) { giveBackHost(at: now) }
          changed = true
        case .result(let res): result = res
        case .other: break
        }
      }
      if changed {
        r.phases = phases
        r.history[r.history.count - 1] = attemptRecord
        state.update(r)
      }
    }
    while process.isRunning {
      if stopping && !terminated {
        terminated = true
        log("\(m.name): stopping its conversion (SIGTERM)")
        DispatchQueue.global().async { process.terminate(grace: self.options.stopGrace) }
      }
      handle(tailer.read())
      _ = process.waitUntilExit(timeout: options.pollInterval)
    }
    handle(tailer.read(end: true))
    let ended = Date().timeIntervalSince1970
    if let (name, t0) = phaseStart { phases.append(PhaseTiming(name: name, seconds: ended - t0)) }
    giveBackHost(at: ended)
    let code = process.terminationStatus ?? -1
    attemptRecord.endedAt = ended
    attemptRecord.exitCode = code
    r.history[r.history.count - 1] = attemptRecord
    r.phases = result.map { $0.stages.isEmpty ? phases : $0.stages } ?? phases
    r.endedAt = ended

    let verdict = ExitVerdict(exitCode: code)
    var retryAfter: Double?
    switch verdict {
    case .succeeded:
      r.status = .succeeded
      r.errorClass = nil
      r.errorMessage = nil
      r.outputBytes = result?.outputBytes
      r.bootVerified = m.verifyBoot ? result?.bootPassed : nil
      r.outputs = result?.artifacts ?? []
      log("\(m.name): succeeded in \(Int(ended - started)) s")
    case _ where terminated:
      // Stopped by us: not the machine's fault; a rerun starts it again.
      r.status = .pending
      r.errorClass = ExitClass.interrupted.rawValue
      r.errorMessage = "the batch run was interrupted"
      OutputCleaner.removePartial(m).forEach { log("\(m.name): removed \($0)") }
    default:
      r.errorClass = ExitVerdict.errorClass(code)
      r.errorMessage = childErrorMessage(stderrPath: errPath, exitCode: code)
      if code == ExitClass.bootFailed.rawValue {
        r.bootVerified = false
        r.outputBytes = result?.outputBytes
        r.outputs = result?.artifacts ?? []
      }
      if verdict == .transient && inThisRun <= plan.retries {
        // Exponential backoff: retryDelay, 2×, 4×, … The machine holds no slot while it waits. Retries are
        // counted per run: a rerun gets a fresh budget.
        let delay = plan.retryDelay * pow(2, Double(inThisRun - 1))
        retryAfter = Date().timeIntervalSince1970 + delay
        r.status = .pending
        log("\(m.name): transient failure (exit \(code)): \(r.errorMessage!); retrying in \(String(format: "%.1f", delay)) s")
      } else {
        r.status = .failed
        log("\(m.name): failed (exit \(code), \(verdict == .deterministic ? "not retried" : "no retries left")): \(r.errorMessage!)")
      }
    }
    state.update(r)
    finish(m, retryAfter: retryAfter)
  }

  private func finish(_ m: PlanMachine, retryAfter: Double?) {
    cond.withLock {
      running -= 1
      if let retryAfter, stopSignal == nil { queue.append((m, retryAfter)) }
      cond.broadcast()
    }
  }
}

/// The records of a run, shared by the attempt threads; every change is saved at once.
final class RunState: @unchecked Sendable {
  private let lock = NSLock()
  private var records: [String: MachineRecord]
  private var attemptsThisRun: [String: Int] = [:]
  private let sink: RecordSink

  /// Counts an attempt of this run; returns its number in this run (1, 2, …).
  func countAttempt(_ name: String) -> Int {
    lock.withLock {
      attemptsThisRun[name, default: 0] += 1
      return attemptsThisRun[name]!
    }
  }

  init(records: [String: MachineRecord], sink: RecordSink) {
    self.records = records
    self.sink = sink
  }

  func record(_ m: PlanMachine) -> MachineRecord { lock.withLock { records[m.name] ?? MachineRecord(pending: m) } }

  func update(_ r: MachineRecord) {
    lock.withLock {
      records[r.name] = r
      // A state that cannot be written is not worth stopping conversions for; the next save may succeed.
      do { try sink.save(r) } catch { FileHandle.standardError.write(Data("v2v: warning: cannot save the state of \(r.name): \(error)\n".utf8)) }
    }
  }

  func snapshot() -> [String: MachineRecord] { lock.withLock { records } }
}

/// Children a killed batch run left behind (they lead their own process groups, so they outlive it).
enum Orphans {
  /// `/proc/PID/stat` field 22 (start time in clock ticks after boot): with the pid, names one process.
  static func startTime(pid: Int32) -> String? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command name: field 3 is state, so field 22 is at offset 22 - 3.
    return fields.count > 19 ? String(fields[19]) : nil
  }

  /// Stops the child of `attempt` if it still runs (SIGTERM to its group, SIGKILL after `grace`).
  static func stop(_ attempt: AttemptRecord, grace: Double) {
    guard let pid = attempt.pid, let start = attempt.pidStart, startTime(pid: pid) == start else { return }
    kill(-pid, SIGTERM)
    kill(pid, SIGTERM)
    let limit = Date().addingTimeInterval(grace)
    while startTime(pid: pid) == start && Date() < limit {
      if isZombie(pid) { break }
      usleep(50_000)
    }
    kill(-pid, SIGKILL)
    if startTime(pid: pid) == start { kill(pid, SIGKILL) }
    // It was re-parented to init (or a subreaper), which reaps it; wait until it is gone.
    let gone = Date().addingTimeInterval(5)
    while startTime(pid: pid) == start && !isZombie(pid) && Date() < gone { usleep(50_000) }
  }

  /// Whether the child of `attempt` still runs here (same pid, same start time). An `--index` record
  /// written on another node names a pid of that node: not known here, so taken as alive.
  static func alive(_ attempt: AttemptRecord) -> Bool {
    guard let pid = attempt.pid, let start = attempt.pidStart else { return true }
    return startTime(pid: pid) == start && !isZombie(pid)
  }

  static func isZombie(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
      return true
    }
    return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
  }
}

/// Removes what an interrupted conversion left in a file output (`-o local`/`-o qemu`): the disks (and
/// their `.v2v-part` temporaries) and the metadata. The local writer writes the XML last, so an output
/// without it was never complete; a machine being restarted is converted again whole, so its files go.
/// Outputs elsewhere (libvirt, physical) are the interrupted child's to clean up on SIGTERM.
public enum OutputCleaner {
  /// Removes and returns the paths removed.
  @discardableResult
  public static func removePartial(_ m: PlanMachine) -> [String] {
    guard ["local", "qemu"].contains(m.outputKind), let dir = m.outputStorage,
      let names = try? FileManager.default.contentsOfDirectory(atPath: dir)
    else { return [] }
    let name = m.outputName
    var removed: [String] = []
    for file in names where belongs(file, to: name, kind: m.outputKind) {
      let path = dir + "/" + file
      if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
    }
    return removed.sorted()
  }

  /// `NAME-sdX[.qcow2][.v2v-part]`, and `NAME.xml` (local) or `NAME.sh` (qemu).
  static func belongs(_ file: String, to name: String, kind: String) -> Bool {
    if file == name + (kind == "qemu" ? ".sh" : ".xml") { return true }
    guard file.hasPrefix(name + "-sd") else { return false }
    var rest = Substring(file.dropFirst(name.count + 3))
    if rest.hasSuffix(".v2v-part") { rest = rest.dropLast(".v2v-part".count) }
    if rest.hasSuffix(".qcow2") { rest = rest.dropLast(".qcow2".count) }
    return !rest.isEmpty && rest.allSatisfy { $0 >= "a" && $0 <= "z" }
  }
}
