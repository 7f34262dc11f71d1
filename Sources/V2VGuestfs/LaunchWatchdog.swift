import Foundation
import V2VCore

/// Watches one `guestfs_launch`.
///
/// The direct backend connects to qemu at once, then waits for the appliance's daemon with no time limit.
/// An appliance kernel that hangs while booting under TCG, which CI saw once, therefore blocks a conversion
/// for good. The watchdog finds the appliance's qemu among this process's children by an overlay path on
/// its command line. It hands that qemu to the job at once, so a cancelled job kills it even mid-launch.
/// If the daemon has not answered by the deadline, the watchdog kills that qemu, and the blocked launch
/// fails with "appliance closed the connection".
final class LaunchWatchdog: @unchecked Sendable {
  private let markers: [String]
  private let timeout: Double
  private let scope: JobScope?
  private let lock = NSLock()
  private let finished = DispatchSemaphore(value: 0)
  private var stopped = false
  private var fired = false
  private var found: pid_t?

  /// Watches for a child of this process whose command line contains one of `markers` (the overlay paths),
  /// and gives it `timeout` seconds from when it appears.
  init(markers: [String], timeout: Double, scope: JobScope?) {
    self.markers = markers
    self.timeout = timeout
    self.scope = scope
  }

  /// Whether the deadline passed and the watchdog killed the appliance.
  var timedOut: Bool { lock.withLock { fired } }

  /// The appliance's qemu, once seen.
  var pid: pid_t? { lock.withLock { found } }

  /// Starts watching on a thread of its own. The time limit counts from when the qemu appears: before it,
  /// libguestfs may be building its appliance (a minute, once per host) or probing qemu.
  func start() {
    Thread.detachNewThread { [self] in
      while lock.withLock({ found }) == nil {
        if let p = Self.child(of: getpid(), mentioning: markers) {
          lock.withLock { found = p }
          scope?.track(pid: p)
        } else if finished.wait(timeout: .now() + 1) == .success {
          return
        }
      }
      if finished.wait(timeout: .now() + timeout) == .success { return }
      let victim: pid_t? = lock.withLock {
        guard !stopped else { return nil }
        fired = true
        return found
      }
      if let victim { kill(victim, SIGKILL) }
    }
  }

  /// Stops watching (the launch returned). After this the watchdog kills nothing.
  func stop() {
    lock.withLock { stopped = true }
    finished.signal()
  }

  /// The first child of `parent` whose command line contains one of `markers`.
  static func child(of parent: pid_t, mentioning markers: [String]) -> pid_t? {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
    for e in entries {
      guard let pid = pid_t(e), pid != parent,
        let stat = FileManager.default.contents(atPath: "/proc/\(e)/stat"),
        parentPID(stat: String(decoding: stat, as: UTF8.self)) == parent,
        let cmd = FileManager.default.contents(atPath: "/proc/\(e)/cmdline")
      else { continue }
      let line = String(decoding: cmd.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
      if markers.contains(where: { !$0.isEmpty && line.contains($0) }) { return pid }
    }
    return nil
  }

  /// The parent pid in a `/proc/PID/stat` line: the second field after the command name, which is in
  /// parentheses and may itself hold spaces and parentheses.
  static func parentPID(stat: String) -> pid_t? {
    guard let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count >= 2 else { return nil }
    return pid_t(fields[1])
  }
}
