import Foundation
internal import Subprocess

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The async half of ``ProcessRunner``: one swift-subprocess `run` per child, whose body reports the child,
/// reads its output, and supervises it (time limit, stop and signal requests) until it exits. The body
/// returns only once the child has exited; swift-subprocess then reaps it.
enum Engine {
  struct Outcome: Sendable {
    /// Exit status, or the signal number that ended it.
    var status: Int32
    var timedOut: Bool
  }

  /// Seconds between SIGTERM and SIGKILL when a time limit runs out.
  static let timeoutGrace = 2.0

  /// Starts `spec`, runs it to its end, and returns how it ended. `onChunk` receives the bytes of every
  /// `.capture`d stream as they arrive (on a pool thread).
  static func launch(
    _ spec: Launch, control: Control, onChunk: @escaping @Sendable ([UInt8], _ isStderr: Bool) -> Void
  ) async throws -> Outcome {
    var options = PlatformOptions()
    options.processGroupID = 0  // setpgid(0, 0): the child leads a new group, pgid == its pid
    var environment = Environment.inherit
    if let extra = spec.environment {
      var updates: [Environment.Key: String?] = [:]
      for (k, v) in extra { updates[Environment.Key(stringLiteral: k)] = v }
      environment = .inherit.updating(updates)
    }
    let config = Configuration(
      executable: .path(.init(spec.executable)), arguments: Arguments(Array(spec.argv.dropFirst())),
      environment: environment, workingDirectory: spec.workingDirectory.map { .init($0) },
      platformOptions: options)
    let job = Job(spec: spec, control: control, onChunk: onChunk)
    switch spec.input {
    case .none: return try await job.withStdout(config, NoInput.none)
    // Not `DataInput`: when the child exits without reading it all, swift-subprocess 1.0.2's own writer task
    // fails with EPIPE and `run` then traps ("FileDescriptor … was not closed", seen in the stdin test). The
    // body writes through `.inputWriter` instead, ignores that error, and always closes the pipe.
    case .data: return try await job.withStdout(config, CustomWriteInput.inputWriter)
    case .fileDescriptor(let fd):
      return try await job.withStdout(config, FileDescriptorInput.fileDescriptor(.init(rawValue: fd), closeAfterSpawningProcess: false))
    }
  }

  /// Whether `pid` (our unreaped child) has exited. `WNOWAIT` leaves it a zombie: swift-subprocess reaps it
  /// after the body returns, so until then its pid, and its process group id, cannot be reused.
  static func hasExited(_ pid: pid_t) -> Bool {
    var info = siginfo_t()
    if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 { return errno != EINTR }
    return info.si_signo == SIGCHLD
  }
}

/// One launch: picks the swift-subprocess input/output types for its redirections, then runs the body.
private struct Job: Sendable {
  var spec: Launch
  var control: Control
  var onChunk: @Sendable ([UInt8], Bool) -> Void

  func withStdout<I: InputProtocol>(_ config: Configuration, _ input: I) async throws -> Engine.Outcome {
    if case .capture = spec.stdout { return try await withStderr(config, input, SequenceOutput.sequence) }
    let fd = try descriptor(for: spec.stdout)
    return try await withStderr(
      config, input, FileDescriptorOutput.fileDescriptor(.init(rawValue: fd.descriptor), closeAfterSpawningProcess: fd.owned))
  }

  func withStderr<I: InputProtocol, O: OutputProtocol>(_ config: Configuration, _ input: I, _ output: O) async throws
    -> Engine.Outcome
  {
    if case .capture = spec.stderr { return try await execute(config, input, output, SequenceOutput.sequence) }
    let fd = try descriptor(for: spec.stderr)
    return try await execute(
      config, input, output, FileDescriptorOutput.fileDescriptor(.init(rawValue: fd.descriptor), closeAfterSpawningProcess: fd.owned))
  }

  /// A descriptor for a non-captured stream; `owned` ones are ours to close (swift-subprocess closes them
  /// once the child is spawned).
  private func descriptor(for output: ProcessRunner.Output) throws -> (descriptor: Int32, owned: Bool) {
    let path: String
    var flags = O_WRONLY | O_CLOEXEC
    switch output {
    case .fileDescriptor(let fd): return (fd, false)
    case .capture, .discard: path = "/dev/null"
    case .file(let p):
      path = p
      flags |= O_CREAT | O_TRUNC | O_APPEND
    }
    let fd = open(path, flags, 0o644)
    guard fd >= 0 else {
      throw ProcessRunner.Failure.cannotStart(spec.argv[0], "cannot open \(path): \(String(cString: strerror(errno)))")
    }
    return (fd, true)
  }

  func execute<I: InputProtocol, O: OutputProtocol, E: ErrorOutputProtocol>(
    _ config: Configuration, _ input: I, _ output: O, _ error: E
  ) async throws -> Engine.Outcome {
    let deadline = spec.timeout.map { ContinuousClock.now + .milliseconds(Int64(max(0, $0) * 1000)) }
    let result: ExecutionResult<Bool, O, E>
    do {
      result = try await Subprocess.run(config, input: input, output: output, error: error) { execution in
        let pid = execution.processIdentifier.value
        spec.observer?.started(pid: pid)
        control.launched(pid: pid)
        // Readers end when the streams reach end of file, or when swift-subprocess cancels their I/O because
        // the child exited (a grandchild may still hold the pipes open).
        async let fed: Void = feed(execution)
        async let drained: Void = drain(execution)
        let timedOut = await supervise(execution, deadline: deadline)
        await fed
        await drained
        spec.observer?.ended(pid: pid)
        return timedOut
      }
    } catch let e as ProcessRunner.Failure {
      throw e
    } catch {
      throw ProcessRunner.Failure.cannotStart(spec.argv[0], "\(error)")
    }
    let status: Int32
    switch result.terminationStatus {
    case .exited(let code): status = code
    case .signaled(let sig): status = sig
    }
    return Engine.Outcome(status: status, timedOut: result.closureResult)
  }

  /// Writes ``ProcessRunner/Input/data(_:)`` to the child's stdin, then closes it. A child that exits (or
  /// closes its stdin) without reading everything makes the write fail; that is its business, not an error.
  private func feed<I, O, E>(_ execution: Execution<I, O, E>) async {
    guard case .data(let data) = spec.input, let e = execution as? Execution<CustomWriteInput, O, E> else { return }
    let writer = e.standardInputWriter
    _ = try? await writer.write(Array(data))
    try? await writer.finish()
  }

  /// Hands the captured streams' bytes to `onChunk`, each stream in order, until both end.
  private func drain<I, O, E>(_ execution: Execution<I, O, E>) async {
    let onChunk = self.onChunk
    await withTaskGroup(of: Void.self) { group in
      if let e = execution as? Execution<I, SequenceOutput, E> {
        group.addTask { await Self.pump(e.standardOutput, isStderr: false, onChunk) }
      }
      if let e = execution as? Execution<I, O, SequenceOutput> {
        group.addTask { await Self.pump(e.standardError, isStderr: true, onChunk) }
      }
    }
  }

  private static func pump(
    _ sequence: SubprocessOutputSequence, isStderr: Bool, _ onChunk: @Sendable ([UInt8], Bool) -> Void
  ) async {
    do {
      for try await buffer in sequence {
        let bytes = buffer.withUnsafeBytes { Array($0) }
        if !bytes.isEmpty { onChunk(bytes, isStderr) }
      }
    } catch {
      // A read error ends this stream; the exit status still tells how the child ended.
    }
  }

  /// Waits for the child to exit, meanwhile carrying out the time limit and the caller's requests.
  /// Returns whether the time limit stopped it. Polls (1 ms, doubling to 50 ms): swift-subprocess offers no
  /// "has exited" event inside the body, and a non-reaping `waitid` is cheap.
  private func supervise<I, O, E>(_ execution: Execution<I, O, E>, deadline: ContinuousClock.Instant?) async -> Bool {
    let pid = execution.processIdentifier.value
    var nap = 1
    while true {
      if Engine.hasExited(pid) { return false }
      for request in control.takeRequests() {
        switch request {
        case .signal(let sig): try? execution.send(signal: Signal(rawValue: sig))
        case .stop(let grace):
          await stop(execution, grace: grace)
          return false
        }
      }
      if let deadline, ContinuousClock.now >= deadline {
        await stop(execution, grace: Engine.timeoutGrace)
        return true
      }
      try? await Task.sleep(for: .milliseconds(nap))
      nap = min(nap * 2, 50)
    }
  }

  /// SIGTERM to the child's group (and the child, should it have left it); after `grace` seconds, SIGKILL to
  /// the group whether or not the child is gone (descendants may outlive it or ignore SIGTERM); then waits
  /// for the child's exit. The child is not reaped yet, so its pid still names our group.
  private func stop<I, O, E>(_ execution: Execution<I, O, E>, grace: Double) async {
    let pid = execution.processIdentifier.value
    try? execution.send(signal: .terminate, toProcessGroup: true)
    try? execution.send(signal: .terminate)
    let end = ContinuousClock.now + .milliseconds(Int64(max(0, grace) * 1000))
    while !Engine.hasExited(pid) && ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(20)) }
    try? execution.send(signal: .kill, toProcessGroup: true)
    if !Engine.hasExited(pid) { try? execution.send(signal: .kill) }
    while !Engine.hasExited(pid) { try? await Task.sleep(for: .milliseconds(10)) }
  }
}
