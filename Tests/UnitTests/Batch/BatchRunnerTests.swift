import Foundation
import Testing
import V2VBatch
import V2VProcess
import V2VTestSupport

/// The scheduler with a fake converter (BatchFakes.swift): limits, retries, failures, resume, `--index`.
@Suite("UnitTests.Batch runner with a fake converter", .offPool)
struct BatchRunnerTests {
  @Test("concurrency and perSourceHost hold: the state's timestamps never show more at once")
  func concurrencyLimits() throws {
    let box = try BatchSandbox()
    let machines = [("a1", "ds1"), ("a2", "ds1"), ("a3", "ds1"), ("b1", "ds2"), ("b2", "ds2"), ("c1", "ds3")].map {
      ($0.0, box.source($0.0, host: $0.1, "read=0.5", "after=0.3"), "sourceHost: \($0.1)")
    }
    let plan = try box.plan(box.planText(concurrency: 2, perSourceHost: 1, machines: machines))
    let (runner, _) = box.runner(plan)
    let summary = try runner.run()
    #expect(summary.exitCode == 0)
    let records = try StateStore(path: plan.statePath).all()
    #expect(records.allSatisfy { $0.status == .succeeded && $0.attempts == 1 })
    let whole = records.flatMap(\.history).map { ($0.startedAt, $0.endedAt!) }
    #expect(maxOverlap(whole) == 2, "overall: at most 2 at once, and 2 did run together")
    for host in ["ds1", "ds2"] {
      let slots = records.filter { $0.sourceHost == host }.flatMap(\.history).map { ($0.slotFrom, $0.slotUntil!) }
      #expect(maxOverlap(slots) == 1, "\(host): one reading at a time")
    }
    // Phases from the child's stages; outputs and bytes from its result.
    let a1 = records.first { $0.name == "a1" }!
    #expect(a1.phases.map(\.name) == ["Reading the source (vmx)", "Copying disk 1/1 (1.0 MiB, raw)", "Writing metadata"])
    #expect(a1.outputBytes == 131072)
    #expect(a1.outputs == [box.out + "/a1-sda", box.out + "/a1.xml"])
    // Two at once: each child's appliance gets one vCPU (measured faster on 2 cores; docs/batch.md).
    let trace = try String(contentsOfFile: box.out + "/.fake-a1.trace", encoding: .utf8)
    #expect(trace.contains("smp=1"), "\(trace)")
  }

  @Test("the source-host slot is held only while the disks are read: given back at `Writing metadata`")
  func slotReleasedAfterCopy() throws {
    let box = try BatchSandbox()
    let machines = ["a1", "a2"].map { ($0, box.source($0, host: "ds1", "read=0.4", "after=0.8"), "sourceHost: ds1") }
    let plan = try box.plan(box.planText(concurrency: 2, perSourceHost: 1, machines: machines))
    let (runner, _) = box.runner(plan)
    #expect(try runner.run().exitCode == 0)
    let history = try StateStore(path: plan.statePath).all().flatMap(\.history)
    #expect(maxOverlap(history.map { ($0.slotFrom, $0.slotUntil!) }) == 1)
    // a2 started reading while a1 was still after its copy.
    #expect(maxOverlap(history.map { ($0.startedAt, $0.endedAt!) }) == 2)
  }

  @Test("a deterministic failure is not retried, a transient one is (with backoff); the run goes on and exits non-zero")
  func retriesAndFailures() throws {
    let box = try BatchSandbox()
    let plan = try box.plan(
      box.planText(
        concurrency: 2, retries: 2, retryDelay: 0.2,
        machines: [
          ("good", box.source("good"), ""),
          ("noos", box.source("noos", "codes=5"), ""),
          ("flaky", box.source("flaky", "codes=1,1,0"), ""),
          ("down", box.source("down", "codes=1"), ""),
          ("boot", box.source("boot", "codes=8"), "options: {verifyBoot: true}"),
        ]))
    let (runner, log) = box.runner(plan)
    let summary = try runner.run()
    let by = Dictionary(uniqueKeysWithValues: try StateStore(path: plan.statePath).all().map { ($0.name, $0) })
    #expect(by["good"]?.status == .succeeded)
    #expect(by["noos"]?.status == .failed)
    #expect(by["noos"]?.attempts == 1)
    #expect(by["noos"]?.errorClass == 5)
    #expect(by["noos"]?.errorMessage == "fake failure 5 of noos (attempt 1)")
    #expect(FakeConverter.attempts("noos", outputDir: box.out) == 1)
    #expect(by["flaky"]?.status == .succeeded)
    #expect(by["flaky"]?.attempts == 3)
    #expect(by["flaky"]?.errorClass == nil)
    #expect(by["down"]?.status == .failed)
    #expect(by["down"]?.attempts == 3)  // 1 + retries
    #expect(by["down"]?.errorClass == 1)
    #expect(by["boot"]?.status == .failed)
    #expect(by["boot"]?.attempts == 1)
    #expect(by["boot"]?.bootVerified == false)
    // Backoff: the second retry waits twice as long as the first.
    let h = by["down"]!.history
    let gap1 = h[1].startedAt - h[0].endedAt!
    let gap2 = h[2].startedAt - h[1].endedAt!
    #expect(gap1 >= 0.2 && gap2 >= 0.4, "\(gap1) \(gap2)")
    #expect(summary.exitCode == 1)  // classes 5, 1 and 8: no single class
    #expect(summary.text.hasPrefix("2 succeeded, 3 failed"))
    #expect(summary.text.contains("noos: error class 5 after 1 attempt(s): fake failure 5 of noos (attempt 1)"))
    #expect(log.all.contains { $0.contains("noos: failed (exit 5, not retried)") })

    // A rerun skips what is finished (succeeded, or failed deterministically) and tries the transient
    // failures again (with a fresh retry budget).
    let (again, _) = box.runner(plan)
    let second = try again.run()
    #expect(Set(second.skipped) == ["good", "flaky", "noos", "boot"])
    #expect(FakeConverter.attempts("good", outputDir: box.out) == 1)
    #expect(FakeConverter.attempts("noos", outputDir: box.out) == 1)
    #expect(FakeConverter.attempts("down", outputDir: box.out) == 6)
    #expect(second.exitCode == 1)
    #expect(second.text.contains("noos: error class 5 after 1 attempt(s)"))
    // --retry-failed: the deterministic failures too (their cause may have been fixed).
    var o = again.options
    o.retryFailed = true
    let third = try BatchRunner(plan: plan, options: o).run()
    #expect(Set(third.skipped) == ["good", "flaky"])
    #expect(FakeConverter.attempts("noos", outputDir: box.out) == 2)
    #expect(FakeConverter.attempts("boot", outputDir: box.out) == 2)
  }

  @Test("the run exits with the failed machines' class when they share one")
  func exitClass() throws {
    let box = try BatchSandbox()
    let plan = try box.plan(box.planText(machines: [("x", box.source("x", "codes=6"), ""), ("y", box.source("y"), "")]))
    let (runner, _) = box.runner(plan)
    let summary = try runner.run()
    #expect(summary.exitCode == 6)
    #expect(summary.succeeded.map(\.name) == ["y"])
  }

  @Test("waves run in order, and --wave runs one")
  func waves() throws {
    let box = try BatchSandbox()
    let plan = try box.plan(
      box.planText(
        concurrency: 3,
        machines: [
          ("w2", box.source("w2", host: "h1"), "wave: 2"), ("w1a", box.source("w1a", host: "h2"), "wave: 1"),
          ("w1b", box.source("w1b", host: "h3", "read=0.6"), "wave: 1"),
        ]))
    let (only2, _) = box.runner(plan, wave: 2)
    #expect(try only2.run().records.map(\.name) == ["w2"])
    #expect(FakeConverter.attempts("w1a", outputDir: box.out) == 0)
    try FileManager.default.removeItem(atPath: plan.statePath)
    try FileManager.default.removeItem(atPath: box.out + "/w2.xml")
    try FileManager.default.removeItem(atPath: box.out + "/.fake-w2.count")
    let (all, _) = box.runner(plan)
    _ = try all.run()
    let by = Dictionary(uniqueKeysWithValues: try StateStore(path: plan.statePath).all().map { ($0.name, $0) })
    let wave1End = max(by["w1a"]!.endedAt!, by["w1b"]!.endedAt!)
    #expect(by["w2"]!.startedAt! >= wave1End)
  }

  @Test("a SIGKILLed run resumes: the finished machine is not redone, the interrupted one restarts cleanly")
  func killAndResume() throws {
    let box = try BatchSandbox()
    let plan = try box.plan(
      box.planText(
        concurrency: 1,
        machines: [
          ("first", box.source("first", "read=0.1"), ""), ("second", box.source("second", "read=30"), ""),
          ("third", box.source("third", "read=0.1"), ""),
        ]))
    let batch = try ProcessRunner.start(
      [RepoPaths.v2vBinary, "batch", "run", plan.path, "--converter", box.converter], stdout: box.root + "/run1.out",
      stderr: box.root + "/run1.err")
    // Wait until `second` is copying its disk (its half-written disk exists, no XML yet).
    var inCopy: MachineRecord?
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
      if let store = try? StateStore.openIfPresent(path: plan.statePath), let r = try? store.record("second"),
        r.phase?.hasPrefix("Copying disk") == true
      {
        inCopy = r
        break
      }
      usleep(100_000)
    }
    let runErr = (try? String(contentsOfFile: box.root + "/run1.err", encoding: .utf8)) ?? ""
    let copying = try #require(inCopy, "second never reached its copy: \(runErr)")
    batch.send(signal: SIGKILL)
    #expect(batch.waitUntilExit(timeout: 10))
    #expect(batch.terminationStatus == SIGKILL)
    let orphan = try #require(copying.history.last?.pid)
    #expect(kill(orphan, 0) == 0, "the killed run's child outlives it")
    #expect(FileManager.default.fileExists(atPath: box.out + "/second-sda"))
    #expect(!FileManager.default.fileExists(atPath: box.out + "/second.xml"))

    // Make the rerun's `second` quick: the fake reads its behaviour from the source name, so swap the plan.
    let quick = try box.plan(
      box.planText(
        concurrency: 1,
        machines: [
          ("first", box.source("first", "read=0.1"), ""), ("second", box.source("second", "read=0.1"), ""),
          ("third", box.source("third", "read=0.1"), ""),
        ]))
    let (runner, log) = box.runner(quick)
    let summary = try runner.run()
    #expect(summary.exitCode == 0)
    #expect(summary.skipped == ["first"])
    #expect(FakeConverter.attempts("first", outputDir: box.out) == 1)
    #expect(isGone(orphan), "the orphaned child was stopped")
    #expect(log.all.contains { $0.contains("second: left running by an earlier run") && $0.contains(box.out + "/second-sda") })
    let by = Dictionary(uniqueKeysWithValues: try StateStore(path: plan.statePath).all().map { ($0.name, $0) })
    #expect(by["second"]?.status == .succeeded)
    #expect(by["second"]?.attempts == 2)
    #expect(by["second"]?.history.first?.exitCode == nil, "the killed attempt never reported an exit")
    #expect(by["third"]?.attempts == 1)
    // The restarted output is whole: 128 KiB (the killed attempt's 64 KiB was removed, not appended to).
    let size = try FileManager.default.attributesOfItem(atPath: box.out + "/second-sda")[.size] as? Int
    #expect(size == 131072)
  }

  @Test("SIGTERM to a run stops its children, removes their partial output, puts their machines back to pending")
  func stopOnSignal() throws {
    let box = try BatchSandbox()
    let plan = try box.plan(box.planText(concurrency: 1, machines: [("slow", box.source("slow", "read=30"), ""), ("next", box.source("next"), "")]))
    let (runner, _) = box.runner(plan)
    DispatchQueue.global().asyncAfter(deadline: .now() + 1.5) { runner.stop(signal: SIGTERM) }
    let summary = try runner.run()
    #expect(summary.interrupted)
    #expect(summary.exitCode == 130)
    let by = Dictionary(uniqueKeysWithValues: try StateStore(path: plan.statePath).all().map { ($0.name, $0) })
    #expect(by["slow"]?.status == .pending)
    #expect(by["next"]?.attempts == 0)
    #expect(!FileManager.default.fileExists(atPath: box.out + "/slow-sda"), "its partial disk removed")
  }

  @Test("--index runs each index in turn against one folder; status and report merge the records")
  func indexMode() throws {
    let box = try BatchSandbox()
    let plan = try box.plan(
      box.planText(
        retries: 1,
        machines: [
          ("i0", box.source("i0"), "wave: 1"), ("i1", box.source("i1", "codes=3"), "wave: 1"),
          ("i2", box.source("i2", "codes=1,0"), "wave: 1"), ("local", box.source("local"), "wave: 2"),
        ]))
    // Wave 2 locally (the shared database), wave 1 as pods would: one --index at a time.
    let (local, _) = box.runner(plan, wave: 2)
    #expect(try local.run().exitCode == 0)
    var codes: [Int32] = []
    for i in 0..<3 {
      let (pod, _) = box.runner(plan, wave: 1, index: i)
      codes.append(try pod.run().exitCode)
    }
    #expect(codes == [0, 3, 0])
    let names = try FileManager.default.contentsOfDirectory(atPath: plan.resultsDirectory).sorted()
    #expect(names == ["i0.json", "i1.json", "i2.json"])
    #expect(try StateStore(path: plan.statePath).all().filter { $0.status != .pending }.map(\.name) == ["local"])
    let merged = try MergedState.load(plan)
    #expect(merged.map(\.name) == ["i0", "i1", "i2", "local"])
    #expect(merged.map(\.status) == [.succeeded, .failed, .succeeded, .succeeded])
    #expect(merged[1].errorClass == 3)
    #expect(merged[2].attempts == 2)
    // A pod restarted on a succeeded index does nothing.
    let (again, _) = box.runner(plan, wave: 1, index: 0)
    #expect(try again.run().skipped == ["i0"])
    #expect(FakeConverter.attempts("i0", outputDir: box.out) == 1)
  }
}

/// Whether a process has exited (gone, or a zombie waiting for whoever adopted it).
func isGone(_ pid: Int32) -> Bool {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
    return true
  }
  return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
}
