import Foundation
import V2VProcess

/// Runs a host tool (`gzip -dc`, `sha256sum`) on one member of an OVA, reading the member's bytes in place:
/// the tool's stdin is the archive positioned at the member, cut to its length by `head -c`. Large members
/// never pass through v2v's own memory.
enum MemberCommand {
  /// Runs `argv` on `member`; its stdout goes to `output` (a file), or is returned when `output` is nil.
  static func run(
    _ argv: [String], container: OVAContainer, member: String, output: FileHandle? = nil
  ) throws(ReaderError) -> String {
    let at = SourceLocation(file: container.origin, context: member)
    let (path, start, size) = try container.byteRange(member)
    try FileAccess.requireReadableType(path)
    guard let input = FileHandle(forReadingAtPath: path) else { throw .unreadable(SourceLocation(file: path), "cannot open") }
    defer { try? input.close() }
    do { try input.seek(toOffset: start) } catch { throw .unreadable(SourceLocation(file: path), "seek failed") }
    let shell = ["/bin/sh", "-c", #"n="$1"; shift; head -c "$n" | "$@""#, "sh", String(size)] + argv
    let r: ProcessRunner.Result
    do {
      r = try ProcessRunner.run(
        shell, input: .fileDescriptor(input.fileDescriptor),
        stdout: output.map { .fileDescriptor($0.fileDescriptor) } ?? .capture, stderr: .discard)
    } catch {
      throw .unreadable(at, "cannot run \(argv[0]): \(error)")
    }
    guard r.status == 0 else { throw .unreadable(at, "\(argv[0]) failed on this member (exit \(r.status)): corrupt data?") }
    return r.stdout
  }

  /// The lower-case hex SHA-1 or SHA-256 of `member` (coreutils `sha1sum` / `sha256sum`).
  static func digest(_ algorithm: String, container: OVAContainer, member: String) throws(ReaderError) -> String {
    let out = try run([algorithm == "sha1" ? "sha1sum" : "sha256sum"], container: container, member: member)
    return String(out.prefix { $0.isHexDigit })
  }
}
