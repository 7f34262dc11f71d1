import Foundation
import Testing
import V2VProcess
import V2VTestSupport
@testable import V2VWriters

#if canImport(Glibc)
  import Glibc
#endif

/// Files for the streamer tests: sparse sources with data at chosen offsets, targets full of garbage.
enum StreamFiles {
  static let mib: UInt64 = 1 << 20

  /// A sparse file of `size` bytes with `pieces` (offset, bytes) written into it.
  static func sparse(_ path: String, size: UInt64, _ pieces: [(UInt64, [UInt8])]) throws {
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw FixtureError(description: "open \(path): errno \(errno)") }
    defer { close(fd) }
    #expect(ftruncate(fd, off_t(size)) == 0)
    for (offset, bytes) in pieces { #expect(pwrite(fd, bytes, bytes.count, off_t(offset)) == bytes.count) }
  }

  /// A fully allocated file of `size` bytes of `byte`.
  static func filled(_ path: String, size: UInt64, byte: UInt8 = 0xFF) throws {
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw FixtureError(description: "open \(path): errno \(errno)") }
    defer { close(fd) }
    let block = [UInt8](repeating: byte, count: Int(mib))
    for i in 0..<(size / mib) { #expect(pwrite(fd, block, block.count, off_t(i * mib)) == block.count) }
  }

  /// Deterministic non-zero pseudo-random bytes.
  static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
    var x = seed | 1
    return (0..<count).map { _ in
      x ^= x << 13
      x ^= x >> 7
      x ^= x << 17
      return UInt8(truncatingIfNeeded: x) | 1
    }
  }

  /// A 64 MiB source: an MBR-like sector, data across the head's end, 5 MiB of noise, 4 MiB of written
  /// zeros (allocated, so a zero chunk inside a data extent), and the last 4 KiB. Returns its data bytes.
  @discardableResult
  static func source(_ path: String) throws -> UInt64 {
    var mbr = noise(512, seed: 1)
    (mbr[510], mbr[511]) = (0x55, 0xAA)
    try sparse(
      path, size: 64 * mib,
      [
        (0, mbr), (mib - 100, noise(200, seed: 2)), (10 * mib, noise(5 << 20, seed: 3)),
        (40 * mib, [UInt8](repeating: 0, count: 4 << 20)), (64 * mib - 4096, noise(4096, seed: 4)),
      ])
    return 512 + 200 + (5 << 20) + 4096
  }

  /// `count` bytes of `path` at `offset`.
  static func read(_ path: String, at offset: UInt64, count: Int) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    var out = [UInt8](repeating: 0, count: count)
    let n = pread(fd, &out, count, off_t(offset))
    return Array(out.prefix(max(n, 0)))
  }

  /// Whether `count` bytes of `path` at `offset` all equal `byte` (a Bool: `#expect` on two large arrays
  /// would spend minutes computing their difference).
  static func all(_ path: String, at offset: UInt64, count: UInt64, are byte: UInt8) -> Bool {
    let bytes = read(path, at: offset, count: Int(count))
    return bytes.count == Int(count) && bytes.allSatisfy { $0 == byte }
  }

  static func sh(_ script: String) throws -> String {
    let r = try ProcessRunner.run(["sh", "-c", script])
    guard r.succeeded else { throw FixtureError(description: "\(script): \(r.stderr)") }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  static func sha256sum(_ command: String) throws -> String {
    String(try sh("\(command) | sha256sum").prefix(64))
  }

  static func allocated(_ path: String) -> UInt64 {
    var st = stat()
    _ = stat(path, &st)
    return UInt64(st.st_blocks) * 512
  }
}

@Suite("SHA-256 digest (OpenSSL EVP)", .offPool)
struct SHA256DigestTests {
  @Test("the FIPS 180-2 vectors: \"abc\" and the empty string")
  func knownVectors() {
    #expect(
      Array("abc".utf8).withUnsafeBytes { SHA256Digest.hex(of: $0) }
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256Digest().finalize() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  }

  @Test("a 9 MiB buffer fed in odd-sized pieces equals sha256sum of the same bytes")
  func matchesSha256sum() throws {
    let dir = try TempDir()
    let bytes = StreamFiles.noise(9 << 20 + 12345, seed: 7)
    let path = "\(dir.path)/buf"
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    let digest = SHA256Digest()
    bytes.withUnsafeBytes { all in
      var at = 0
      for size in [1, 63, 4096, 1 << 20, 3_000_001].cycled() {
        guard at < all.count else { break }
        let n = min(size, all.count - at)
        digest.update(UnsafeRawBufferPointer(rebasing: all[at..<at + n]))
        at += n
      }
    }
    #expect(digest.finalize() == (try StreamFiles.sha256sum("cat \(path)")))
  }
}

extension Array {
  /// The elements repeated without end.
  fileprivate func cycled() -> AnySequence<Element> {
    AnySequence(sequence(state: 0) { i -> Element? in
      defer { i = (i + 1) % count }
      return self[i]
    })
  }
}

@Suite("raw streamer (-o physical's data path)", .offPool)
struct RawStreamerTests {
  let mib = StreamFiles.mib

  @Test("a fresh image file: byte-identical, sparse, digest of the source, verified")
  func freshImage() throws {
    let dir = try TempDir()
    let (src, dst) = ("\(dir.path)/src.raw", "\(dir.path)/dst.img")
    let data = try StreamFiles.source(src)
    var seen: [UInt64] = []
    let r = try RawStreamer().stream(
      from: src, to: dst, length: 64 * mib, options: .init(targetIsFresh: true),
      progress: { done, total in
        #expect(total == 64 * mib)
        seen.append(done)
      }, isCancelled: { false })
    #expect(try StreamFiles.sh("cmp \(src) \(dst) && echo same") == "same")
    let allocated = StreamFiles.allocated(dst)
    #expect(allocated >= data && allocated <= data + mib + 64 << 10, "allocated \(allocated), data \(data)")
    #expect(r.sha256 == (try StreamFiles.sha256sum("cat \(src)")))
    #expect(r.verified && r.zeroMethod == "none" && r.zeroedBytes == 0 && r.tailWipedBytes == 0)
    #expect(r.dataBytesWritten + r.zeroedBytes + r.skippedBytes + r.unwrittenBytes == r.length)
    #expect(r.skippedBytes >= 50 * mib)  // the holes and the written-zero chunk
    #expect(seen == seen.sorted() && seen.last == 64 * mib)
  }

  @Test("a larger target full of 0xFF: image written, zeros made zero, last MiB wiped, the rest untouched")
  func garbageTarget() throws {
    let dir = try TempDir()
    let (src, dst) = ("\(dir.path)/src.raw", "\(dir.path)/dst.img")
    try StreamFiles.source(src)
    try StreamFiles.filled(dst, size: 80 * mib)
    let r = try RawStreamer().stream(from: src, to: dst, length: 64 * mib, options: .init(), progress: { _, _ in }, isCancelled: { false })
    #expect(try StreamFiles.sh("cmp -n \(64 * mib) \(src) \(dst) && echo same") == "same")
    #expect(StreamFiles.all(dst, at: 64 * mib, count: 15 * mib, are: 0xFF))
    #expect(StreamFiles.all(dst, at: 79 * mib, count: mib, are: 0))
    #expect(r.zeroedBytes > 50 * mib && r.skippedBytes == 0 && r.tailWipedBytes == mib)
    #expect(r.zeroMethod == "punch-hole")  // ext4 files
    #expect(r.sha256 == (try StreamFiles.sha256sum("{ cat \(src); head -c \(mib) /dev/zero; }")))
    #expect(r.verified)
  }

  @Test("a loop device full of 0xFF: BLKGETSIZE64 and the block-device zeroing")
  func loopDevice() throws {
    let dir = try TempDir()
    let (src, backing) = ("\(dir.path)/src.raw", "\(dir.path)/backing.img")
    try StreamFiles.source(src)
    try StreamFiles.filled(backing, size: 72 * mib)
    let dev = try LoopDevice.attach(backing, partitions: 0)
    defer { LoopDevice.detach(dev, partitions: 0) }
    let r = try RawStreamer().stream(from: src, to: dev, length: 64 * mib, options: .init(), progress: { _, _ in }, isCancelled: { false })
    print("RawStreamerTests.loopDevice: \(dev) zeroMethod=\(r.zeroMethod) zeroed=\(r.zeroedBytes) tail=\(r.tailWipedBytes)")
    #expect(try StreamFiles.sh("cmp -n \(64 * mib) \(src) \(dev) && echo same") == "same")
    #expect(StreamFiles.all(dev, at: 64 * mib, count: 7 * mib, are: 0xFF))
    #expect(StreamFiles.all(dev, at: 71 * mib, count: mib, are: 0))
    #expect(r.tailWipedBytes == mib && r.zeroedBytes > 50 * mib && r.verified)
    #expect(["punch-hole", "zero-range", "BLKZEROOUT", "write"].contains(r.zeroMethod))
  }

  @Test("cancelled after the first chunk: .cancelled, and the target's first MiB is blank")
  func cancelled() throws {
    let dir = try TempDir()
    let (src, dst) = ("\(dir.path)/src.raw", "\(dir.path)/dst.img")
    try StreamFiles.source(src)
    try StreamFiles.filled(dst, size: 64 * mib)
    try StreamFiles.sparse("\(dir.path)/mbr", size: 0, [(0, StreamFiles.read(src, at: 0, count: 512))])
    _ = try StreamFiles.sh("dd if=\(dir.path)/mbr of=\(dst) conv=notrunc status=none")  // a bootable-looking head
    var chunks = 0
    #expect {
      try RawStreamer().stream(
        from: src, to: dst, length: 64 * mib, options: .init(chunkBytes: Int(mib)), progress: { _, _ in chunks += 1 },
        isCancelled: { chunks >= 1 })
    } throws: { error in
      guard case .cancelled(dst, let done, 64 << 20) = error as? RawStreamer.StreamError else { return false }
      return done > 0 && done < 64 * mib && "\(error)".contains("will not boot")
    }
    #expect(StreamFiles.all(dst, at: 0, count: mib, are: 0))
  }

  @Test("a target smaller than the image: .tooSmall, and the target is untouched")
  func tooSmall() throws {
    let dir = try TempDir()
    let (src, dst) = ("\(dir.path)/src.raw", "\(dir.path)/dst.img")
    try StreamFiles.source(src)
    try StreamFiles.filled(dst, size: 32 * mib)
    let before = try StreamFiles.sha256sum("cat \(dst)")
    #expect(throws: RawStreamer.StreamError.tooSmall(path: dst, have: 32 * mib, need: 64 * mib)) {
      try RawStreamer().stream(from: src, to: dst, length: 64 * mib, options: .init(), progress: { _, _ in }, isCancelled: { false })
    }
    #expect(try StreamFiles.sha256sum("cat \(dst)") == before)
  }

  @Test("a byte changed on the target between write and read-back: .verifyFailed")
  func verifyFailure() throws {
    let dir = try TempDir()
    let (src, dst) = ("\(dir.path)/src.raw", "\(dir.path)/dst.img")
    try StreamFiles.source(src)
    var options = RawStreamer.Options(targetIsFresh: true)
    options.beforeVerify = { path in
      let fd = open(path, O_WRONLY)
      defer { close(fd) }
      var byte: UInt8 = 0x42
      guard pwrite(fd, &byte, 1, off_t(12 << 20)) == 1, fsync(fd) == 0 else { throw FixtureError(description: "corrupt") }
    }
    let expected = try StreamFiles.sha256sum("cat \(src)")
    #expect {
      try RawStreamer().stream(from: src, to: dst, length: 64 * mib, options: options, progress: { _, _ in }, isCancelled: { false })
    } throws: { error in
      guard case .verifyFailed(dst, expected, let actual) = error as? RawStreamer.StreamError else { return false }
      return actual != expected && actual.count == 64
    }
  }

  @Test("an unwritten range is left as it was and kept out of the digest; data in it is refused")
  func unwrittenRange() throws {
    let dir = try TempDir()
    let (src, dst) = ("\(dir.path)/src.raw", "\(dir.path)/dst.img")
    try StreamFiles.sparse(src, size: 64 * mib, [(0, StreamFiles.noise(4 << 20, seed: 5)), (63 * mib, StreamFiles.noise(Int(mib), seed: 6))])
    try StreamFiles.filled(dst, size: 64 * mib)
    let r = try RawStreamer().stream(
      from: src, to: dst, length: 64 * mib, options: .init(unwritten: 6 * mib..<62 * mib), progress: { _, _ in }, isCancelled: { false })
    #expect(r.unwrittenBytes == 56 * mib && r.verified)
    #expect(r.dataBytesWritten + r.zeroedBytes + r.skippedBytes + r.unwrittenBytes == r.length)
    #expect(StreamFiles.all(dst, at: 6 * mib, count: 56 * mib, are: 0xFF))
    #expect(try StreamFiles.sh("cmp -n \(6 * mib) \(src) \(dst) && cmp -i \(62 * mib) \(src) \(dst) && echo same") == "same")
    let kept = "{ head -c \(6 * mib) \(src); tail -c \(2 * mib) \(src); }"
    #expect(r.sha256 == (try StreamFiles.sha256sum(kept)))

    #expect {
      try RawStreamer().stream(
        from: src, to: dst, length: 64 * mib, options: .init(unwritten: 2 * mib..<62 * mib), progress: { _, _ in },
        isCancelled: { false })
    } throws: { error in
      (error as? RawStreamer.StreamError) == .unwrittenHasData(path: dst, offset: 2 * mib)
    }
  }

  @Test("error messages name the target, how far the copy got, and what state it is left in")
  func messages() {
    let e = RawStreamer.StreamError.io(
      path: "/dev/loop3", operation: "write", errno: ENOSPC, bytesDone: 1_288_490_189, length: 4 << 30, state: .headBlank)
    #expect(
      e.description
        == "/dev/loop3: write failed at 1.2 GiB of 4.0 GiB: No space left on device; the target's head (partition "
        + "table, boot sector) is blank, so it will not boot")
    #expect(
      RawStreamer.StreamError.tooSmall(path: "/dev/sdb", have: 1 << 30, need: 2 << 30).description
        == "/dev/sdb: too small: 1.0 GiB (1073741824 bytes), the image needs 2.0 GiB (2147483648 bytes); the target was not changed")
  }
}

/// `Benchmarks/v2p-write-bench.sh` runs this with `V2V_BENCH_SOURCE`, `V2V_BENCH_TARGET` (and
/// `V2V_BENCH_FRESH=1` for an image file); it prints one `BENCH` line.
@Suite("raw streamer benchmark", .offPool, .enabled(if: ProcessInfo.processInfo.environment["V2V_BENCH_SOURCE"] != nil))
struct RawStreamerBenchmark {
  @Test("stream V2V_BENCH_SOURCE onto V2V_BENCH_TARGET")
  func bench() throws {
    let env = ProcessInfo.processInfo.environment
    let (src, dst) = (env["V2V_BENCH_SOURCE"]!, env["V2V_BENCH_TARGET"]!)
    var st = stat()
    _ = stat(src, &st)
    let start = Date()
    let r = try RawStreamer().stream(
      from: src, to: dst, length: UInt64(st.st_size), options: .init(targetIsFresh: env["V2V_BENCH_FRESH"] == "1"),
      progress: { _, _ in }, isCancelled: { false })
    let total = Date().timeIntervalSince(start)
    let secs = [total, r.writeSeconds, r.verifySeconds].map { String(format: "%.2f", $0) }
    print(
      "BENCH total=\(secs[0]) write=\(secs[1]) verify=\(secs[2]) data=\(r.dataBytesWritten) zeroed=\(r.zeroedBytes) "
        + "skipped=\(r.skippedBytes) method=\(r.zeroMethod)")
    #expect(r.verified)
  }
}
