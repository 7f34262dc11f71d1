import Dispatch
import Foundation

/// Runs host programs (qemu, qemu-img, nbdkit, sh) for the whole package: the one place v2v starts a child.
///
/// Built on swiftlang/swift-subprocess, whose API is `async`; every call here is synchronous, because the
/// code base is (the CLI's main thread and each job's thread call it). Each call hands the work to a
/// `Task` and blocks the calling thread until the `Task` is done.
///
/// - Important: Do not call these functions from code running on Swift's cooperative thread pool: inside an
///   `async` function or a `Task`, or anything they call synchronously — and that includes Swift Testing
///   `@Test` functions, sync ones too, which the test runner calls on the pool. The calling thread blocks,
///   and the `Task` doing the work (and the tasks swift-subprocess starts for every run, some of them
///   unstructured `Task {}`s that always go to the global pool, whatever executor the caller prefers) must
///   be scheduled on that same pool. The pool has one thread per core and, on Linux, does not grow when
///   its threads block: measured on this 2-core machine, two pool threads blocked in a runner call (two
///   parallel tests) deadlock for good; one does not. From `async` code, hop off the pool with
///   ``offPool(_:)`` (a plain thread makes the call, the caller suspends) or use swift-subprocess directly;
///   tests can run on a task executor of their own (UnitTests' `.offPool` suite trait). A call whose work
///   has not started after 10 s says so on stderr, so such a hang is at least named.
///
/// Every child:
/// - is resolved on `PATH` first (``which(_:)``), so a missing program is ``Failure/notFound(_:)``;
/// - starts in its own process group (it is the group's leader, pgid == pid), so stopping it also stops
///   whatever it started (`sh -c 'a | b'`, qemu helpers);
/// - is reported to ``ProcessTracking/observer`` (the running job's scope) while it runs;
/// - is stopped, past its time limit, with SIGTERM to its group, then SIGKILL to the group once it has exited
///   or 2 s later, whichever comes first (descendants may outlive it, or ignore SIGTERM). This is done by
///   our own supervision, not swift-subprocess's `teardownSequence`, whose steps end as soon as the leader
///   exits and which runs only on `Task` cancellation;
/// - is always reaped before the call returns (or, for ``start(_:stdout:stderr:)``, before
///   ``RunningProcess/isRunning`` turns false).
///
/// Feeding a child bytes on stdin (``Input/data(_:)``) sets SIGPIPE to ignored for the whole process the
/// first time (if it still has its default action): a child may exit without reading its input, and
/// writing the rest must then fail with EPIPE instead of killing v2v.
public enum ProcessRunner {
  /// What a finished program left behind.
  public struct Result: Sendable {
    /// Exit status, or the signal number for a killed program (see `timedOut`).
    public var status: Int32
    /// Standard output, decoded as UTF-8 (lossy).
    public var stdout: String
    /// Standard error, decoded as UTF-8 (lossy).
    public var stderr: String
    /// Whether the time limit killed it.
    public var timedOut: Bool
    /// Whether it exited with status 0 on its own.
    public var succeeded: Bool { status == 0 && !timedOut }

    /// Creates a result (tests build fakes with it).
    public init(status: Int32, stdout: String, stderr: String, timedOut: Bool) {
      self.status = status
      self.stdout = stdout
      self.stderr = stderr
      self.timedOut = timedOut
    }
  }

  /// Errors starting a program.
  public enum Failure: Error, CustomStringConvertible {
    /// The program is not on PATH.
    case notFound(String)
    /// The program could not be started (spawn failed, a redirection could not be opened).
    case cannotStart(String, String)
    /// Human-readable text.
    public var description: String {
      switch self {
      case .notFound(let p): return "\(p): not found on PATH"
      case .cannotStart(let p, let why): return "\(p): cannot start: \(why)"
      }
    }
  }

  /// Where a child's standard input comes from.
  public enum Input: Sendable {
    /// `/dev/null`.
    case none
    /// These bytes, then end of file.
    case data(Data)
    /// An open descriptor, read from its current offset; the caller keeps ownership (it is not closed).
    case fileDescriptor(Int32)
  }

  /// Where a child's standard output or standard error goes.
  public enum Output: Sendable {
    /// Collected into ``Result/stdout`` / ``Result/stderr``.
    case capture
    /// `/dev/null`.
    case discard
    /// An open descriptor; the caller keeps ownership (it is not closed).
    case fileDescriptor(Int32)
    /// A file, created or truncated.
    case file(String)
  }

  /// Finds `name` on PATH (or returns it when it already has a slash and is executable).
  public static func which(_ name: String) -> String? {
    if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
    let dirs: [String] = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
    for dir in dirs {
      let p = dir + "/" + name
      if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
  }

  /// Runs `argv` to completion or until `timeout` seconds pass (then SIGTERM to its process group, and
  /// SIGKILL 2 s later); captures stdout and stderr. `environment` is added to (overrides) v2v's own.
  public static func run(
    _ argv: [String], timeout: Double? = nil, environment: [String: String]? = nil, stdin: Data? = nil
  ) throws -> Result {
    try run(argv, timeout: timeout, environment: environment, input: stdin.map { .data($0) } ?? .none)
  }

  /// Runs `argv` with explicit redirections (and working directory); `.capture`d streams land in the
  /// ``Result``, the others are empty there. Time limit and environment as in ``run(_:timeout:environment:stdin:)``.
  public static func run(
    _ argv: [String], timeout: Double? = nil, environment: [String: String]? = nil,
    workingDirectory: String? = nil, input: Input, stdout: Output = .capture, stderr: Output = .capture
  ) throws -> Result {
    let spec = try Launch(
      argv: argv, environment: environment, workingDirectory: workingDirectory, input: input, stdout: stdout,
      stderr: stderr, timeout: timeout, observer: ProcessTracking.observer)
    if case .data = input { _ = ignoreSIGPIPE }
    let collected = Collected()
    let control = Control()
    let outcome = try blockingWait {
      try await Engine.launch(spec, control: control) { bytes, isStderr in collected.append(bytes, isStderr) }
    }
    return Result(
      status: outcome.status, stdout: collected.text(stderr: false), stderr: collected.text(stderr: true),
      timedOut: outcome.timedOut)
  }

  /// Runs `argv` (stdin `/dev/null`), handing its output to `onOutput` as it arrives (`isStderr` tells which
  /// stream; each stream's chunks come in order), and returns the exit status. `onOutput` is called on the
  /// calling thread.
  public static func stream(_ argv: [String], onOutput: (String, _ isStderr: Bool) -> Void) throws -> Int32 {
    let spec = try Launch(
      argv: argv, environment: nil, workingDirectory: nil, input: .none, stdout: .capture, stderr: .capture,
      timeout: nil, observer: ProcessTracking.observer)
    let queue = ChunkQueue()
    let control = Control()
    detached {
      do {
        let outcome = try await Engine.launch(spec, control: control) { bytes, isStderr in queue.push(bytes, isStderr) }
        queue.finish(.success(outcome.status))
      } catch {
        queue.finish(.failure(error))
      }
    }
    while true {
      let (chunks, end) = queue.next()
      for (bytes, isStderr) in chunks { onOutput(String(decoding: bytes, as: UTF8.self), isStderr) }
      if let end { return try end.get() }
    }
  }

  /// Starts `argv` (stdin `/dev/null`; stdout and stderr to these files, created or truncated, or
  /// `/dev/null` when nil) and returns at once; the caller polls and stops it through the handle. For
  /// long-running children such as the test boot's qemu.
  public static func start(_ argv: [String], stdout: String? = nil, stderr: String? = nil) throws -> RunningProcess {
    let spec = try Launch(
      argv: argv, environment: nil, workingDirectory: nil, input: .none,
      stdout: stdout.map { .file($0) } ?? .discard, stderr: stderr.map { .file($0) } ?? .discard,
      timeout: nil, observer: ProcessTracking.observer)
    let control = Control()
    detached {
      do {
        let outcome = try await Engine.launch(spec, control: control) { _, _ in }
        control.finish(.success(outcome.status))
      } catch {
        control.finish(.failure(error))
      }
    }
    let pid = try control.waitForLaunch()
    return RunningProcess(pid: pid, control: control)
  }

  /// Runs `body` (synchronous code that may call the runner) on a new thread, and suspends until it
  /// returns: how `async` code, tests above all, calls into the runner without blocking a pool thread.
  /// Task-local values are not carried over; bind ``ProcessTracking/observer`` inside `body`.
  public static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      let thread = Thread { continuation.resume(with: Swift.Result { try body() }) }
      thread.stackSize = 8 << 20
      thread.start()
    }
  }

  /// Runs `body` in a detached `Task` and blocks this thread until it is done.
  static func blockingWait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let cell = ResultCell<T>()
    detached { do { cell.put(.success(try await body())) } catch { cell.put(.failure(error)) } }
    return try cell.take().get()
  }

  /// Starts `body` in a detached `Task`. If the `Task` has not started 10 s later, Swift's pool is saturated
  /// (when its threads are blocked in runner calls, for good): says so on stderr, once per call.
  static func detached(_ body: @escaping @Sendable () async -> Void) {
    let started = Flag()
    Task.detached {
      started.set()
      await body()
    }
    // A Dispatch queue, not a Task: Dispatch's global queues still run when the Swift pool is exhausted.
    DispatchQueue.global().asyncAfter(deadline: .now() + 10) {
      guard !started.isSet else { return }
      FileHandle.standardError.write(
        Data(
          ("v2v: a ProcessRunner call has not started after 10 s: every thread of Swift's cooperative pool is busy."
            + " If they are blocked in ProcessRunner calls, this is a deadlock: call it off the pool (see ProcessRunner).\n")
            .utf8))
    }
  }

  /// Sets SIGPIPE to ignored once, unless someone already chose a disposition.
  static let ignoreSIGPIPE: Void = {
    var current = sigaction()
    if sigaction(SIGPIPE, nil, &current) == 0 && current.__sigaction_handler.sa_handler == nil {
      signal(SIGPIPE, SIG_IGN)
    }
  }()
}

/// A one-way flag, set from a `Task`, read from Dispatch.
final class Flag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  func set() { lock.withLock { value = true } }
  var isSet: Bool { lock.withLock { value } }
}

/// What to start and how; resolved and validated on the calling thread.
struct Launch: Sendable {
  var executable: String
  var argv: [String]
  var environment: [String: String]?
  var workingDirectory: String?
  var input: ProcessRunner.Input
  var stdout: ProcessRunner.Output
  var stderr: ProcessRunner.Output
  var timeout: Double?
  var observer: (any ProcessObserver)?

  init(
    argv: [String], environment: [String: String]?, workingDirectory: String?, input: ProcessRunner.Input,
    stdout: ProcessRunner.Output, stderr: ProcessRunner.Output, timeout: Double?, observer: (any ProcessObserver)?
  ) throws {
    guard let first = argv.first else { throw ProcessRunner.Failure.cannotStart("", "empty command line") }
    guard let exe = ProcessRunner.which(first) else { throw ProcessRunner.Failure.notFound(first) }
    self.executable = exe
    self.argv = argv
    self.environment = environment
    self.workingDirectory = workingDirectory
    self.input = input
    self.stdout = stdout
    self.stderr = stderr
    self.timeout = timeout
    self.observer = observer
  }
}

/// Output collected by ``ProcessRunner/run(_:timeout:environment:stdin:)``; written by the reader tasks.
final class Collected: @unchecked Sendable {
  private let lock = NSLock()
  private var out: [UInt8] = []
  private var err: [UInt8] = []
  func append(_ bytes: [UInt8], _ isStderr: Bool) {
    lock.withLock { if isStderr { err += bytes } else { out += bytes } }
  }
  func text(stderr: Bool) -> String {
    lock.withLock { String(decoding: stderr ? err : out, as: UTF8.self) }
  }
}

/// Output chunks handed from the reader tasks to the thread that called ``ProcessRunner/stream(_:onOutput:)``.
final class ChunkQueue: @unchecked Sendable {
  private let cond = NSCondition()
  private var chunks: [([UInt8], Bool)] = []
  private var end: Swift.Result<Int32, any Error>?

  func push(_ bytes: [UInt8], _ isStderr: Bool) {
    guard !bytes.isEmpty else { return }
    cond.withLock {
      chunks.append((bytes, isStderr))
      cond.broadcast()
    }
  }

  func finish(_ result: Swift.Result<Int32, any Error>) {
    cond.withLock {
      end = result
      cond.broadcast()
    }
  }

  /// Blocks until there are chunks or the run ended; returns the chunks, and the end once all are taken.
  func next() -> ([([UInt8], Bool)], Swift.Result<Int32, any Error>?) {
    cond.withLock {
      while chunks.isEmpty && end == nil { cond.wait() }
      defer { chunks.removeAll() }
      return (chunks, end)
    }
  }
}

/// One value handed from a `Task` to a blocked thread.
final class ResultCell<T: Sendable>: @unchecked Sendable {
  private let cond = NSCondition()
  private var value: Swift.Result<T, any Error>?
  func put(_ v: Swift.Result<T, any Error>) {
    cond.withLock {
      value = v
      cond.broadcast()
    }
  }
  func take() -> Swift.Result<T, any Error> {
    cond.withLock {
      while value == nil { cond.wait() }
      return value!
    }
  }
}
