import ArgumentParser
import Dispatch
import Foundation
import V2VBatch
import V2VModel
import V2VReaders

/// `v2v batch`: many machines from one YAML plan (docs/batch.md).
struct BatchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "batch",
    abstract: "Convert many machines from a YAML plan: limits, retries, resumable state, reports, Kubernetes.",
    discussion: """
      Examples:
        v2v batch run fleet.yaml                 convert every machine, wave by wave (rerun to resume)
        v2v batch status fleet.yaml              where each machine is
        v2v batch report fleet.yaml --json       per-machine results and a wave estimate
        v2v batch emit kubernetes fleet.yaml -o k8s/
      The plan's format, the state files and the report JSON: docs/batch.md.
      """,
    subcommands: [BatchRunCommand.self, BatchStatusCommand.self, BatchReportCommand.self, BatchEmitCommand.self])
}

/// Loads a plan; every problem is one `v2v: error: FILE:LINE: problem` line, exit 64.
func loadPlan(_ path: String) throws -> BatchPlan {
  do { return try BatchPlan.load(path: path) } catch {
    for issue in error.issues { Console.err("v2v: error: \(OneLine.escape(issue.description))") }
    throw V2VExit.usage.exit
  }
}

/// `v2v batch run PLAN [--wave N] [--index I]`.
struct BatchRunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Convert the plan's machines (each by a `v2v convert` child); rerun to resume.",
    discussion: """
      Machines that succeeded before are skipped; one a killed run left running is restarted cleanly. \
      Exits 0 when every machine succeeded, else non-zero after a summary (the failed machines' error class \
      when they share one, else 1).
      """)

  @Argument(help: "The plan (YAML).") var plan: String

  @Option(help: "Only this wave.") var wave: Int?

  @Option(help: "Only machine I of the selection, from 0 (a Kubernetes pod's $JOB_COMPLETION_INDEX); its record goes to PLAN.results/NAME.json.")
  var index: Int?

  @Option(help: .hidden) var converter: String?

  @Flag(name: .shortAndLong, help: "Print only the summary.") var quiet = false

  @Flag(help: "Also convert again the machines that failed deterministically (class 3-8, 64) in an earlier run; without it a rerun leaves them failed.")
  var retryFailed = false

  func run() throws {
    let plan = try loadPlan(self.plan)
    var options = RunOptions(binary: converter ?? Self.ownBinary(), wave: wave, index: index)
    options.stopGrace = 30
    options.retryFailed = retryFailed
    let runner = BatchRunner(plan: plan, options: options)
    let quiet = self.quiet
    runner.log = { line in if !quiet { Console.err("v2v batch: " + line) } }
    let signals = Self.forwardSignals(to: runner)
    defer { _ = signals }
    let summary: RunSummary
    do { summary = try runner.run() } catch { throw fail(error.message, error.exitClass) }
    Console.out(summary.text)
    let code = summary.interrupted ? (runner.stopSignalCode ?? 130) : summary.exitCode
    if code != 0 { throw ExitCode(code) }
  }

  /// This process's binary (`/proc/self/exe`), else `argv[0]`.
  static func ownBinary() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  /// SIGINT/SIGTERM stop the run: no new machine starts, running children get SIGTERM.
  static func forwardSignals(to runner: BatchRunner) -> [DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { sig in
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler {
        Console.err("v2v batch: \(sig == SIGINT ? "SIGINT" : "SIGTERM"): stopping the running conversions (rerun to resume)")
        runner.stop(signal: sig)
      }
      source.resume()
      return source
    }
  }
}

extension BatchRunner {
  /// 130 after SIGINT, 143 after SIGTERM.
  var stopSignalCode: Int32? { stopRequest.map { $0 == SIGTERM ? 143 : 130 } }
}

/// `v2v batch status PLAN [--json]`.
struct BatchStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Show each machine's status, phase, elapsed time and attempts.")

  @Argument(help: "The plan (YAML).") var plan: String
  @Flag(help: "One JSON array (with --watch: one array per line, per refresh).") var json = false
  @Flag(help: "Refresh every --interval seconds until the run ends (a terminal is redrawn in place).") var watch = false
  @Option(help: "Seconds between refreshes with --watch.") var interval: Double = 2

  func validate() throws {
    if interval < 0.1 { throw ValidationError("--interval must be at least 0.1 seconds") }
  }

  func run() throws {
    let plan = try loadPlan(self.plan)
    func load() throws -> BatchReport {
      do { return try BatchReport.load(plan) } catch { throw fail("\(plan.statePath): \(error)", .failure) }
    }
    guard watch else {
      let report = try load()
      Console.out(json ? report.statusJSON : report.table)
      return
    }
    // Live: redraw until no run is at work on the plan any more (then one last, final table). A terminal gets
    // the screen cleared and redrawn in place; a pipe or file gets each table after a time line.
    let tty = isatty(STDOUT_FILENO) == 1 && !json
    while true {
      let report = try load()
      let active = report.runActive
      if json {
        Console.out(report.statusJSON(pretty: false))
      } else {
        let head = "\(BatchReport.clock(report.now))  \(report.progressLine)"
          + (active ? "  (every \(BatchReport.seconds(interval)) s; Ctrl-C to stop watching)" : "  (no run is active)")
        Console.out((tty ? "\u{1B}[H\u{1B}[2J" : "") + head + "\n" + report.table + (tty ? "" : "\n"))
      }
      if !active { return }
      Thread.sleep(forTimeInterval: interval)
    }
  }
}

/// `v2v batch report PLAN --json|--csv`.
struct BatchReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Per-machine results (JSON or CSV on stdout), a summary and a wave estimate (stderr).",
    discussion: "The JSON is documented in docs/batch.md.")

  @Argument(help: "The plan (YAML).") var plan: String
  @Flag(help: "JSON on stdout.") var json = false
  @Flag(help: "CSV on stdout.") var csv = false

  func validate() throws {
    if json && csv { throw ValidationError("--json and --csv: choose one") }
  }

  func run() throws {
    let plan = try loadPlan(self.plan)
    let report: BatchReport
    do { report = try BatchReport.load(plan) } catch { throw fail("\(plan.statePath): \(error)", .failure) }
    if json || csv {
      Console.out(json ? report.json : report.csv)
      Console.err(report.summary)
    } else {
      Console.out(report.summary)
      Console.out("")
      Console.out(report.table)
    }
  }
}

/// `v2v batch emit kubernetes PLAN -o DIR`.
struct BatchEmitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "emit",
    abstract: "Write the plan as Kubernetes objects: Indexed Jobs (one per wave), a ConfigMap, a Containerfile.")

  enum Target: String, ExpressibleByArgument { case kubernetes }

  @Argument(help: "kubernetes") var target: Target
  @Argument(help: "The plan (YAML).") var plan: String
  @Option(name: .customShort("o"), help: "Directory to write into (created).") var output: String
  @Option(help: "Container image with v2v.") var image = "localhost/v2v:latest"
  @Option(help: "Namespace of the objects (default: none, kubectl's).") var namespace: String?
  @Option(help: "PersistentVolumeClaim shared by the pods: the plan copy and PLAN.results/.") var stateClaim = "v2v-batch-state"
  @Option(help: "PersistentVolumeClaim holding the sources (mounted read-only at their common folder).") var sourcesClaim = "v2v-sources"
  @Option(help: "PersistentVolumeClaim for file outputs (mounted at each outputStorage).") var outputsClaim = "v2v-outputs"
  @Option(help: "Memory request per pod (default: from the measured conversion peak, more for a wave that boot-tests; docs/batch.md).")
  var memory: String?
  @Option(help: "Memory limit per pod (default: twice the default request).") var memoryLimit: String?
  @Option(help: "CPU request per pod.") var cpu = "1"

  func run() throws {
    let plan = try loadPlan(self.plan)
    let text: String
    do { text = try String(contentsOfFile: self.plan, encoding: .utf8) } catch { throw fail("\(self.plan): \(error)", .sourceInvalid) }
    var s = KubernetesEmitter.Settings()
    s.image = image
    s.namespace = namespace
    s.stateClaim = stateClaim
    s.sourcesClaim = sourcesClaim
    s.outputsClaim = outputsClaim
    s.memoryRequest = memory
    s.memoryLimit = memoryLimit
    s.cpuRequest = cpu
    do {
      for p in try KubernetesEmitter(plan: plan, planText: text, settings: s).write(to: output) { Console.out(p) }
    } catch {
      throw fail("\(output): \(error)", .outputFailed)
    }
  }
}
