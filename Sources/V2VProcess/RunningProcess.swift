import Foundation

/// A child started by ``ProcessRunner/start(_:stdout:stderr:)`` that runs while the caller does other work
/// (the test boot's qemu). It leads its own process group and is reported to ``ProcessTracking/observer``
/// while it runs.
///
/// Signals and stops are carried out by the task supervising the child, which holds it unreaped, so they
/// can never reach another process that reused its pid. Like ``ProcessRunner``, the blocking calls here
/// (``terminate(grace:)``, ``waitUntilExit(timeout:)``) must not be made from Swift's cooperative pool.
public final class RunningProcess: Sendable {
  /// The child's pid (and process group id).
  public let pid: Int32
  let control: Control

  init(pid: Int32, control: Control) {
    self.pid = pid
    self.control = control
  }

  /// Whether the child has not yet exited and been reaped.
  public var isRunning: Bool { control.end == nil }

  /// Exit status, or the signal number that ended it; nil while it runs (-1 if its supervision failed).
  public var terminationStatus: Int32? {
    switch control.end {
    case nil: return nil
    case .success(let s): return s
    case .failure: return -1
    }
  }

  /// Sends `signal` to the child only (not its group), as `kill(1)` would: for tests of how a program
  /// handles SIGTERM/SIGINT itself. Does nothing once it has exited.
  public func send(signal: Int32) { control.request(.signal(signal)) }

  /// Waits until the child has exited and been reaped, or `timeout` seconds pass; returns whether it exited.
  @discardableResult
  public func waitUntilExit(timeout: Double? = nil) -> Bool { control.waitForEnd(timeout: timeout) }

  /// Stops the child: SIGTERM to its process group, then SIGKILL to the group once the child has exited or
  /// `grace` seconds later, whichever comes first; returns once it is reaped. Does nothing more if it
  /// already exited.
  public func terminate(grace: Double = 2) {
    control.request(.stop(grace: grace))
    control.waitForEnd(timeout: nil)
  }
}

/// State shared by the thread that called ``ProcessRunner`` and the task supervising one child.
final class Control: @unchecked Sendable {
  enum Request {
    /// Send this signal to the child.
    case signal(Int32)
    /// SIGTERM the group, SIGKILL it after `grace` s, wait for the exit.
    case stop(grace: Double)
  }

  private let cond = NSCondition()
  private var pid: Int32?
  private var requests: [Request] = []
  private var result: Result<Int32, any Error>?

  /// The child was spawned.
  func launched(pid: Int32) {
    cond.withLock {
      self.pid = pid
      cond.broadcast()
    }
  }

  /// The run ended: the child was reaped (`.success`), or could not be started or supervised.
  func finish(_ r: Result<Int32, any Error>) {
    cond.withLock {
      result = r
      requests.removeAll()
      cond.broadcast()
    }
  }

  /// How the run ended; nil while it runs.
  var end: Result<Int32, any Error>? { cond.withLock { result } }

  /// Blocks until the child was spawned (its pid) or the launch failed (throws).
  func waitForLaunch() throws -> Int32 {
    try cond.withLock {
      while pid == nil && result == nil { cond.wait() }
      if let pid { return pid }
      if case .failure(let e) = result { throw e }
      throw ProcessRunner.Failure.cannotStart("?", "ended before it started")
    }
  }

  /// Queues a request for the supervising task (ignored once the run ended).
  func request(_ r: Request) {
    cond.withLock { if result == nil { requests.append(r) } }
  }

  /// The queued requests, oldest first; the queue is emptied.
  func takeRequests() -> [Request] {
    cond.withLock {
      defer { requests.removeAll() }
      return requests
    }
  }

  /// Blocks until ``finish(_:)`` or `timeout` seconds; returns whether it finished.
  @discardableResult
  func waitForEnd(timeout: Double?) -> Bool {
    cond.withLock {
      let limit = timeout.map { Date().addingTimeInterval($0) }
      while result == nil {
        if let limit {
          if !cond.wait(until: limit) { return result != nil }
        } else {
          cond.wait()
        }
      }
      return true
    }
  }
}
