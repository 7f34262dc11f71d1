import Foundation
import Testing
import V2VTestSupport
import V2VProcess

/// The one process runner: capture, stdin, time limits that kill whole process groups, streaming, the
/// long-running `start` handle, and the observer hook a job's scope uses to track children.
///
/// Every runner call here goes through `ProcessRunner.offPool` (or runs under the `.offPool` trait): Swift
/// Testing runs tests on the cooperative pool, and runner calls blocking its threads deadlock (see
/// `ProcessRunner`'s doc comment).
@Suite("ProcessRunner", .offPool)
struct ProcessRunnerTests {
  @Test("exit status, stdout and stderr are captured")
  func capture() async throws {
    let (r, ok) = try await ProcessRunner.offPool {
      (try ProcessRunner.run(["sh", "-c", "echo out; echo err >&2; printf 'no newline'; exit 3"]), try ProcessRunner.run(["true"]))
    }
    #expect(r.status == 3)
    #expect(r.stdout == "out\nno newline")
    #expect(r.stderr == "err\n")
    #expect(!r.timedOut)
    #expect(!r.succeeded)
    #expect(ok.succeeded)
  }

  @Test("environment is added to v2v's own; the working directory is honoured")
  func environmentAndDirectory() async throws {
    let (env, pwd) = try await ProcessRunner.offPool {
      (
        try ProcessRunner.run(["sh", "-c", "echo \"$V2V_TEST_VAR:$HOME\""], environment: ["V2V_TEST_VAR": "set"]),
        try ProcessRunner.run(["pwd"], workingDirectory: "/tmp", input: .none)
      )
    }
    #expect(env.stdout == "set:\(ProcessInfo.processInfo.environment["HOME"] ?? "")\n")
    #expect(pwd.stdout == "/tmp\n")
  }

  @Test("stdin is fed to the child, then end of file")
  func stdin() async throws {
    let big = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
    let (small, counted, unread) = try await ProcessRunner.offPool {
      (
        try ProcessRunner.run(["cat"], stdin: Data("hello\nworld".utf8)),
        // More than a pipe holds, to a reader…
        try ProcessRunner.run(["wc", "-c"], stdin: big),
        // …and to a child that never reads it: neither side hangs, v2v is not killed by SIGPIPE.
        try ProcessRunner.run(["true"], timeout: 10, stdin: big)
      )
    }
    #expect(small.succeeded)
    #expect(small.stdout == "hello\nworld")
    #expect(counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1048576")
    #expect(unread.succeeded)
  }

  @Test("a time limit kills the child and says so")
  func timeout() async throws {
    let start = Date()
    let r = try await ProcessRunner.offPool { try ProcessRunner.run(["sleep", "30"], timeout: 0.5) }
    let took = Date().timeIntervalSince(start)
    #expect(r.timedOut)
    #expect(!r.succeeded)
    #expect(r.status == SIGTERM)
    #expect(took >= 0.5 && took < 3, "took \(took) s")
  }

  @Test("a missing program is notFound, before anything starts")
  func notFound() async throws {
    #expect(ProcessRunner.which("v2v-no-such-program") == nil)
    #expect(ProcessRunner.which("sh") != nil)
    // Thrown before any Task or child exists, so calling on the pool is harmless here.
    do {
      _ = try ProcessRunner.run(["v2v-no-such-program", "--version"])
      Issue.record("expected notFound")
    } catch ProcessRunner.Failure.notFound(let name) {
      #expect(name == "v2v-no-such-program")
      #expect("\(ProcessRunner.Failure.notFound(name))" == "v2v-no-such-program: not found on PATH")
    }
    #expect(throws: ProcessRunner.Failure.self) { try ProcessRunner.stream(["v2v-no-such-program"]) { _, _ in } }
    #expect(throws: ProcessRunner.Failure.self) { try ProcessRunner.start(["v2v-no-such-program"]) }
  }

  @Test("stream delivers each chunk as it comes, in order, on the calling thread")
  func stream() async throws {
    struct Chunk: Sendable { var text: String; var isStderr: Bool; var onCaller: Bool; var at: Double }
    let (status, chunks) = try await ProcessRunner.offPool {
      var chunks: [Chunk] = []
      let caller = Thread.current
      let start = Date()
      let status = try ProcessRunner.stream(["sh", "-c", "echo a; sleep 0.4; echo b >&2; sleep 0.4; echo c; exit 4"]) {
        text, isStderr in
        chunks.append(Chunk(text: text, isStderr: isStderr, onCaller: Thread.current == caller, at: Date().timeIntervalSince(start)))
      }
      return (status, chunks)
    }
    #expect(status == 4)
    #expect(chunks.map(\.text) == ["a\n", "b\n", "c\n"])
    #expect(chunks.map(\.isStderr) == [false, true, false])
    #expect(chunks.allSatisfy { $0.onCaller })
    // As they come: "a" well before "c" (0.8 s of sleeps apart), not all at once at the end. Relative, so a
    // loaded machine that starts the child late does not fail it.
    #expect((chunks.last?.at ?? 0) - (chunks.first?.at ?? 0) > 0.5, "\(chunks.map(\.at))")
  }

  /// `sh` starts a grandchild and waits. In the second case the grandchild ignores SIGTERM and outlives `sh`
  /// (which dies of the SIGTERM), so only the SIGKILL to the whole group, 2 s later, can stop it.
  @Test(
    "a time limit kills the child's descendants too (its whole process group)",
    arguments: ["sleep 60 & echo $!; wait", #"(trap "" TERM; exec sleep 60) & echo $!; wait"#])
  func timeoutKillsGrandchildren(_ script: String) async throws {
    let start = Date()
    let r = try await ProcessRunner.offPool { try ProcessRunner.run(["sh", "-c", script], timeout: 0.5) }
    #expect(r.timedOut)
    #expect(Date().timeIntervalSince(start) < 4)
    let grandchild = try #require(pid_t(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    #expect(Self.isGone(grandchild), "grandchild \(grandchild) still alive")
  }

  @Test("children lead their own process group")
  func processGroup() async throws {
    // Field 5 of /proc/PID/stat is the process group; $$ is the shell's own pid.
    let r = try await ProcessRunner.offPool { try ProcessRunner.run(["sh", "-c", #"echo $$; cut -d" " -f5 /proc/$$/stat"#]) }
    let lines = r.stdout.split(separator: "\n")
    #expect(lines.count == 2 && lines[0] == lines[1], "\(r.stdout)")
    #expect(lines.first.map(String.init) != String(getpgrp()))
  }

  @Test("the observer bound on the calling thread sees every child start and end")
  func observer() async throws {
    let seen = RecordingObserver()
    let (pids, whileRunning, unbound) = try await ProcessRunner.offPool {
      // As a job binds its scope: synchronously, on the job's own thread.
      let (ran, streamed, started, whileRunning) = try ProcessTracking.$observer.withValue(seen) {
        let ran = try ProcessRunner.run(["sh", "-c", "echo $$"]).stdout
        var streamed = ""
        _ = try ProcessRunner.stream(["sh", "-c", "echo $$"]) { text, _ in streamed += text }
        let p = try ProcessRunner.start(["sleep", "30"])
        let whileRunning = seen.running
        p.terminate()
        return (ran, streamed, p.pid, whileRunning)
      }
      let pids = [ran, streamed].compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } + [started]
      // Not bound: nothing reported.
      _ = try ProcessRunner.run(["true"])
      return (pids, whileRunning, seen.events.count)
    }
    #expect(pids.count == 3)
    #expect(whileRunning == [pids[2]])
    #expect(seen.events == pids.flatMap { ["started \($0)", "ended \($0)"] })
    #expect(seen.running.isEmpty)
    #expect(unbound == 6)
  }

  @Test("start: output to files, polled exit status")
  func startToFiles() async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("v2v-runner-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let out = dir + "/out", err = dir + "/err"
    try Data("old contents, longer than the new\n".utf8).write(to: URL(fileURLWithPath: out))
    let (exited, running, status) = try await ProcessRunner.offPool {
      let p = try ProcessRunner.start(["sh", "-c", "echo hi; echo oops >&2; exit 7"], stdout: out, stderr: err)
      return (p.waitUntilExit(timeout: 10), p.isRunning, p.terminationStatus)
    }
    #expect(exited)
    #expect(!running)
    #expect(status == 7)
    #expect(try String(contentsOfFile: out, encoding: .utf8) == "hi\n")
    #expect(try String(contentsOfFile: err, encoding: .utf8) == "oops\n")
  }

  @Test("start: terminate stops a long-running child and its group, and reaps it")
  func startTerminate() async throws {
    struct Seen: Sendable { var pid: Int32; var running: Bool; var status: Int32?; var exitedEarly: Bool; var took: Double }
    let (before, after) = try await ProcessRunner.offPool {
      let p = try ProcessRunner.start(["sh", "-c", "sleep 60 & wait"])
      let before = Seen(pid: p.pid, running: p.isRunning, status: p.terminationStatus, exitedEarly: p.waitUntilExit(timeout: 0.2), took: 0)
      let start = Date()
      p.terminate(grace: 2)
      let after = Seen(pid: p.pid, running: p.isRunning, status: p.terminationStatus, exitedEarly: false, took: Date().timeIntervalSince(start))
      p.terminate()  // already gone: no-op
      return (before, after)
    }
    #expect(before.running && before.status == nil && !before.exitedEarly)
    #expect(after.took < 1.5, "SIGTERM should have been enough")
    #expect(!after.running)
    #expect(after.status == SIGTERM)
    #expect(Self.isGone(after.pid))
  }

  @Test("start: send(signal:) reaches the child alone")
  func startSignal() async throws {
    // The shell traps TERM and exits 42: the signal reached it (its sleeps are left to end on their own).
    let status = try await ProcessRunner.offPool {
      let p = try ProcessRunner.start(["sh", "-c", "trap 'exit 42' TERM; while :; do sleep 0.1; done"])
      Thread.sleep(forTimeInterval: 0.3)
      p.send(signal: SIGTERM)
      p.waitUntilExit(timeout: 5)
      defer { p.terminate() }
      return p.terminationStatus
    }
    #expect(status == 42)
  }

  @Test("many callers at once, more than the machine has cores, off the pool: no deadlock")
  func concurrentCallers() async throws {
    let start = Date()
    try await withThrowingTaskGroup(of: Bool.self) { group in
      for _ in 0..<(2 * ProcessInfo.processInfo.activeProcessorCount + 2) {
        group.addTask { try await ProcessRunner.offPool { try ProcessRunner.run(["sleep", "0.5"], timeout: 30).succeeded } }
      }
      for try await ok in group { #expect(ok) }
    }
    #expect(Date().timeIntervalSince(start) < 10)
  }

  /// Synchronous tests calling the runner directly, several at once, as most suites do: safe with `.offPool`.
  @Suite("ProcessRunner: synchronous callers", .offPool)
  struct SynchronousCallers {
    @Test("a synchronous test may block in the runner", arguments: 0..<6)
    func blockingCall(_ i: Int) throws {
      #expect(try ProcessRunner.run(["sh", "-c", "sleep 0.3; echo \(i)"]).stdout == "\(i)\n")
    }
  }

  /// Whether `pid` no longer exists (or is only a zombie waiting for init), polling up to 3 s.
  static func isGone(_ pid: pid_t) -> Bool {
    let deadline = Date().addingTimeInterval(3)
    repeat {
      if kill(pid, 0) != 0 && errno == ESRCH { return true }
      let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
      if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
      usleep(20_000)
    } while Date() < deadline
    return false
  }
}

/// Records what a job's scope would be told.
final class RecordingObserver: ProcessObserver, @unchecked Sendable {
  private let lock = NSLock()
  private var log: [String] = []
  private var live: Set<Int32> = []
  func started(pid: Int32) {
    lock.withLock {
      log.append("started \(pid)")
      live.insert(pid)
    }
  }
  func ended(pid: Int32) {
    lock.withLock {
      log.append("ended \(pid)")
      live.remove(pid)
    }
  }
  var events: [String] { lock.withLock { log } }
  var running: Set<Int32> { lock.withLock { live } }
}
