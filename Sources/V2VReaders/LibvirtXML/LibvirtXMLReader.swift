import LibXML
import V2VModel

/// Reads a libvirt domain XML file (`-i libvirtxml FILE.xml`): parse safely, map, then probe local disks.
public struct LibvirtXMLReader: SourceReader {
  /// Creates the reader.
  public init() {}

  /// Reads the domain XML at `locations[0]`.
  public func read(_ locations: [String]) throws(ReaderError) -> SourceVM {
    let path = FileAccess.absolute(try Require.single(locations, format: "libvirtxml"))
    let text = try FileAccess.text(path)
    let doc = try XMLParsing.parse(text, file: path)
    return try DiskFinisher.finish(try LibvirtDomainMapper(document: doc, file: path).map())
  }
}

/// Turns `XMLError`s into `ReaderError`s with the file named.
enum XMLParsing {
  /// Parses `text` from `file` with the safe libxml2 wrapper.
  static func parse(_ text: String, file: String) throws(ReaderError) -> XMLDocument {
    do {
      return try XMLDocument(string: text, url: nil)
    } catch {
      let at = SourceLocation(file: file, line: error.line > 0 ? error.line : nil, column: error.column > 0 ? error.column : nil)
      if error.kind == .entityDeclaration { throw .integrity(at, error.message) }
      throw .syntax(at, error.message)
    }
  }
}
