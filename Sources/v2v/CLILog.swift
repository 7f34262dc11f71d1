import Foundation
import Logging
import V2VCore

/// Where library log messages go in the CLI. Readers log a `ReaderWarning` at warning level: it becomes a
/// `v2v: warning: …` line on stderr (or a `warning` event of `convert --json`); debug and info messages
/// (what a reader ignored) appear only with `-v`.
final class CLILog: @unchecked Sendable {
  static let shared = CLILog()
  private let lock = NSLock()
  private var verboseValue = false
  private var sinkValue: (sink: EventSink, job: String)?

  /// Installs the handler (once, before anything logs).
  static func bootstrap() {
    LoggingSystem.bootstrap { label in CLILogHandler(label: label) }
  }

  /// Whether debug and info messages are shown.
  var verbose: Bool {
    get { lock.lock(); defer { lock.unlock() }; return verboseValue }
    set { lock.lock(); verboseValue = newValue; lock.unlock() }
  }

  /// Sends warnings to `sink` as `warning` events of `job` (convert), instead of stderr.
  func route(to sink: EventSink, job: String) {
    lock.lock(); sinkValue = (sink, job); lock.unlock()
  }

  fileprivate func warn(_ message: String) {
    lock.lock(); let s = sinkValue; lock.unlock()
    if let s { s.sink.emit(.warning(message), job: s.job) } else { Console.err("v2v: warning: \(message)") }
  }
}

/// The CLI's `LogHandler` (see `CLILog`).
struct CLILogHandler: LogHandler {
  let label: String
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level {
    get { CLILog.shared.verbose ? .debug : .warning }
    set {}
  }

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    if event.level >= .warning {
      CLILog.shared.warn("\(event.message)")
      return
    }
    guard CLILog.shared.verbose else { return }
    let all = metadata.merging(event.metadata ?? [:]) { $1 }
    let meta = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    Console.err("v2v: \(event.level): \(label):\(meta) \(event.message)")
  }
}
