/// What a conversion tells its user as it goes.
public enum ConversionEvent: Sendable {
  /// A new stage begins (`Inspecting the guest`).
  case stage(String)
  /// Progress within the current stage: bytes done of total (or a fraction when sizes are unknown).
  case progress(label: String, fraction: Double, totalBytes: UInt64?)
  /// Something the user should know; does not stop the conversion.
  case warning(String)
  /// A detail line (shown with `-v`): a change applied, a command run.
  case detail(String)
}

/// Receives events (the CLI prints them as text or JSON lines).
public protocol EventSink: AnyObject {
  /// Handles one event.
  func emit(_ event: ConversionEvent)
}

/// Discards events (tests, library use).
public final class NullEventSink: EventSink {
  /// Creates a sink.
  public init() {}
  public func emit(_ event: ConversionEvent) {}
}
