import Foundation
import Testing
@testable import V2VBatch
import V2VProcess
import V2VTestSupport

/// The pod command of the emitted Indexed Jobs, run as Kubernetes would run it: every completion index in
/// turn, the container's own `/bin/sh -c` script, against one shared folder standing for the state claim.
@Suite("UnitTests.Batch Kubernetes pod command", .offPool)
struct BatchPodTests {
  @Test("every index of every wave's Job, run in turn against one shared folder: one result record each, merged by report")
  func podCommandLocally() throws {
    let box = try BatchSandbox()
    let text = box.planText(
      retries: 1,
      machines: [
        ("p0", box.source("p0"), "wave: 1"), ("p1", box.source("p1", "codes=5"), "wave: 1"),
        ("p2", box.source("p2", "codes=1,0"), "wave: 1"), ("p3", box.source("p3"), "wave: 2"),
      ])
    let plan = try box.plan(text, file: "fleet.yaml")
    let emitter = KubernetesEmitter(plan: plan, planText: text)

    // Stand-ins for the pod's mounts: the ConfigMap at CONFIG/, the state claim at SHARED/; and a `v2v` on
    // PATH that is the real binary with the fake converter.
    let config = box.root + "/config", shared = box.root + "/shared", bin = box.root + "/bin"
    for d in [config, shared, bin] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
    let cm = try #require(try emitter.files().first { $0.name == "configmap.yaml" }?.content)
    try #require(KubernetesEmitter.planText(configMap: cm)).write(toFile: config + "/plan.yaml", atomically: true, encoding: .utf8)
    try "#!/bin/sh\nexec '\(RepoPaths.v2vBinary)' \"$@\" --converter '\(box.converter)'\n".write(toFile: bin + "/v2v", atomically: true, encoding: .utf8)
    chmod(bin + "/v2v", 0o755)

    var codes: [Int: [Int32]] = [:]
    for wave in plan.waves {
      let job = emitter.job(wave: wave)
      let spec = try #require(job["spec"] as? [String: Any])
      let completions = try #require(spec["completions"] as? Int)
      let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
      let container = try #require((pod["containers"] as? [[String: Any]])?.first)
      let command = try #require(container["command"] as? [String]), args = try #require(container["args"] as? [String])
      #expect(command == ["/bin/sh", "-c"])
      let script = try #require(args.first).replacingOccurrences(of: "/config/", with: config + "/").replacingOccurrences(of: "/batch/", with: shared + "/")
      // The exit codes the pod can end with are those podFailurePolicy knows.
      for i in 0..<completions {
        let r = try ProcessRunner.run(
          ["/bin/sh", "-c", script], timeout: 60,
          environment: ["JOB_COMPLETION_INDEX": String(i), "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
        codes[wave, default: []].append(r.status)
      }
    }
    #expect(codes == [1: [0, 5, 0], 2: [0]])
    let records = try FileManager.default.contentsOfDirectory(atPath: shared + "/fleet.results").sorted()
    #expect(records == ["p0.json", "p1.json", "p2.json", "p3.json"])
    #expect(!FileManager.default.fileExists(atPath: shared + "/fleet.state.sqlite"), "pods never open the shared SQLite database")

    let report = try ProcessRunner.run([RepoPaths.v2vBinary, "batch", "report", shared + "/fleet.yaml", "--json"], timeout: 60)
    #expect(report.status == 0, "\(report.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
    let machines = try #require(object["machines"] as? [[String: Any]])
    #expect(machines.map { $0["status"] as? String } == ["succeeded", "failed", "succeeded", "succeeded"])
    #expect(machines.map { $0["attempts"] as? Int } == [1, 1, 2, 1])
    #expect((machines[1]["error"] as? [String: Any])?["class"] as? Int == 5)

    // A pod started again on a finished index (a lost node) does nothing and exits as before.
    let job1 = emitter.job(wave: 1)
    let args = ((((job1["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?
      .first?["args"] as? [String]
    let script = try #require(args?.first).replacingOccurrences(of: "/config/", with: config + "/").replacingOccurrences(of: "/batch/", with: shared + "/")
    for (i, expected) in [(0, Int32(0)), (1, Int32(5))] {
      let again = try ProcessRunner.run(
        ["/bin/sh", "-c", script], timeout: 60,
        environment: ["JOB_COMPLETION_INDEX": String(i), "PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")])
      #expect(again.status == expected, "\(again.stderr)")
      #expect(again.stdout.contains("1 already done (skipped)"), "\(again.stdout)")
    }
    #expect(FakeConverter.attempts("p0", outputDir: box.out) == 1)
    #expect(FakeConverter.attempts("p1", outputDir: box.out) == 1)
  }

  @Test("pod memory: from the measured conversion peak by default, the boot test's guest for a wave that verifies boots, --memory wins")
  func podMemory() throws {
    let box = try BatchSandbox()
    let text = box.planText(machines: [("a", box.source("a"), "wave: 1"), ("b", box.source("b"), "wave: 2\noptions: {verifyBoot: true}")])
    let plan = try box.plan(text)
    #expect(KubernetesEmitter.Sizing.measuredConversionPeakMiB > 512, "a measured number, not a placeholder")
    let plain = KubernetesEmitter.Sizing.request(verifyBoot: false), boot = KubernetesEmitter.Sizing.request(verifyBoot: true)
    #expect(plain >= KubernetesEmitter.Sizing.measuredConversionPeakMiB * 5 / 4 && plain % 256 == 0)
    #expect(boot >= plain && boot >= KubernetesEmitter.Sizing.bootTestPeakMiB)
    func resources(_ e: KubernetesEmitter, _ wave: Int) -> [String: [String: String]] {
      let spec = (e.job(wave: wave)["spec"] as? [String: Any])?["template"] as? [String: Any]
      let c = ((spec?["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first
      return (c?["resources"] as? [String: Any] ?? [:]).mapValues { ($0 as? [String: Any] ?? [:]).compactMapValues { $0 as? String } }
    }
    let e = KubernetesEmitter(plan: plan, planText: text)
    #expect(resources(e, 1)["requests"]?["memory"] == KubernetesEmitter.Sizing.quantity(plain))
    #expect(resources(e, 1)["limits"]?["memory"] == KubernetesEmitter.Sizing.quantity(2 * plain))
    #expect(resources(e, 2)["requests"]?["memory"] == KubernetesEmitter.Sizing.quantity(boot))
    var s = KubernetesEmitter.Settings()
    s.memoryRequest = "3Gi"
    s.memoryLimit = "5Gi"
    let given = KubernetesEmitter(plan: plan, planText: text, settings: s)
    #expect(resources(given, 2)["requests"]?["memory"] == "3Gi")
    #expect(resources(given, 2)["limits"]?["memory"] == "5Gi")
    #expect(KubernetesEmitter.Sizing.quantity(2048) == "2Gi" && KubernetesEmitter.Sizing.quantity(1792) == "1792Mi")
  }

  @Test("wave estimate: pending, running and transiently failed machines remain; succeeded and deterministic failures do not")
  func waveEstimate() throws {
    let box = try BatchSandbox()
    let plan = try box.plan(
      box.planText(machines: ["ok", "todo", "flaky", "noos"].map { ($0, box.source($0), "") }))
    var recs = plan.machines.map { MachineRecord(pending: $0) }
    recs[0].status = .succeeded
    recs[0].history = [AttemptRecord(number: 1, startedAt: 1000, endedAt: 1100, slotFrom: 1000, slotUntil: 1050)]
    recs[2].status = .failed
    recs[2].errorClass = 1
    recs[3].status = .failed
    recs[3].errorClass = 5
    let report = BatchReport(plan: plan, records: recs, now: 2000)
    let w = try #require(report.waveEstimates.first)
    #expect(w.remaining == 2)
    #expect(w.failed == 1)
    #expect(w.estimatedSeconds == 200, "2 machines at 1 per 100 s")
    #expect(report.summary.contains("wave 1: 2 of 4 to go, about 3m20s; 1 failed for good"), "\(report.summary)")
  }
}
