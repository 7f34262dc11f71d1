import V2VModel

extension V2VExit {
  /// The exit code of an error class.
  init(_ c: ExitClass) { self = V2VExit(rawValue: c.rawValue) ?? .failure }
}
