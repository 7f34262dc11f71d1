import CLibXML2

/// An element (or other node) inside an `XMLDocument`; keeps its document alive.
public struct XMLNode {
  /// The owning document (holding it keeps `pointer` valid).
  let document: XMLDocument
  let pointer: xmlNodePtr

  /// The node's local name (`xmlNode.name`), without any prefix.
  public var name: String { pointer.pointee.name.map { String(cString: $0) } ?? "" }

  /// The namespace URI of the node (`xmlNode.ns->href`), if any.
  public var namespaceURI: String? {
    pointer.pointee.ns.flatMap { $0.pointee.href }.map { String(cString: $0) }
  }

  /// Whether this is an element node.
  public var isElement: Bool { Int(pointer.pointee.type.rawValue) == Int(v2v_xml_element_node()) }

  /// 1-based source line of the node (`xmlGetLineNo`), 0 when unknown.
  public var line: Int { max(0, Int(xmlGetLineNo(pointer))) }

  /// The element children, in document order (walks `xmlNode.children`).
  public var children: [XMLNode] {
    var out: [XMLNode] = []
    var cur = pointer.pointee.children
    while let c = cur {
      let node = XMLNode(document: document, pointer: c)
      if node.isElement { out.append(node) }
      cur = c.pointee.next
    }
    return out
  }

  /// The element children with local name `name` (and namespace URI `namespace`, when given).
  public func children(named name: String, namespace: String? = nil) -> [XMLNode] {
    children.filter { $0.name == name && (namespace == nil || $0.namespaceURI == namespace) }
  }

  /// The first element child with local name `name` (and namespace, when given).
  public func child(named name: String, namespace: String? = nil) -> XMLNode? {
    children(named: name, namespace: namespace).first
  }

  /// The text content of the node and its descendants (`xmlNodeGetContent`), trimmed of surrounding
  /// whitespace.
  public var text: String {
    guard let c = xmlNodeGetContent(pointer) else { return "" }
    defer { v2v_xml_free_string(c) }
    return String(cString: c).trimmingWhitespace()
  }

  /// The attributes of an element (walks `xmlNode.properties`; values via `xmlNodeListGetString`).
  public var attributes: [XMLAttribute] {
    var out: [XMLAttribute] = []
    var cur = pointer.pointee.properties
    while let a = cur {
      let name = a.pointee.name.map { String(cString: $0) } ?? ""
      let ns = a.pointee.ns.flatMap { $0.pointee.href }.map { String(cString: $0) }
      var value = ""
      if let v = xmlNodeListGetString(pointer.pointee.doc, a.pointee.children, 1) {
        value = String(cString: v)
        v2v_xml_free_string(v)
      }
      out.append(XMLAttribute(name: name, namespaceURI: ns, value: value))
      cur = a.pointee.next
    }
    return out
  }

  /// The value of the attribute with local name `name`. With `namespace` nil, the first attribute of that
  /// local name in any (or no) namespace matches; otherwise only that namespace URI.
  public func attribute(_ name: String, namespace: String? = nil) -> String? {
    attributes.first { $0.name == name && (namespace == nil || $0.namespaceURI == namespace) }?.value
  }

  /// Evaluates an XPath relative to this node (see `XMLDocument.xpath`).
  public func xpath(_ expression: String, namespaces: [String: String] = [:]) throws(XMLError)
    -> [XMLNode]
  {
    try document.xpath(expression, namespaces: namespaces, from: self)
  }
}

/// One attribute of an element.
public struct XMLAttribute: Equatable, Sendable {
  /// Local name, without prefix.
  public var name: String
  /// Namespace URI, if the attribute is qualified.
  public var namespaceURI: String?
  /// The value, with entity and character references resolved.
  public var value: String
}
