import V2VModel

/// Reads a Xen xl/xm configuration (`-i xen FILE.cfg`): parse, map, then probe each disk.
public struct XenReader: SourceReader {
  /// Creates the reader.
  public init() {}

  /// Reads the configuration at `locations[0]`.
  public func read(_ locations: [String]) throws(ReaderError) -> SourceVM {
    let path = FileAccess.absolute(try Require.single(locations, format: "xen"))
    let config = try XenConfig(parsing: try FileAccess.text(path), file: path)
    return try DiskFinisher.finish(try XenMapper(config: config).map())
  }
}
