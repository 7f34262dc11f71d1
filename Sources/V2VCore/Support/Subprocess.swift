import Foundation

/// Runs host programs (qemu, qemu-img, nbdkit) with a time limit, always reaping the child.
public enum Subprocess {
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
  }

  /// Errors starting a program.
  public enum Failure: Error, CustomStringConvertible {
    /// The program is not on PATH.
    case notFound(String)
    /// `posix_spawn` or Foundation refused to start it.
    case cannotStart(String, String)
    /// Human-readable text.
    public var description: String {
      switch self {
      case .notFound(let p): return "\(p): not found on PATH"
      case .cannotStart(let p, let why): return "\(p): cannot start: \(why)"
      }
    }
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

  /// Runs `argv` to completion or until `timeout` seconds pass (then SIGTERM, and SIGKILL 2 s later).
  public static func run(
    _ argv: [String], timeout: Double? = nil, environment: [String: String]? = nil, stdin: Data? = nil
  ) throws -> Result {
    guard let exe = which(argv[0]) else { throw Failure.notFound(argv[0]) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = Array(argv.dropFirst())
    if let environment {
      p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    let inPipe = Pipe()
    p.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
    let outBox = DataBox(), errBox = DataBox()
    let group = DispatchGroup()
    for (pipe, box) in [(out, outBox), (err, errBox)] {
      group.enter()
      DispatchQueue.global().async {
        box.data = pipe.fileHandleForReading.readDataToEndOfFile()
        group.leave()
      }
    }
    do { try p.run() } catch { throw Failure.cannotStart(argv[0], "\(error)") }
    if let stdin {
      inPipe.fileHandleForWriting.write(stdin)
      try? inPipe.fileHandleForWriting.close()
    }
    let timedOut = !waitForExit(p, timeout: timeout)
    group.wait()
    return Result(
      status: p.terminationStatus, stdout: String(decoding: outBox.data, as: UTF8.self),
      stderr: String(decoding: errBox.data, as: UTF8.self), timedOut: timedOut)
  }

  /// Waits for `p`; past `timeout`, terminates it (SIGTERM, then SIGKILL) and returns false.
  @discardableResult
  public static func waitForExit(_ p: Process, timeout: Double?) -> Bool {
    guard let timeout else {
      p.waitUntilExit()
      return true
    }
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { usleep(50_000) }
    if !p.isRunning {
      p.waitUntilExit()
      return true
    }
    kill(p, grace: 2)
    return false
  }

  /// Stops `p`: SIGTERM, then SIGKILL after `grace` seconds; always reaps it.
  public static func kill(_ p: Process, grace: Double) {
    guard p.isRunning else { return }
    p.terminate()
    let deadline = Date().addingTimeInterval(grace)
    while p.isRunning && Date() < deadline { usleep(50_000) }
    if p.isRunning { Foundation.kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
  }
}

private final class DataBox: @unchecked Sendable {
  // Written by one reader thread before `group.leave()`, read after `group.wait()`.
  var data = Data()
}

extension Subprocess {
  /// Runs `argv`, handing its output to `onOutput` as it arrives (`isStderr` tells which stream), and
  /// returns the exit status. The child is killed if v2v is interrupted (``Cleanup``).
  public static func stream(_ argv: [String], onOutput: (String, _ isStderr: Bool) -> Void) throws -> Int32 {
    guard let exe = which(argv[0]) else { throw Failure.notFound(argv[0]) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = Array(argv.dropFirst())
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    let queue = ChunkQueue()
    out.fileHandleForReading.readabilityHandler = { h in queue.push(h.availableData, false) }
    err.fileHandleForReading.readabilityHandler = { h in queue.push(h.availableData, true) }
    do { try p.run() } catch { throw Failure.cannotStart(argv[0], "\(error)") }
    Cleanup.shared.track(p)
    defer { Cleanup.shared.untrack(p) }
    while p.isRunning {
      for (data, isErr) in queue.drain() { onOutput(String(decoding: data, as: UTF8.self), isErr) }
      usleep(100_000)
    }
    p.waitUntilExit()
    out.fileHandleForReading.readabilityHandler = nil
    err.fileHandleForReading.readabilityHandler = nil
    for (data, isErr) in queue.drain() { onOutput(String(decoding: data, as: UTF8.self), isErr) }
    if let rest = try? out.fileHandleForReading.readToEnd(), !rest.isEmpty { onOutput(String(decoding: rest, as: UTF8.self), false) }
    if let rest = try? err.fileHandleForReading.readToEnd(), !rest.isEmpty { onOutput(String(decoding: rest, as: UTF8.self), true) }
    return p.terminationStatus
  }
}

/// Output chunks handed from pipe reader threads to the waiting caller.
private final class ChunkQueue: @unchecked Sendable {
  private let lock = NSLock()
  private var chunks: [(Data, Bool)] = []
  func push(_ d: Data, _ isErr: Bool) {
    guard !d.isEmpty else { return }
    lock.withLock { chunks.append((d, isErr)) }
  }
  func drain() -> [(Data, Bool)] {
    lock.withLock {
      defer { chunks.removeAll() }
      return chunks
    }
  }
}
