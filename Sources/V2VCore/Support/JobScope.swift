import V2VModel
import Foundation
import V2VProcess

/// What one conversion job must undo if it is cancelled or the process is interrupted: the child processes
/// it started (qemu-img, the test boot's qemu, the libguestfs appliance) and the partial outputs and work
/// files it created. Each job has its own scope, so a batch running several jobs in one process cancels
/// exactly the one it means to, and SIGINT/SIGTERM cleans up every job in flight.
///
/// Code running inside a job finds its scope in ``current`` (a task-local bound by ``run(_:)``), so deep
/// helpers such as the process runner register their children without being handed the scope.
public final class JobScope: @unchecked Sendable {
  /// The scope of the job running on this task or thread, if any.
  @TaskLocal public static var current: JobScope?

  /// The job's id (also on every event it emits).
  public let id: String
  private let lock = NSLock()
  private var paths: [(String, Int)] = []
  private var pids: Set<pid_t> = []
  private var counter = 0
  private var cancelled = false
  private var cancelActions: [@Sendable () -> String?] = []

  /// Creates a scope; it tracks nothing until told.
  public init(id: String) { self.id = id }

  /// Runs `body` with this scope as ``current`` and as the process runner's observer (every child the job
  /// starts is tracked); the scope is registered with ``JobRegistry`` meanwhile.
  public func run<T>(_ body: () throws -> T) rethrows -> T {
    JobRegistry.shared.add(self)
    defer { JobRegistry.shared.remove(self) }
    return try Self.$current.withValue(self) {
      try ProcessTracking.$observer.withValue(self) { try body() }
    }
  }

  /// Registers a path to remove (file or directory) if the job is cancelled; returns the path.
  @discardableResult
  public func removeOnCancel(_ path: String) -> String {
    lock.withLock {
      counter += 1
      paths.removeAll { $0.0 == path }
      paths.append((path, counter))
    }
    return path
  }

  /// No longer removes `path` on cancellation (it is finished, or already removed).
  public func forget(_ path: String) { lock.withLock { paths.removeAll { $0.0 == path } } }

  /// Kills `pid` (and its process group, when it leads one) if the job is cancelled.
  public func track(pid: pid_t) { lock.withLock { _ = pids.insert(pid) } }

  /// Stops tracking `pid` (it exited).
  public func untrack(pid: pid_t) { lock.withLock { _ = pids.remove(pid) } }

  /// Whether ``cancel()`` ran.
  public var isCancelled: Bool { lock.withLock { cancelled } }

  /// Registers something to do when the job is cancelled, after its processes are killed and its partial
  /// files removed (a physical target's head blanked again); it returns a line for the user, or nil.
  public func onCancel(_ action: @escaping @Sendable () -> String?) { lock.withLock { cancelActions.append(action) } }

  /// Kills the job's processes (SIGKILL, to their process groups too), then removes its registered paths,
  /// newest first. Safe to call from a signal handler's queue while the job's thread is blocked in a call:
  /// that call then fails, and the job stops with ``JobCancelled``.
  @discardableResult
  public func cancel() -> [String] {
    let (ps, files, actions) = lock.withLock { () -> ([pid_t], [String], [@Sendable () -> String?]) in
      cancelled = true
      defer { cancelActions.removeAll() }
      return (Array(pids), paths.sorted { $0.1 > $1.1 }.map(\.0), cancelActions)
    }
    for p in ps {
      kill(-p, SIGKILL)  // its group, when it leads one (the runner starts children in their own group)
      kill(p, SIGKILL)
    }
    for f in files { try? FileManager.default.removeItem(atPath: f) }
    lock.withLock {
      pids.removeAll()
      paths.removeAll()
    }
    return actions.compactMap { $0() }
  }

  /// Throws ``JobCancelled`` when the job was cancelled (checked between stages).
  public func checkCancelled() throws { if isCancelled { throw JobCancelled(jobID: id) } }
}

extension JobScope: ProcessObserver {
  public func started(pid: Int32) { track(pid: pid) }
  public func ended(pid: Int32) { untrack(pid: pid) }
}

/// A job stopped because it was cancelled (or the process was interrupted).
public struct JobCancelled: Error, CustomStringConvertible {
  /// Which job.
  public var jobID: String
  /// Creates the error.
  public init(jobID: String) { self.jobID = jobID }
  public var description: String { "job \(jobID) was cancelled; its partial output was removed" }
}

/// The jobs in flight in this process, for SIGINT/SIGTERM.
public final class JobRegistry: @unchecked Sendable {
  /// The process-wide registry.
  public static let shared = JobRegistry()
  private let lock = NSLock()
  private var scopes: [ObjectIdentifier: JobScope] = [:]
  private var sources: [DispatchSourceSignal] = []

  /// Adds a job.
  public func add(_ s: JobScope) { lock.withLock { scopes[ObjectIdentifier(s)] = s } }
  /// Removes a finished job.
  public func remove(_ s: JobScope) { lock.withLock { _ = scopes.removeValue(forKey: ObjectIdentifier(s)) } }
  /// The jobs in flight.
  public var active: [JobScope] { lock.withLock { Array(scopes.values) } }

  /// Cancels every job in flight.
  @discardableResult
  public func cancelAll() -> [String] { active.flatMap { $0.cancel() } }

  /// Installs SIGINT/SIGTERM handlers: cancel every job in flight (their children killed, their partial
  /// outputs removed), call `message`, and end the process with 130 (SIGINT) or 143 (SIGTERM). `_exit`, not
  /// `exit`: atexit handlers (libguestfs closing its handles) would race the job threads, which may be
  /// inside a library call right now; everything that matters was cleaned up by then.
  public func installSignalHandlers(message: @escaping @Sendable (Int32, [String]) -> Void) {
    for sig in [SIGINT, SIGTERM] {
      signal(sig, SIG_IGN)
      let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      s.setEventHandler { [self] in
        let notes = cancelAll()
        // The process is ending: no child of any job may outlive it, including one a job had started but
        // not yet registered (libguestfs's qemu while the appliance is still launching).
        for pid in Self.descendants(of: getpid()) { kill(pid, SIGKILL) }
        message(sig, notes)
        _exit(128 + sig)
      }
      s.resume()
      lock.withLock { sources.append(s) }
    }
  }

  /// Process ids of all descendants of `root`, read from /proc (children before their own children).
  static func descendants(of root: pid_t) -> [pid_t] {
    var children: [pid_t: [pid_t]] = [:]
    for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
      guard let pid = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { continue }
      // "pid (comm) state ppid …": the command may hold spaces and parentheses, so split after the last ')'.
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      if fields.count > 1, let ppid = pid_t(fields[1]) { children[ppid, default: []].append(pid) }
    }
    var out: [pid_t] = []
    var queue = children[root] ?? []
    while let p = queue.first {
      queue.removeFirst()
      out.append(p)
      queue += children[p] ?? []
    }
    return out
  }
}
