import V2VModel

/// Reads a Xen xl/xm configuration (`-i xen FILE.cfg`): parse, map, then probe each disk.
public struct XenReader: SourceReader {
  /// Creates the reader.
  public init() {}

  /// Reads the configuration at `locations[0]`.
  public func read(_ locations: [String]) throws(ReaderError) -> SourceVM {
    let path = FileAccess.absolute(try Require.single(locations, format: "xen"))
    // xl reads its configuration as UTF-8 (and xm as Python source): invalid UTF-8 is an error.
    let config = try XenConfig(parsing: try FileAccess.text(path) { _ in .utf8 }, file: path)
    config.warnings.forEach(ReaderWarnings.emit)
    return try DiskFinisher.finish(try XenMapper(config: config).map())
  }
}
