import Foundation

/// Decompresses a gzip member of an OVA with the host's `gzip -dc`.
enum Gunzip {
  /// Writes the decompressed bytes of `member` to `output`.
  static func decompress(container: OVAContainer, member: String, to output: String) throws(ReaderError) {
    let at = SourceLocation(file: container.origin, context: member)
    guard FileManager.default.createFile(atPath: output, contents: nil), let out = FileHandle(forWritingAtPath: output) else {
      throw .unreadable(at, "cannot create '\(output)'")
    }
    defer { try? out.close() }
    _ = try MemberCommand.run(["gzip", "-dc"], container: container, member: member, output: out)
  }
}
