#ifndef V2V_CLIBXML2_SHIM_H
#define V2V_CLIBXML2_SHIM_H
#include <libxml/parser.h>
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

#endif
