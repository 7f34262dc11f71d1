import Foundation
import LibXML
import V2VModel

/// Reads a libvirt domain XML file (`-i libvirtxml FILE.xml`): parse safely, map, then probe local disks.
public struct LibvirtXMLReader: SourceReader {
  /// Creates the reader.
  public init() {}

  /// Reads the domain XML at `locations[0]`.
  public func read(_ locations: [String]) throws(ReaderError) -> SourceVM {
    let path = FileAccess.absolute(try Require.single(locations, format: "libvirtxml"))
    let text = try FileAccess.text(path, encoding: XMLParsing.encoding(of:))
    let doc = try XMLParsing.parse(text, file: path)
    return try DiskFinisher.finish(try LibvirtDomainMapper(document: doc, file: path).map())
  }
}

/// Turns `XMLError`s into `ReaderError`s with the file named.
enum XMLParsing {
  /// XML is UTF-8 unless its declaration names another encoding (`<?xml version="1.0" encoding="…"?>`).
  static func encoding(of bytes: [UInt8]) -> FileAccess.Encoding {
    var head = bytes.prefix(200)
    if head.starts(with: [0xef, 0xbb, 0xbf]) { return .utf8 }
    guard head.starts(with: Array("<?xml".utf8)), let end = head.firstIndex(of: UInt8(ascii: ">")) else { return .utf8 }
    head = head[..<end]
    let decl = String(decoding: head, as: UTF8.self).lowercased()
    guard let r = decl.range(of: "encoding") else { return .utf8 }
    let value = decl[r.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "'" || $0 == "\"" }
      .prefix { $0 != "'" && $0 != "\"" && $0 != " " }
    return value == "utf-8" || value == "utf8" || value.isEmpty ? .utf8 : .legacy8Bit
  }

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
