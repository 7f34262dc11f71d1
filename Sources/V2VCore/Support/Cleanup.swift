import Foundation

/// What to undo if v2v is interrupted: partial output files and directories to remove, child processes to
/// kill. SIGINT/SIGTERM run it and exit 130/143; a normal run unregisters what it finished.
public final class Cleanup: @unchecked Sendable {
  /// The process-wide registry.
  public static let shared = Cleanup()

  private let lock = NSLock()
  private var paths: [String: Int] = [:]
  private var processes: [Int32: Process] = [:]
  private var sources: [DispatchSourceSignal] = []
  private var counter = 0

  /// Registers a path to remove (file or directory) on interruption; returns a token for `forget`.
  @discardableResult
  public func removeOnInterrupt(_ path: String) -> String {
    lock.withLock {
      counter += 1
      paths[path] = counter
    }
    return path
  }

  /// No longer removes `path` on interruption (it is finished, or already removed).
  public func forget(_ path: String) { lock.withLock { _ = paths.removeValue(forKey: path) } }

  /// Kills `p` on interruption.
  public func track(_ p: Process) { lock.withLock { processes[p.processIdentifier] = p } }

  /// Stops tracking `p`.
  public func untrack(_ p: Process) { lock.withLock { _ = processes.removeValue(forKey: p.processIdentifier) } }

  /// Kills tracked processes and every other descendant (libguestfs's qemu is its child, not ours to track),
  /// then removes registered paths, newest first.
  public func runNow() {
    let (ps, files) = lock.withLock { (Array(processes.values), paths.sorted { $0.value > $1.value }.map(\.key)) }
    for p in ps where p.isRunning { kill(p.processIdentifier, SIGKILL) }
    for pid in Self.descendants(of: getpid()) { kill(pid, SIGKILL) }
    for f in files { try? FileManager.default.removeItem(atPath: f) }
    lock.withLock {
      processes.removeAll()
      paths.removeAll()
    }
  }

  /// Installs SIGINT/SIGTERM handlers that run the cleanup, print `message`, and exit 130 (SIGINT) or
  /// 143 (SIGTERM).
  public func installSignalHandlers(message: @escaping @Sendable (Int32) -> Void) {
    for sig in [SIGINT, SIGTERM] {
      signal(sig, SIG_IGN)
      let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      s.setEventHandler { [self] in
        runNow()
        message(sig)
        // _exit, not exit: atexit handlers (libguestfs closing its handles) would race the main thread,
        // which may be inside a library call right now. Everything that matters was cleaned up above.
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
