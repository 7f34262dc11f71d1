import Foundation
import Testing

/// Runs each test of a suite on a thread of its own instead of on Swift's cooperative pool:
/// `@Suite("…", .offPool)`.
///
/// Swift Testing calls every test, synchronous ones too, on the cooperative pool, which has one thread per
/// core and does not grow when they block. A synchronous test that calls `ProcessRunner` (directly, or via
/// the pipeline, overlays, readers, the real binary…) blocks its pool thread while a `Task` on that same
/// pool does the work: two such tests in parallel on a 2-core machine deadlock. With this trait the test
/// body runs on a task executor that gives each job its own thread, so the pool stays free.
public struct OffPoolTrait: SuiteTrait, TestTrait, TestScoping {
  public var isRecursive: Bool { true }

  /// Creates the trait.
  public init() {}

  public func provideScope(
    for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
  ) async throws {
    guard testCase != nil else { return try await function() }  // the suite itself: nothing to move
    try await withTaskExecutorPreference(ThreadPerJobExecutor.shared) { try await function() }
  }
}

extension Trait where Self == OffPoolTrait {
  /// Runs the tests off Swift's cooperative pool (see ``OffPoolTrait``).
  public static var offPool: Self { Self() }
}

/// A task executor that runs every job on a new thread (tests only: a synchronous test body is one job).
final class ThreadPerJobExecutor: TaskExecutor {
  static let shared = ThreadPerJobExecutor()

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    let thread = Thread { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    thread.stackSize = 8 << 20
    thread.start()
  }
}
