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

#include <stdio.h>
/* What a parse saw, kept in ctxt->_private (which libxml2 leaves to callers): the line of a rejected
   entity declaration, and the FIRST error (libxml2's lastError is often a later, vaguer consequence). */
typedef struct {
  int entityLine;   /* line of a rejected <!ENTITY>, 0 when none */
  int haveError;
  int line;
  int column;
  char message[512];
} v2v_xml_capture;

/* SAX entityDecl hook: any <!ENTITY ...> declaration stops the parse. */
static void v2v_xml_reject_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *publicId,
                                       const xmlChar *systemId, xmlChar *content) {
  (void)name; (void)type; (void)publicId; (void)systemId; (void)content;
  xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)ctx;
  v2v_xml_capture *cap = (v2v_xml_capture *)ctxt->_private;
  if (cap != NULL && cap->entityLine == 0) cap->entityLine = (ctxt->input != NULL) ? ctxt->input->line : 1;
  xmlStopParser(ctxt);
}
/* Structured error hook: records the first error of the parse. */
static void v2v_xml_structured_error(void *userData, xmlErrorPtr err) {
  xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)userData;
  if (ctxt == NULL || err == NULL) return;
  v2v_xml_capture *cap = (v2v_xml_capture *)ctxt->_private;
  if (cap == NULL || cap->haveError || err->level < XML_ERR_ERROR) return;
  cap->haveError = 1;
  cap->line = err->line;
  cap->column = err->int2;
  snprintf(cap->message, sizeof cap->message, "%s", err->message != NULL ? err->message : "");
}
/* Installs both hooks on a context made by xmlNewParserCtxt (which owns its own SAX handler). */
static inline void v2v_xml_install_hooks(xmlParserCtxtPtr ctxt, v2v_xml_capture *cap) {
  if (ctxt == NULL || ctxt->sax == NULL) return;
  ctxt->_private = cap;
  ctxt->userData = ctxt;
  ctxt->sax->entityDecl = v2v_xml_reject_entity_decl;
  ctxt->sax->serror = v2v_xml_structured_error;
}
/* The error column, which libxml2 stores in int2. */
static inline int v2v_xml_error_column(const xmlError *e) { return e->int2; }
/* Node-set accessors: xmlXPathObject's nodesetval fields behind a NULL check. */
static inline int v2v_xpath_count(xmlXPathObjectPtr o) {
  return (o != NULL && o->nodesetval != NULL) ? o->nodesetval->nodeNr : 0;
}
static inline xmlNodePtr v2v_xpath_node(xmlXPathObjectPtr o, int i) { return o->nodesetval->nodeTab[i]; }

#endif
