/// Told about every child the runner starts, while it runs: the running job's scope implements this so a
/// cancellation can kill the job's children (and their process groups: each child leads its own).
///
/// `started` is called right after the child is spawned; `ended` once it has exited, before it is reaped, so
/// the pid cannot yet have been reused by another process while the observer still holds it. Both are
/// called from a thread of Swift's concurrency pool: implementations must be quick and thread-safe.
public protocol ProcessObserver: AnyObject, Sendable {
  /// A child was spawned; it leads process group `pid`.
  func started(pid: Int32)
  /// The child exited (or was killed); forget it.
  func ended(pid: Int32)
}

/// The hook through which V2VProcess reports children without depending on whoever tracks them.
///
/// Bind it around a job (`ProcessTracking.$observer.withValue(scope) { ... }`); every ``ProcessRunner``
/// call made inside reads it on the calling thread, before it hands the work to a `Task`.
public enum ProcessTracking {
  /// The observer for children started by the current job, if any.
  @TaskLocal public static var observer: (any ProcessObserver)?
}
