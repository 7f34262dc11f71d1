import Foundation
import Testing
import V2VBatch
import V2VProcess
import V2VTestSupport

/// `v2v batch run/status/report/emit` through the real binary (with the fake converter), the report's shape,
/// and the emitted Kubernetes objects validated against the Kubernetes schemas.
@Suite("UnitTests.Batch commands, report and Kubernetes", .offPool)
struct BatchReportTests {
  func v2v(_ args: [String]) throws -> ProcessRunner.Result {
    try ProcessRunner.run([RepoPaths.v2vBinary] + args, timeout: 120)
  }

  /// A plan of three machines, one broken (class 5), run through `v2v batch run`.
  func ranPlan() throws -> (BatchSandbox, BatchPlan, ProcessRunner.Result) {
    let box = try BatchSandbox()
    let plan = try box.plan(
      box.planText(
        concurrency: 2,
        machines: [
          ("web01", box.source("web01"), "options: {verifyBoot: true}"), ("db01", box.source("db01", "codes=1,0"), "wave: 2"),
          ("broken", box.source("broken", "codes=5"), ""),
        ]), file: "fleet.yaml")
    let run = try v2v(["batch", "run", plan.path, "--converter", box.converter])
    return (box, plan, run)
  }

  @Test("batch run exits non-zero with a summary when a machine failed; the others converted")
  func runThroughBinary() throws {
    let (box, _, run) = try ranPlan()
    defer { withExtendedLifetime(box) {} }
    #expect(run.status == 5, "\(run.stderr)")
    #expect(run.stdout.contains("2 succeeded, 1 failed"))
    #expect(run.stdout.contains("broken: error class 5 after 1 attempt(s): fake failure 5 of broken (attempt 1)"))
  }

  @Test("report --json: per machine name, status, attempts, error, phases, outputBytes, bootVerified; summary and waves")
  func reportJSON() throws {
    let (box, plan, _) = try ranPlan()
    defer { withExtendedLifetime(box) {} }
    let r = try v2v(["batch", "report", plan.path, "--json"])
    #expect(r.status == 0, "\(r.stderr)")
    let top = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let machines = try #require(top["machines"] as? [[String: Any]])
    #expect(machines.map { $0["name"] as? String } == ["web01", "db01", "broken"])
    let web = machines[0]
    #expect(web["status"] as? String == "succeeded")
    #expect(web["attempts"] as? Int == 1)
    #expect(web["error"] is NSNull)
    #expect(web["outputBytes"] as? Int == 131072)
    #expect(web["bootVerified"] as? Bool == true)
    let phases = try #require(web["phases"] as? [String: Double])
    #expect(Set(phases.keys) == ["Reading the source (vmx)", "Copying disk 1/1 (1.0 MiB, raw)", "Writing metadata"])
    #expect(machines[1]["attempts"] as? Int == 2)
    #expect(machines[1]["bootVerified"] is NSNull, "not asked")
    let error = try #require(machines[2]["error"] as? [String: Any])
    #expect(error["class"] as? Int == 5)
    #expect(error["message"] as? String == "fake failure 5 of broken (attempt 1)")
    #expect(machines[2]["outputBytes"] is NSNull)
    let summary = try #require(top["summary"] as? [String: Any])
    #expect(summary["succeeded"] as? Int == 2)
    #expect(summary["failed"] as? Int == 1)
    let throughput = try #require(top["throughput"] as? [String: Any])
    #expect((throughput["machinesPerHour"] as? Double ?? 0) > 0)
    let waves = try #require(top["waves"] as? [[String: Any]])
    #expect(waves.map { $0["wave"] as? Int } == [1, 2])
    // `broken` failed for good (class 5): a rerun leaves it, so nothing remains to convert in wave 1.
    #expect(waves[0]["remaining"] as? Int == 0)
    #expect(waves[0]["failed"] as? Int == 1)
    #expect(waves[0]["estimatedSeconds"] as? Double == 0)
    #expect(waves[1]["remaining"] as? Int == 0)
    #expect(r.stderr.contains("3 machines: 2 succeeded, 1 failed"))
    #expect(r.stderr.contains("wave 1: 0 of 2 to go; 1 failed for good (fix the cause, then `v2v batch run --retry-failed`)"), "\(r.stderr)")
  }

  @Test("report --csv: a header and one quoted row per machine; status --json and the table")
  func reportCSVAndStatus() throws {
    let (box, plan, _) = try ranPlan()
    defer { withExtendedLifetime(box) {} }
    let csv = try v2v(["batch", "report", plan.path, "--csv"])
    let lines = csv.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first == "name,wave,status,attempts,errorClass,errorMessage,outputBytes,bootVerified,seconds,phases")
    try #require(lines.count == 4)
    #expect(lines[3].hasPrefix("broken,1,failed,1,5,fake failure 5 of broken (attempt 1),,,"))
    #expect(lines[1].hasPrefix("web01,1,succeeded,1,,,131072,true,"))
    #expect(lines[1].contains("Copying disk 1/1 (1.0 MiB, raw)="))
    let status = try v2v(["batch", "status", plan.path, "--json"])
    let list = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
    #expect(list.map { $0["status"] as? String } == ["succeeded", "succeeded", "failed"])
    let table = try v2v(["batch", "status", plan.path])
    #expect(table.stdout.hasPrefix("MACHINE"))
    #expect(table.stdout.contains("broken"))
    #expect(table.stdout.contains("error 5"))
  }

  @Test("status --watch: redraws the table until the run ends, then stops by itself; plain status prints once")
  func statusWatch() throws {
    let box = try BatchSandbox()
    let plan = try box.plan(
      box.planText(concurrency: 1, machines: [("w1", box.source("w1", "read=1.5"), ""), ("w2", box.source("w2", "read=1.5"), "")]),
      file: "watched.yaml")
    // Before any run: one table, then it stops (nothing is at work).
    let idle = try v2v(["batch", "status", plan.path, "--watch", "--interval", "0.2"])
    #expect(idle.status == 0)
    #expect(idle.stdout.components(separatedBy: "MACHINE").count - 1 == 1, "\(idle.stdout)")
    #expect(idle.stdout.contains("(no run is active)"))

    let run = try ProcessRunner.start(
      [RepoPaths.v2vBinary, "batch", "run", plan.path, "--converter", box.converter], stdout: box.root + "/run.out", stderr: box.root + "/run.err")
    // The watcher starts once the run holds its lock.
    let deadline = Date().addingTimeInterval(20)
    while !BatchLock.isHeld(path: plan.stem + ".state.lock") && Date() < deadline { usleep(20_000) }
    #expect(BatchLock.isHeld(path: plan.stem + ".state.lock"))
    let started = Date()
    let watch = try v2v(["batch", "status", plan.path, "--watch", "--interval", "0.2"])
    let watched = Date().timeIntervalSince(started)
    #expect(run.waitUntilExit(timeout: 30))
    #expect(run.terminationStatus == 0)
    #expect(watch.status == 0, "\(watch.stderr)")
    let tables = watch.stdout.components(separatedBy: "MACHINE").count - 1
    #expect(tables >= 5, "redrawn while the run went on: \(tables) tables in \(watched) s")
    #expect(watched >= 2, "it watched until the run ended")
    #expect(!watch.stdout.contains("\u{1B}["), "no terminal escapes into a pipe")
    #expect(watch.stdout.contains("running"))
    #expect(watch.stdout.contains("1/2 done"))
    let last = try #require(watch.stdout.components(separatedBy: "\n\n").filter { !$0.isEmpty }.last)
    #expect(last.contains("2/2 done: 2 succeeded") && last.contains("(no run is active)"), "\(last)")
    // --json: one array per line, per refresh.
    let js = try v2v(["batch", "status", plan.path, "--watch", "--json"])
    let lines = js.stdout.split(separator: "\n")
    #expect(lines.count == 1)
    let arr = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [[String: Any]])
    #expect(arr.map { $0["status"] as? String } == ["succeeded", "succeeded"])
  }

  @Test("a bad plan: one `v2v: error: FILE:LINE: problem` line per problem, exit 64, nothing run")
  func badPlanThroughBinary() throws {
    let box = try BatchSandbox()
    let path = box.root + "/bad.yaml"
    try "concurrency: 0\nmachines:\n  - {name: a, input: vmdk, source: /x}\n".write(toFile: path, atomically: true, encoding: .utf8)
    let r = try v2v(["batch", "run", path])
    #expect(r.status == 64)
    #expect(r.stderr == "v2v: error: \(path):1: concurrency must be at least 1, got 0\nv2v: error: \(path):3: machine 'a': bad input kind 'vmdk'; use one of: vmx, ova, xen, libvirtxml, physical\n")
    #expect(!FileManager.default.fileExists(atPath: box.root + "/bad.state.sqlite"))
  }

  @Test("emit kubernetes: Indexed Jobs per wave, the ConfigMap, a Containerfile; the manifests validate")
  func emitKubernetes() throws {
    let box = try BatchSandbox()
    let plan = try box.plan(
      box.planText(
        concurrency: 2,
        machines: [
          ("web01", box.source("web01"), ""), ("web02", box.source("web02"), ""), ("db01", box.source("db01"), "wave: 2"),
        ]), file: "Fleet_A.yaml")
    let dir = box.root + "/k8s"
    let r = try v2v(["batch", "emit", "kubernetes", plan.path, "-o", dir, "--memory", "3Gi"])
    #expect(r.status == 0, "\(r.stderr)")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    #expect(files == ["Containerfile", "configmap.yaml", "job-wave-1.yaml", "job-wave-2.yaml"])
    let job = try String(contentsOfFile: dir + "/job-wave-1.yaml", encoding: .utf8)
    #expect(job.contains("completionMode: Indexed"))
    #expect(job.contains("completions: 2"))
    #expect(job.contains("parallelism: 2"))
    #expect(job.contains("--wave 1 --index \"$JOB_COMPLETION_INDEX\""))
    #expect(job.contains("memory: 3Gi"))
    #expect(job.contains("name: v2v-fleet-a-wave-1"))
    #expect(job.contains("mountPath: \(box.out)"))
    #expect(try String(contentsOfFile: dir + "/job-wave-2.yaml", encoding: .utf8).contains("completions: 1"))
    // The ConfigMap carries the plan text unchanged.
    let cm = try String(contentsOfFile: dir + "/configmap.yaml", encoding: .utf8)
    let planInMap = try BatchPlan.parse(try #require(KubernetesEmitter.planText(configMap: cm)), path: "x.yaml")
    #expect(planInMap.machines.map(\.name) == ["web01", "web02", "db01"])
    #expect(try String(contentsOfFile: dir + "/Containerfile", encoding: .utf8).contains("libguestfs-tools"))

    guard let validator = ProcessRunner.which("kubernetes-validate") else {
      // In CI (scripts/setup-host.sh installs it) a missing validator is a failure, never a skip.
      #expect(ProcessInfo.processInfo.environment["CI"] != "true", "kubernetes-validate is missing in CI: run scripts/setup-host.sh")
      // Elsewhere skipped, loudly.
      FileHandle.standardError.write(Data("SKIPPED: kubernetes-validate is missing (pip install kubernetes-validate): the emitted manifests were NOT validated\n".utf8))
      return
    }
    let v = try ProcessRunner.run(
      [validator, "--strict", dir + "/configmap.yaml", dir + "/job-wave-1.yaml", dir + "/job-wave-2.yaml"], timeout: 120)
    #expect(v.status == 0, "\(v.stdout)\(v.stderr)")
    // And the validator is not a rubber stamp: a broken Job fails it.
    let broken = job.replacingOccurrences(of: "completionMode: Indexed", with: "completionMode: Indexed\n  completionz: 2")
    try broken.write(toFile: dir + "/broken.yaml", atomically: true, encoding: .utf8)
    let b = try ProcessRunner.run([validator, "--strict", dir + "/broken.yaml"], timeout: 120)
    #expect(b.status != 0)
  }
}

