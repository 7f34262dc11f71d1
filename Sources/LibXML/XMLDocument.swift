import CLibXML2
// Owned by the readers work (issue 3): safe wrapper over libxml2 parsing and XPath.
