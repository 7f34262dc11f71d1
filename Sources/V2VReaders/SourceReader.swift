import V2VModel

/// Reads one kind of source description into the source model.
///
/// Lives here rather than in V2VCore so readers depend only on the model (core consumes readers, not the
/// reverse).
public protocol SourceReader: Sendable {
  /// Reads the source at `location` (a file, directory or device path).
  func read(_ location: String) throws -> SourceVM
}
