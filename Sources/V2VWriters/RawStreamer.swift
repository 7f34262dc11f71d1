import Foundation
import V2VCore

#if canImport(Glibc)
  import Glibc
#endif

/// Streams a raw disk image onto a target (a block device or an image file) for `-o physical` (V2P): sparsely,
/// the head (partition tables, boot sector) last, then reads the target back and compares SHA-256 digests.
///
/// The order keeps a half-written target harmless: the head is blanked and synced *first*, so while the copy
/// runs, and after any failure or cancellation, the target has no partition table and does not boot; the
/// real head is written only after everything else is on the device.
public struct RawStreamer {
  /// How to stream.
  public struct Options {
    /// Bytes read, checked for zeros and written at a time.
    public var chunkBytes: Int
    /// The head, `[0, headBytes)`: blanked first, written last (1 MiB holds MBR, GPT and the usual boot gap).
    public var headBytes: Int
    /// The target is a new sparse file: its holes read as zeros, so the image's zero ranges are skipped.
    /// Only honoured for a regular file with no blocks allocated; any other target is treated as not fresh.
    public var targetIsFresh: Bool
    /// A range of the image the caller knows is all zeros and wants left alone (a disk fitted to a larger
    /// target holds nothing between the end of its data and its last MiB): neither written, zeroed, hashed
    /// nor read back, so the target keeps whatever it held there. Clamped to `[headBytes, length)`; data
    /// found in it is an error (``StreamError/unwrittenHasData(path:offset:)``).
    public var unwritten: Range<UInt64>?
    /// Test seam: called with the target's path after the write, before the read-back.
    var beforeVerify: ((String) throws -> Void)? = nil

    /// Creates options; the defaults suit disks.
    public init(
      chunkBytes: Int = 4 << 20, headBytes: Int = 1 << 20, targetIsFresh: Bool = false, unwritten: Range<UInt64>? = nil
    ) {
      self.chunkBytes = max(chunkBytes, 4096)
      self.headBytes = max(headBytes, 0)
      self.targetIsFresh = targetIsFresh
      self.unwritten = unwritten
    }
  }

  /// What a stream did. `dataBytesWritten + zeroedBytes + skippedBytes + unwrittenBytes == length` (the head
  /// counts as data).
  public struct Report: Sendable, Codable, Equatable {
    /// Bytes of the image, `[0, length)`.
    public var length: UInt64
    /// Bytes written from the image (non-zero chunks and the whole head).
    public var dataBytesWritten: UInt64
    /// Zero ranges of the image made zero on a target that was not fresh.
    public var zeroedBytes: UInt64
    /// Zero ranges of the image skipped on a fresh target (they are holes there).
    public var skippedBytes: UInt64
    /// Bytes of ``Options/unwritten`` (after clamping): left as they were on the target.
    public var unwrittenBytes: UInt64
    /// Bytes zeroed past `length` at the end of a larger target (an old backup GPT lives there).
    public var tailWipedBytes: UInt64
    public var writeSeconds: Double
    public var verifySeconds: Double
    /// SHA-256 (hex) of the intended content: the image `[0, length)` without the unwritten range, followed by
    /// `tailWipedBytes` zeros; i.e. of the target's bytes `[0, length)` (minus the unwritten range) and
    /// `[size - tailWipedBytes, size)`, read in that order. Without either, `sha256sum` of the image.
    public var sha256: String
    /// The target was read back and its digest equals `sha256`.
    public var verified: Bool
    /// How zero ranges were made zero: "punch-hole", "zero-range", "BLKZEROOUT", "write", or "none".
    public var zeroMethod: String
  }

  /// Why a stream failed; every message names the target, how far the copy got and what state it is left in.
  public enum StreamError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What the target holds after a failure.
    public enum TargetState: String, Sendable { case untouched, blanking, headBlank, written }
    case cancelled(path: String, bytesDone: UInt64, length: UInt64)
    case io(path: String, operation: String, errno: Int32, bytesDone: UInt64, length: UInt64, state: TargetState)
    case tooSmall(path: String, have: UInt64, need: UInt64)
    case verifyFailed(path: String, expected: String, actual: String)
    case unwrittenHasData(path: String, offset: UInt64)

    public var description: String {
      let blank = "the target's head (partition table, boot sector) is blank, so it will not boot"
      switch self {
      case .cancelled(let path, let done, let length):
        return "\(path): cancelled at \(ByteFormat.human(done)) of \(ByteFormat.human(length)); \(blank)"
      case .io(let path, let op, let code, let done, let length, let state):
        let why = String(cString: strerror(code))
        switch state {
        case .untouched: return "\(path): \(op) failed: \(why); the target was not changed"
        case .blanking: return "\(path): \(op) failed: \(why); the target's head may be partly blank, so it may not boot"
        case .headBlank:
          return "\(path): \(op) failed at \(ByteFormat.human(done)) of \(ByteFormat.human(length)): \(why); \(blank)"
        case .written:
          return "\(path): \(op) failed at \(ByteFormat.human(done)) of \(ByteFormat.human(length)): \(why); "
            + "the whole image was written but not confirmed"
        }
      case .tooSmall(let path, let have, let need):
        return "\(path): too small: \(ByteFormat.human(have)) (\(have) bytes), the image needs \(ByteFormat.human(need)) "
          + "(\(need) bytes); the target was not changed"
      case .verifyFailed(let path, let expected, let actual):
        return "\(path): read-back verification failed: wrote sha256 \(expected), read back \(actual); "
          + "the target does not hold the image"
      case .unwrittenHasData(let path, let offset):
        return "\(path): the image has data at \(ByteFormat.human(offset)) (byte \(offset)), in the range said to "
          + "hold none; \(blank)"
      }
    }
  }

  public init() {}

  /// Streams `rawPath`'s `[0, length)` onto `target` (bytes past the source's end are zeros). Calls
  /// `progress(done, length)` after each chunk or hole and stops with ``StreamError/cancelled(path:bytesDone:length:)``
  /// when `isCancelled()` says so before a chunk (also while reading back: the head is blanked again then).
  ///
  /// The target is opened read-write, never truncated; a block device with `O_EXCL`, so one that is mounted
  /// (or has a mounted partition) is refused with `EBUSY`.
  public func stream(
    from rawPath: String, to target: String, length: UInt64, options: Options = Options(),
    progress: (UInt64, UInt64) -> Void = { _, _ in }, isCancelled: () -> Bool = { false }
  ) throws -> Report {
    let src = open(rawPath, O_RDONLY | O_CLOEXEC)
    guard src >= 0 else { throw StreamError.io(path: rawPath, operation: "open", errno: errno, bytesDone: 0, length: length, state: .untouched) }
    defer { close(src) }
    let run = try Run(target: target, length: length, options: options)
    defer { close(run.fd) }
    return try run.stream(src: src, srcPath: rawPath, progress: progress, isCancelled: isCancelled)
  }
}

/// `ioctl` numbers from <linux/fs.h>: Swift cannot import the `_IO`/`_IOR` macros that define them.
private enum BlockIoctl {
  /// `BLKGETSIZE64 = _IOR(0x12, 114, size_t)`: the device's size in bytes.
  static let getSize64: UInt = 0x8008_1272
  /// `BLKZEROOUT = _IO(0x12, 127)`: zero `{start, length}` (bytes, 512-aligned), with the device's fastest way.
  static let zeroOut: UInt = 0x127f
  /// `BLKFLSBUF = _IO(0x12, 97)`: write back and drop the device's buffer cache.
  static let flushBuffers: UInt = 0x1261
}

/// `fallocate(2)` modes (<linux/falloc.h>) and `lseek` whences that glibc declares only under `_GNU_SOURCE`.
private let fallocKeepSize: Int32 = 0x01, fallocPunchHole: Int32 = 0x02, fallocZeroRange: Int32 = 0x10
private let seekData: Int32 = 3, seekHole: Int32 = 4

/// `fallocate(2)`: Swift's Glibc module is built without `_GNU_SOURCE`, which hides it, so it is looked up by name.
private let linuxFallocate = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "fallocate").map {
  unsafeBitCast($0, to: (@convention(c) (Int32, Int32, Int64, Int64) -> Int32).self)
}

/// One stream: the open target and what has been done to it.
private final class Run {
  enum ZeroMethod: String { case punchHole = "punch-hole", zeroRange = "zero-range", blkZeroOut = "BLKZEROOUT", write }
  typealias StreamError = RawStreamer.StreamError

  let path: String, fd: Int32, length: UInt64, options: RawStreamer.Options
  let isBlock: Bool, fresh: Bool, size: UInt64, headLength: Int, skip: Range<UInt64>
  var state = StreamError.TargetState.untouched
  var report: RawStreamer.Report
  var methods: [ZeroMethod], methodIndex = 0, usedMethod: ZeroMethod?
  let zeros: UnsafeMutableRawBufferPointer, buffer: UnsafeMutableRawBufferPointer, head: UnsafeMutableRawBufferPointer

  /// Opens `target` (never truncating it) and checks its size; a fresh file grows to `length`.
  init(target: String, length: UInt64, options: RawStreamer.Options) throws {
    func fail(_ op: String, _ code: Int32) -> StreamError {
      .io(path: target, operation: op, errno: code, bytesDone: 0, length: length, state: .untouched)
    }
    var st = stat()
    let exists = stat(target, &st) == 0
    guard exists || (errno == ENOENT && options.targetIsFresh) else { throw fail("stat", errno) }
    // O_EXCL on a block device: refuse one that is mounted or otherwise held (also through a partition).
    let blockFlags = exists && (st.st_mode & S_IFMT) == S_IFBLK ? O_EXCL : 0
    let fd = open(target, O_RDWR | O_CLOEXEC | blockFlags | (options.targetIsFresh ? O_CREAT : 0), 0o644)
    guard fd >= 0 else { throw fail("open", errno) }
    var ok = false
    defer { if !ok { close(fd) } }
    guard fstat(fd, &st) == 0 else { throw fail("stat", errno) }
    isBlock = (st.st_mode & S_IFMT) == S_IFBLK
    guard isBlock || (st.st_mode & S_IFMT) == S_IFREG else { throw fail("open (not a file or block device)", ENOTBLK) }
    var size = UInt64(st.st_size)
    if isBlock { guard ioctl(fd, BlockIoctl.getSize64, &size) == 0 else { throw fail("BLKGETSIZE64", errno) } }
    fresh = options.targetIsFresh && !isBlock && st.st_blocks == 0
    if size < length {
      guard fresh else { throw StreamError.tooSmall(path: target, have: size, need: length) }
      guard ftruncate(fd, off_t(length)) == 0 else { throw fail("truncate", errno) }
      size = length
    }
    ok = true
    (self.path, self.fd, self.length, self.options, self.size) = (target, fd, length, options, size)
    headLength = Int(min(UInt64(options.headBytes), length))
    let lower = max(options.unwritten?.lowerBound ?? length, UInt64(headLength))
    skip = min(lower, length)..<max(min(lower, length), min(options.unwritten?.upperBound ?? 0, length))
    methods = isBlock ? [.punchHole, .zeroRange, .blkZeroOut, .write] : [.punchHole, .zeroRange, .write]
    let tail = size > length ? size - max(length, size - min(size, 1 << 20)) : 0
    report = .init(
      length: length, dataBytesWritten: 0, zeroedBytes: 0, skippedBytes: 0, unwrittenBytes: UInt64(skip.count),
      tailWipedBytes: tail, writeSeconds: 0,
      verifySeconds: 0, sha256: "", verified: false, zeroMethod: "none")
    zeros = .allocate(byteCount: options.chunkBytes, alignment: 4096)
    zeros.initializeMemory(as: UInt8.self, repeating: 0)
    buffer = .allocate(byteCount: options.chunkBytes, alignment: 4096)
    head = .allocate(byteCount: max(headLength, 1), alignment: 4096)
    head.initializeMemory(as: UInt8.self, repeating: 0)
  }

  deinit { [zeros, buffer, head].forEach { $0.deallocate() } }

  func failure(_ op: String, _ code: Int32, at done: UInt64) -> StreamError {
    .io(path: path, operation: op, errno: code, bytesDone: done, length: length, state: state)
  }

  /// Writes `count` bytes at `offset`, through short writes and interruptions.
  func writeAll(_ bytes: UnsafeRawPointer, count: Int, at offset: UInt64, done: UInt64) throws {
    var written = 0
    while written < count {
      let n = pwrite(fd, bytes + written, count - written, off_t(offset) + off_t(written))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw failure("write", n == 0 ? ENOSPC : errno, at: done) }
      written += n
    }
  }

  /// Reads up to `count` bytes at `offset` into `buffer`; past the end of `fd` the buffer is zero-filled.
  func readFull(_ from: Int32, count: Int, at offset: UInt64, op: String) throws {
    var got = 0
    while got < count {
      let n = pread(from, buffer.baseAddress! + got, count - got, off_t(offset) + off_t(got))
      if n < 0 && errno == EINTR { continue }
      guard n >= 0 else { throw failure(op, errno, at: offset) }
      if n == 0 { break }
      got += n
    }
    if got < count { (buffer.baseAddress! + got).initializeMemory(as: UInt8.self, repeating: 0, count: count - got) }
  }

  func sync(done: UInt64) throws {
    while fdatasync(fd) != 0 { guard errno == EINTR else { throw failure("sync", errno, at: done) } }
  }

  /// Makes `[offset, offset + count)` of the target read as zeros, with the first method that works (the
  /// cheap ones free or discard the range; unsupported ones are dropped for the rest of the run).
  func zeroTarget(_ offset: UInt64, _ count: UInt64) throws {
    var i = methodIndex
    while i < methods.count {
      var rc: Int32 = 0
      switch methods[i] {
      case .punchHole, .zeroRange:
        let mode = (methods[i] == .punchHole ? fallocPunchHole : fallocZeroRange) | fallocKeepSize
        if let fallocate = linuxFallocate { rc = fallocate(fd, mode, Int64(offset), Int64(count)) } else { (rc, errno) = (-1, ENOSYS) }
      case .blkZeroOut:
        var range: (UInt64, UInt64) = (offset, count)
        rc = ioctl(fd, BlockIoctl.zeroOut, &range)
      case .write:
        try writeZeros(offset, count)
      }
      if rc == 0 {
        usedMethod = usedMethod ?? methods[i]
        return
      }
      let code = errno
      if code == EINTR { continue }
      // Unsupported: never again. EINVAL (e.g. an unaligned range): the next method, for this range only.
      if [EOPNOTSUPP, ENOTTY, ENOSYS].contains(code) && i == methodIndex { methodIndex += 1 }
      guard [EOPNOTSUPP, ENOTTY, ENOSYS, EINVAL].contains(code) else { throw failure("zero \(methods[i])", code, at: offset) }
      i += 1
    }
  }

  /// The zero range `[from, to)` of the image, in steps with progress: head bytes stay in `head` (zeros
  /// already), the rest is skipped on a fresh target or made zero on another.
  func hole(_ from: UInt64, _ to: UInt64, hash: SHA256Digest, progress: (UInt64, UInt64) -> Void, isCancelled: () -> Bool) throws {
    var at = from
    while at < to {
      if isCancelled() { throw StreamError.cancelled(path: path, bytesDone: at, length: length) }
      var end = min(to, at + 64 << 20)
      if skip.contains(at) {
        at = min(to, skip.upperBound)
        progress(at, length)
        continue
      }
      if at < skip.lowerBound { end = min(end, skip.lowerBound) }
      let outside = max(at, UInt64(headLength))
      if outside < end {
        if fresh { report.skippedBytes += end - outside } else {
          try zeroTarget(outside, end - outside)
          report.zeroedBytes += end - outside
        }
      }
      hashZeros(end - at, into: hash)
      at = end
      progress(at, length)
    }
  }

  /// Non-zero image bytes at `offset`: hashed, kept for the head or written.
  func data(_ bytes: UnsafeMutableRawPointer, count: Int, at offset: UInt64, hash: SHA256Digest) throws {
    hash.update(UnsafeRawBufferPointer(start: bytes, count: count))
    let inHead = Int(min(UInt64(count), UInt64(headLength) - min(offset, UInt64(headLength))))
    if inHead > 0 { (head.baseAddress! + Int(offset)).copyMemory(from: bytes, byteCount: inHead) }
    if inHead < count { try writeAll(bytes + inHead, count: count - inHead, at: offset + UInt64(inHead), done: offset) }
    report.dataBytesWritten += UInt64(count - inHead)
  }

  func hashZeros(_ count: UInt64, into hash: SHA256Digest) {
    var done: UInt64 = 0
    while done < count {
      let n = Int(min(UInt64(zeros.count), count - done))
      hash.update(UnsafeRawBufferPointer(rebasing: zeros[0..<n]))
      done += UInt64(n)
    }
  }

  /// Writes zeros over `[offset, offset + count)`.
  func writeZeros(_ offset: UInt64, _ count: UInt64) throws {
    var at: UInt64 = 0
    while at < count {
      let n = Int(min(UInt64(zeros.count), count - at))
      try writeAll(zeros.baseAddress!, count: n, at: offset + at, done: offset)
      at += UInt64(n)
    }
  }

  func stream(src: Int32, srcPath: String, progress: (UInt64, UInt64) -> Void, isCancelled: () -> Bool) throws -> RawStreamer.Report {
    let started = ContinuousClock.now
    let hash = SHA256Digest()
    // b. The head blank first (and the old tail, where a backup GPT may live), durably, before any data.
    state = .blanking
    if !fresh {
      try writeZeros(0, UInt64(headLength))
      if report.tailWipedBytes > 0 { try zeroTarget(size - report.tailWipedBytes, report.tailWipedBytes) }
      try sync(done: 0)
    }
    state = .headBlank
    // c, d. Data extents chunk by chunk (all-zero chunks are holes too), holes as ranges; hashed in order.
    var pos: UInt64 = 0
    while pos < length {
      let dataStart = min(seek(src, pos, seekData), length)
      if dataStart > pos {
        try hole(pos, dataStart, hash: hash, progress: progress, isCancelled: isCancelled)
        pos = dataStart
        continue
      }
      var dataEnd = min(seek(src, pos, seekHole), length)
      if dataEnd <= pos { dataEnd = min(pos + UInt64(options.chunkBytes), length) }  // the source changed under us
      while pos < dataEnd {
        if isCancelled() { throw StreamError.cancelled(path: path, bytesDone: pos, length: length) }
        let n = Int(min(UInt64(options.chunkBytes), dataEnd - pos))
        try readFull(src, count: n, at: pos, op: "read of \(srcPath)")
        // The chunk's parts before, in and after the unwritten range.
        let cuts = [pos, min(max(skip.lowerBound, pos), pos + UInt64(n)), min(max(skip.upperBound, pos), pos + UInt64(n)), pos + UInt64(n)]
        for (i, (a, b)) in zip(cuts, cuts.dropFirst()).enumerated() where a < b {
          let part = buffer.baseAddress! + Int(a - pos)
          let isZero = memcmp(part, zeros.baseAddress!, Int(b - a)) == 0
          if i == 1 {
            guard isZero else { throw StreamError.unwrittenHasData(path: path, offset: a) }
          } else if isZero {
            try hole(a, b, hash: hash, progress: { _, _ in }, isCancelled: { false })
          } else {
            try data(part, count: Int(b - a), at: a, hash: hash)
          }
        }
        pos += UInt64(n)
        progress(pos, length)
      }
    }
    // e. Everything else durable, then the head, durable too.
    try sync(done: length)
    try writeAll(head.baseAddress!, count: headLength, at: 0, done: length)
    try sync(done: length)
    state = .written
    report.dataBytesWritten += UInt64(headLength)
    report.zeroMethod = usedMethod?.rawValue ?? "none"
    hashZeros(report.tailWipedBytes, into: hash)
    report.sha256 = hash.finalize()
    report.writeSeconds = seconds(since: started)
    try options.beforeVerify?(path)
    // f. Read back from the device, not the page cache.
    let verifyStarted = ContinuousClock.now
    _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
    if isBlock { _ = ioctl(fd, BlockIoctl.flushBuffers) }
    let check = SHA256Digest()
    let ranges = [(0, skip.lowerBound), (skip.upperBound, length), (size - report.tailWipedBytes, size)]
    for (from, count) in ranges.map({ ($0.0, $0.1 - $0.0) }) {
      var at: UInt64 = 0
      while at < count {
        if isCancelled() {  // the head was written: blank it again, as a cancelled stream promises
          try writeZeros(0, UInt64(headLength))
          try sync(done: length)
          throw StreamError.cancelled(path: path, bytesDone: length, length: length)
        }
        let n = Int(min(UInt64(options.chunkBytes), count - at))
        try readTarget(count: n, at: from + at)
        check.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        at += UInt64(n)
      }
    }
    let actual = check.finalize()
    guard actual == report.sha256 else { throw StreamError.verifyFailed(path: path, expected: report.sha256, actual: actual) }
    report.verified = true
    report.verifySeconds = seconds(since: verifyStarted)
    return report
  }

  /// Reads exactly `count` bytes of the target at `offset` into `buffer`; the target ending early is an error.
  func readTarget(count: Int, at offset: UInt64) throws {
    var got = 0
    while got < count {
      let n = pread(fd, buffer.baseAddress! + got, count - got, off_t(offset) + off_t(got))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw failure("read back", n == 0 ? EIO : errno, at: offset) }
      got += n
    }
  }

  /// The next data (or hole) offset at or after `offset`; past the last data, `UInt64.max`. A filesystem
  /// without SEEK_DATA reports everything as data.
  func seek(_ src: Int32, _ offset: UInt64, _ whence: Int32) -> UInt64 {
    let r = lseek(src, off_t(offset), whence)
    if r >= 0 { return UInt64(r) }
    return whence == seekData && errno != ENXIO ? offset : UInt64.max
  }

  func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
  }
}
