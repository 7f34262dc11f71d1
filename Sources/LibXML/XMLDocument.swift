import CLibXML2

/// A parsed XML document, owning libxml2's `xmlDoc` and freeing it (`xmlFreeDoc`) when released.
///
/// Parsing is safe for untrusted input: `XML_PARSE_NONET` (no network), no entity substitution, no DTD
/// loading, and any `<!ENTITY>` declaration is rejected outright, so an external entity (XXE) can never
/// read a host file and an entity bomb can never expand. Not `Sendable`: use one document from one task.
public final class XMLDocument {
  let doc: xmlDocPtr

  private static let initialized: Void = { xmlInitParser() }()

  /// Parses `bytes` with `xmlCtxtReadMemory` on a private `xmlParserCtxt`; errors are read from
  /// `xmlCtxtGetLastError` right after the call.
  /// - Parameters:
  ///   - bytes: the document text.
  ///   - url: a name for the document, used only as its base URL (never fetched).
  /// - Throws: `XMLError` with line and column when the text is not well-formed or declares entities.
  public init(bytes: [UInt8], url: String? = nil) throws(XMLError) {
    _ = Self.initialized
    guard bytes.count < Int(Int32.max) else {
      throw XMLError(message: "document too large (\(bytes.count) bytes)", kind: .io)
    }
    guard !bytes.isEmpty else { throw XMLError(message: "empty document", line: 1, column: 1) }
    guard let ctxt = xmlNewParserCtxt() else {
      throw XMLError(message: "cannot allocate a parser context", kind: .io)
    }
    defer { xmlFreeParserCtxt(ctxt) }
    var capture = v2v_xml_capture()
    let parsed: xmlDocPtr? = withUnsafeMutablePointer(to: &capture) { cap in
      v2v_xml_install_hooks(ctxt, cap)
      defer { ctxt.pointee._private = nil }
      return bytes.withUnsafeBufferPointer { buf in
        buf.withMemoryRebound(to: CChar.self) { chars in
          xmlCtxtReadMemory(
            ctxt, chars.baseAddress!, Int32(buf.count), url, nil, v2v_xml_safe_options())
        }
      }
    }
    let entityLine = Int(capture.entityLine)
    if entityLine > 0 {
      if let parsed { xmlFreeDoc(parsed) }
      throw XMLError(
        message: "entity declarations are not allowed (external or expanding entities)",
        line: entityLine, kind: .entityDeclaration)
    }
    guard let parsed, ctxt.pointee.wellFormed != 0 else {
      if let parsed { xmlFreeDoc(parsed) }
      if capture.haveError != 0 {
        let message = withUnsafeBytes(of: capture.message) { raw in
          String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        throw XMLError(message: message.trimmingWhitespace(), line: Int(capture.line), column: Int(capture.column))
      }
      throw Self.lastError(ctxt)
    }
    doc = parsed
  }

  /// Parses a string (see `init(bytes:url:)`).
  public convenience init(string: String, url: String? = nil) throws(XMLError) {
    try self.init(bytes: Array(string.utf8), url: url)
  }

  deinit { xmlFreeDoc(doc) }

  /// The document element (`xmlDocGetRootElement`), or nil for an empty document.
  public var root: XMLNode? {
    xmlDocGetRootElement(doc).map { XMLNode(document: self, pointer: $0) }
  }

  /// Evaluates an XPath expression (`xmlXPathEvalExpression` on an `xmlXPathContext`) and returns the
  /// matched nodes in document order.
  /// - Parameters:
  ///   - expression: the XPath, e.g. `//ovf:Disk`.
  ///   - namespaces: prefix → URI pairs registered with `xmlXPathRegisterNs`.
  ///   - node: the context node; the document when nil.
  public func xpath(
    _ expression: String, namespaces: [String: String] = [:], from node: XMLNode? = nil
  ) throws(XMLError) -> [XMLNode] {
    guard let ctx = xmlXPathNewContext(doc) else {
      throw XMLError(message: "cannot allocate an XPath context", kind: .xpath)
    }
    defer { xmlXPathFreeContext(ctx) }
    for (prefix, uri) in namespaces.sorted(by: { $0.key < $1.key }) {
      _ = xmlXPathRegisterNs(ctx, prefix, uri)
    }
    if let node { ctx.pointee.node = node.pointer }
    guard let result = xmlXPathEvalExpression(expression, ctx) else {
      throw XMLError(message: "invalid XPath expression '\(expression)'", kind: .xpath)
    }
    defer { xmlXPathFreeObject(result) }
    var nodes: [XMLNode] = []
    for i in 0..<v2v_xpath_count(result) {
      if let p = v2v_xpath_node(result, Int32(i)) { nodes.append(XMLNode(document: self, pointer: p)) }
    }
    return nodes
  }

  private static func lastError(_ ctxt: xmlParserCtxtPtr) -> XMLError {
    guard let err = xmlCtxtGetLastError(ctxt) else {
      return XMLError(message: "not well-formed XML")
    }
    let message = err.pointee.message.map { String(cString: $0) } ?? "not well-formed XML"
    return XMLError(
      message: message.trimmingWhitespace(), line: Int(err.pointee.line),
      column: Int(v2v_xml_error_column(err)))
  }
}

extension String {
  func trimmingWhitespace() -> String {
    var s = Substring(self)
    while let c = s.first, c.isWhitespace { s.removeFirst() }
    while let c = s.last, c.isWhitespace { s.removeLast() }
    return String(s)
  }
}
