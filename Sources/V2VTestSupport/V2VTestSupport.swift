// V2VTestSupport
