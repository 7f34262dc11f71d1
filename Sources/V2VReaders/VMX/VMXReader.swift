import V2VModel

/// Reads a VMware `.vmx` file (`-i vmx FILE.vmx`): parse, map, then probe each VMDK (descriptor, extents,
/// snapshot chain).
public struct VMXReader: SourceReader {
  /// Creates the reader.
  public init() {}

  /// Reads the VMX at `locations[0]`.
  public func read(_ locations: [String]) throws(ReaderError) -> SourceVM {
    let path = FileAccess.absolute(try Require.single(locations, format: "vmx"))
    let text = try FileAccess.text(path, encoding: VMXFile.encoding(of:))
    let vmx = try VMXFile(parsing: text, file: path)
    vmx.warnings.forEach(ReaderWarnings.emit)
    return try DiskFinisher.finish(try VMXMapper(vmx: vmx).map())
  }
}
