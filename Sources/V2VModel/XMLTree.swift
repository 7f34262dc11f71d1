/// A small, pure XML element tree and serializer for the XML v2v writes (libvirt domains, pools).
///
/// Reading untrusted XML goes through libxml2 (the LibXML module); writing our own needs no C.
public struct XMLElement: Sendable, Equatable {
  /// Element name.
  public var name: String
  /// Attributes, in the order given (serialized in that order, so output is stable).
  public var attributes: [(String, String)]
  /// Child elements.
  public var children: [XMLElement]
  /// Text content (escaped on output); written before children.
  public var text: String?

  /// Creates an element.
  public init(_ name: String, _ attributes: [(String, String)] = [], text: String? = nil, children: [XMLElement] = []) {
    self.name = name
    self.attributes = attributes
    self.text = text
    self.children = children
  }

  /// Creates an element whose children come from a builder closure.
  public init(_ name: String, _ attributes: [(String, String)] = [], @XMLBuilder _ content: () -> [XMLElement]) {
    self.init(name, attributes, children: content())
  }

  public static func == (a: XMLElement, b: XMLElement) -> Bool {
    a.name == b.name && a.text == b.text && a.children == b.children
      && a.attributes.map { $0.0 + "=" + $0.1 } == b.attributes.map { $0.0 + "=" + $0.1 }
  }

  /// The value of attribute `name`.
  public func attribute(_ name: String) -> String? { attributes.first { $0.0 == name }?.1 }

  /// Children named `name`.
  public func children(named name: String) -> [XMLElement] { children.filter { $0.name == name } }

  /// Serializes with two-space indentation and a trailing newline.
  public func serialized(indent: Int = 0) -> String {
    let pad = String(repeating: "  ", count: indent)
    var s = pad + "<" + name
    for (k, v) in attributes { s += " \(k)='\(Self.escape(v, quote: true))'" }
    if children.isEmpty {
      if let text { return s + ">" + Self.escape(text, quote: false) + "</\(name)>\n" }
      return s + "/>\n"
    }
    s += ">"
    if let text { s += Self.escape(text, quote: false) }
    s += "\n"
    for c in children { s += c.serialized(indent: indent + 1) }
    return s + pad + "</\(name)>\n"
  }

  /// Escapes `&`, `<`, `>` and (in attributes) quotes.
  public static func escape(_ s: String, quote: Bool) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "'" where quote: out += "&apos;"
      case "\"" where quote: out += "&quot;"
      default: out.append(c)
      }
    }
    return out
  }
}

/// Builds child lists with `if`, `for` and optional elements.
@resultBuilder
public enum XMLBuilder {
  public static func buildBlock(_ parts: [XMLElement]...) -> [XMLElement] { parts.flatMap { $0 } }
  public static func buildExpression(_ e: XMLElement) -> [XMLElement] { [e] }
  public static func buildExpression(_ e: XMLElement?) -> [XMLElement] { e.map { [$0] } ?? [] }
  public static func buildExpression(_ e: [XMLElement]) -> [XMLElement] { e }
  public static func buildOptional(_ e: [XMLElement]?) -> [XMLElement] { e ?? [] }
  public static func buildEither(first e: [XMLElement]) -> [XMLElement] { e }
  public static func buildEither(second e: [XMLElement]) -> [XMLElement] { e }
  public static func buildArray(_ parts: [[XMLElement]]) -> [XMLElement] { parts.flatMap { $0 } }
}
