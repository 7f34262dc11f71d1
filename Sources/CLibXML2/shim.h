#ifndef V2V_CLIBXML2_SHIM_H
#define V2V_CLIBXML2_SHIM_H
#include <stdint.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

/* Parser options for untrusted input: no network, no entity substitution, no DTD loading. */
static inline int v2v_xml_safe_options(void) {
  return XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR;
}
/* xmlFree is a global function pointer; Swift cannot call it directly. */
static inline void v2v_xml_free(void *p) { xmlFree(p); }
static inline void v2v_xml_free_string(xmlChar *p) { xmlFree(p); }
/* Node type constants, as ints. */
static inline int v2v_xml_element_node(void) { return XML_ELEMENT_NODE; }
static inline int v2v_xml_entity_ref_node(void) { return XML_ENTITY_REF_NODE; }
static inline int v2v_xml_dtd_node(void) { return XML_DTD_NODE; }

/* SAX entityDecl hook: any <!ENTITY ...> declaration stops the parse. The line of the declaration is
   remembered (plus one, so zero means "none seen") in ctxt->_private, which libxml2 leaves to callers. */
static void v2v_xml_reject_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *publicId,
                                       const xmlChar *systemId, xmlChar *content) {
  (void)name; (void)type; (void)publicId; (void)systemId; (void)content;
  xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)ctx;
  int line = (ctxt->input != NULL) ? ctxt->input->line : 0;
  ctxt->_private = (void *)(intptr_t)(line + 1);
  xmlStopParser(ctxt);
}
/* Installs the hook above on a context made by xmlNewParserCtxt (which owns its own SAX handler). */
static inline void v2v_xml_forbid_entity_decls(xmlParserCtxtPtr ctxt) {
  if (ctxt != NULL && ctxt->sax != NULL) ctxt->sax->entityDecl = v2v_xml_reject_entity_decl;
}
/* Line (1-based) of a rejected entity declaration, or 0 when none was seen. */
static inline int v2v_xml_rejected_entity_line(xmlParserCtxtPtr ctxt) {
  return (int)(intptr_t)ctxt->_private;
}
/* The error column, which libxml2 stores in int2. */
static inline int v2v_xml_error_column(const xmlError *e) { return e->int2; }
/* Node-set accessors: xmlXPathObject's nodesetval fields behind a NULL check. */
static inline int v2v_xpath_count(xmlXPathObjectPtr o) {
  return (o != NULL && o->nodesetval != NULL) ? o->nodesetval->nodeNr : 0;
}
static inline xmlNodePtr v2v_xpath_node(xmlXPathObjectPtr o, int i) { return o->nodesetval->nodeTab[i]; }

#endif
