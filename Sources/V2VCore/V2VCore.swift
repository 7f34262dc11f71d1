// V2VCore
