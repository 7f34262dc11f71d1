// V2VWriters
