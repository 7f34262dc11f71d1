import V2VModel
/// What a conversion tells its user as it goes.
public enum ConversionEvent: Sendable, Equatable {
  /// A new stage begins (`Inspecting the guest`).
  case stage(String)
  /// Progress within the current stage: bytes done of total (or a fraction when sizes are unknown).
  case progress(label: String, fraction: Double, totalBytes: UInt64?)
  /// Something the user should know; does not stop the conversion.
  case warning(String)
  /// A detail line (shown with `-v`): a change applied, a command run.
  case detail(String)
}

/// Receives events, each tagged with the id of the job that emitted it (the CLI prints them as text or
/// JSON lines; a batch tells its machines apart by the id).
public protocol EventSink: AnyObject {
  /// Handles one event of job `job`.
  func emit(_ event: ConversionEvent, job: String)
}

/// Discards events (tests, library use).
public final class NullEventSink: EventSink {
  /// Creates a sink.
  public init() {}
  public func emit(_ event: ConversionEvent, job: String) {}
}

/// A sink bound to one job id: what the pipeline's stages emit through.
public struct JobEvents {
  /// Where events go.
  public let sink: EventSink
  /// The job they belong to.
  public let job: String

  /// Binds `sink` to `job`.
  public init(sink: EventSink, job: String) {
    self.sink = sink
    self.job = job
  }

  /// Emits one event.
  public func emit(_ event: ConversionEvent) { sink.emit(event, job: job) }
}
