import Foundation

/// Decompresses a gzip member of an OVA with the host's `gzip -dc`, streaming the member into its stdin.
enum Gunzip {
  /// Writes the decompressed bytes of `member` to `output`.
  static func decompress(container: OVAContainer, member: String, to output: String) throws(ReaderError) {
    let at = SourceLocation(file: container.origin, context: member)
    guard FileManager.default.createFile(atPath: output, contents: nil), let out = FileHandle(forWritingAtPath: output) else {
      throw .unreadable(at, "cannot create '\(output)'")
    }
    defer { try? out.close() }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "exec gzip -dc"]
    let stdin = Pipe()
    p.standardInput = stdin
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    signal(SIGPIPE, SIG_IGN)  // a gzip that exits early must not kill us; the write then fails instead
    do { try p.run() } catch { throw .unreadable(at, "cannot run gzip: \(error)") }
    var failure: ReaderError?
    do {
      try container.forEachChunk(member) { (c: [UInt8]) throws(ReaderError) in
        do { try stdin.fileHandleForWriting.write(contentsOf: Data(c)) } catch {
          throw .unreadable(at, "gzip stopped reading: corrupt compressed data")
        }
      }
    } catch { failure = error }
    try? stdin.fileHandleForWriting.close()
    p.waitUntilExit()
    if let failure { throw failure }
    guard p.terminationStatus == 0 else { throw .unreadable(at, "corrupt gzip data (gzip exit \(p.terminationStatus))") }
  }
}
