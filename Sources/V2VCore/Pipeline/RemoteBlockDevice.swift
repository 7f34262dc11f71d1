import Foundation
import V2VModel
import V2VProcess

/// A remote *block device* (`ssh://root@host/dev/sda`), read with the system OpenSSH client.
///
/// Why not nbdkit's ssh plugin (which serves remote regular files): it reads over SFTP, and SFTP reports a
/// device's `st_size`, which is 0, so every SFTP reader sees an empty disk. Instead v2v
/// 1. asks the remote shell what the path is and how big (``probeScript``: `blockdev --getsize64`, or
///    `/sys/class/block/NAME/size` × 512), one short `ssh` exec that also shows a bad key, host key or path;
/// 2. streams the device once (`cat PATH` over `ssh`) into a sparse raw image in the work directory, with
///    progress, and checks that exactly the device's size arrived;
/// 3. converts that local image (it is the read-only backing file of the conversion's overlay) and removes
///    it at the end, on failure and on cancel.
/// The ssh options mirror the nbdkit path: keys only (`BatchMode`), the host key always checked
/// (`StrictHostKeyChecking=yes`, `--ssh-known-hosts`), the same connect timeout.
public enum RemoteBlockDevice {
  /// What the remote shell says the path is.
  public enum Probe: Equatable, Sendable {
    /// A block device of this many bytes (nil: the size could not be read).
    case block(UInt64?)
    /// A regular file (an image: nbdkit's ssh plugin reads it).
    case file
    /// Nothing at that path.
    case missing
    /// A block device the remote user may not read.
    case unreadable
    /// Something else (`character device`, `directory`, `special file`).
    case other(String)
  }

  /// Run by `sh -c` on the remote machine with the path as `$1`; prints one `v2v-probe …` line. No single
  /// quotes in it (it is sent single-quoted).
  public static let probeScript = """
    p=$1
    if [ ! -e "$p" ]; then echo v2v-probe missing
    elif [ -b "$p" ]; then
      if [ ! -r "$p" ]; then echo v2v-probe unreadable; exit 0; fi
      s=$(blockdev --getsize64 "$p" 2>/dev/null) || s=
      if [ -z "$s" ]; then n=$(basename "$(readlink -f "$p")"); s=$(cat "/sys/class/block/$n/size" 2>/dev/null) && s=$((s * 512)); fi
      echo "v2v-probe block ${s:-unknown}"
    elif [ -f "$p" ]; then echo v2v-probe file
    elif [ -c "$p" ]; then echo v2v-probe other character device
    elif [ -d "$p" ]; then echo v2v-probe other directory
    else echo v2v-probe other special file
    fi
    """

  /// `text` quoted for a POSIX shell (the remote login shell parses the command ssh sends).
  public static func shellQuote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

  /// The remote command that probes `path`.
  public static func probeCommand(_ path: String) -> String { "sh -c " + shellQuote(probeScript) + " v2v-probe " + shellQuote(path) }

  /// The remote command that writes the device to standard output, once (`cat`: on every rescue system,
  /// busybox included; it stops at the device's end).
  public static func streamCommand(_ path: String) -> String { "exec cat -- " + shellQuote(path) }

  /// The `ssh` command line running `remoteCommand` on `uri`'s host: keys only, no prompt, the host key
  /// checked (never added), the connect timeout of the nbdkit path, a dead link noticed within a minute.
  public static func sshArguments(_ uri: SSHDiskURI, options: SSHOptions, remoteCommand: String) -> [String] {
    var argv = [
      "ssh", "-T", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UpdateHostKeys=no",
      "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
      "-o", "ConnectTimeout=\(options.timeoutSeconds)", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4",
      "-o", "LogLevel=ERROR", "-o", "Ciphers=^aes128-gcm@openssh.com",
    ]
    if let k = options.knownHosts { argv += ["-o", "UserKnownHostsFile=\(RemoteSources.absolute(k))"] }
    if let i = options.identity { argv += ["-i", RemoteSources.absolute(i)] }
    if let p = uri.port { argv += ["-p", String(p)] }
    if let u = uri.user { argv += ["-l", u] }
    return argv + ["--", uri.host, remoteCommand]
  }

  /// Parses the probe's output (its `v2v-probe` line); nil when there is none.
  public static func parseProbe(_ output: String) -> Probe? {
    guard let line = output.split(whereSeparator: \.isNewline).last(where: { $0.hasPrefix("v2v-probe ") }) else { return nil }
    let words = line.split(separator: " ").dropFirst().map(String.init)
    switch words.first {
    case "missing": return .missing
    case "unreadable": return .unreadable
    case "file": return .file
    case "block": return .block(words.count > 1 ? UInt64(words[1]) : nil)
    case "other": return .other(words.dropFirst().joined(separator: " "))
    default: return nil
    }
  }

  /// The class and the one line for what `ssh` printed on standard error when it failed (OpenSSH 9's
  /// wording; `status` 255 is ssh's own failure, anything else the remote command's).
  public static func classify(sshStderr text: String, status: Int32, uri: SSHDiskURI, options: SSHOptions) -> (RemoteSourceError.Kind, String) {
    let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    let all = lines.joined(separator: "\n").lowercased()
    if all.contains("remote host identification has changed") || all.contains("has changed and you have requested strict checking") {
      return (.hostKeyMismatch, RemoteSources.hostKeyMismatchLine(uri, options))
    }
    if all.contains("host key verification failed") || all.contains("host key is known for") {
      return (.hostKeyUnknown, RemoteSources.hostKeyUnknownLine(uri, options))
    }
    if all.contains("permission denied (") || all.contains("too many authentication failures")
      || all.contains("no more authentication methods")
    {
      return (.authenticationFailed, RemoteSources.authenticationLine(uri, options))
    }
    let last = lines.last ?? ""
    if status == 255, all.contains("connection refused") || all.contains("timed out") || all.contains("no route to host")
      || all.contains("network is unreachable") || all.contains("could not resolve hostname")
      || all.contains("connection closed by") || all.contains("connection reset")
    {
      var why = last
      if let r = last.range(of: ": ", options: .backwards) { why = String(last[r.upperBound...]) }
      return (.unreachable, RemoteSources.unreachableLine(uri, why.lowercased()))
    }
    if all.contains("no such file") { return (.noSuchPath, RemoteSources.noSuchPathLine(uri)) }
    if all.contains("permission denied") { return (.permissionDenied, RemoteSources.permissionLine(uri)) }
    if last.isEmpty { return (.failed, "ssh exited with status \(status) (no message)") }
    return (.failed, "cannot read the remote disk: \(last)")
  }

  /// The refusal when `available` bytes in `directory` cannot hold a `needed`-byte image; nil when they can.
  public static func spaceError(uri: String, needed: UInt64, available: UInt64, directory: String) -> RemoteSourceError? {
    guard available < needed else { return nil }
    return RemoteSourceError(
      uri: uri, kind: .workSpace,
      detail: "the remote block device is copied to the work directory first and needs \(ByteFormat.human(needed)) there; "
        + "\(directory) has \(ByteFormat.human(available)) free: choose a larger one with --work-dir (or TMPDIR)")
  }

  /// Free bytes for this user in the filesystem of `directory` (nil if it cannot be read).
  static func availableBytes(_ directory: String) -> UInt64? {
    var s = statvfs()
    guard statvfs(directory, &s) == 0 else { return nil }
    return UInt64(s.f_bavail) * UInt64(s.f_frsize)
  }

  /// Asks the remote machine what `uri`'s path is (one `ssh` exec, seconds).
  static func probe(_ uri: SSHDiskURI, text: String, options: SSHOptions) throws -> Probe {
    let argv = sshArguments(uri, options: options, remoteCommand: probeCommand(uri.path))
    let r = try ProcessRunner.run(argv, timeout: Double(options.timeoutSeconds * 3 + 20))
    if r.timedOut {
      throw RemoteSourceError(uri: text, kind: .unreachable, detail: RemoteSources.unreachableLine(uri, "timed out"))
    }
    if r.status == 0, let p = parseProbe(r.stdout) { return p }
    let (kind, line) = classify(sshStderr: r.stderr, status: r.status, uri: uri, options: options)
    throw RemoteSourceError(uri: text, kind: kind, detail: line)
  }

  /// Streams the remote device `uri` (`size` bytes) into a new sparse raw file `image`, reporting progress;
  /// throws (with `image` removed) on any failure, including a byte count other than `size`.
  static func copy(_ uri: SSHDiskURI, text: String, options: SSHOptions, size: UInt64, to image: String, events: JobEvents?) throws {
    let argv = sshArguments(uri, options: options, remoteCommand: streamCommand(uri.path))
    events?.emit(.detail("remote block device: \(argv.joined(separator: " ")) > \(image)"))
    var fds: [Int32] = [0, 0]
    // Close-on-exec, so that no other child inherits the write end (pipe2 is not visible to Swift here).
    guard pipe(&fds) == 0, fcntl(fds[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(fds[1], F_SETFD, FD_CLOEXEC) == 0 else {
      throw RemoteSourceError(uri: text, kind: .failed, detail: "cannot create a pipe: \(String(cString: strerror(errno)))")
    }
    let (readEnd, writeEnd) = (fds[0], fds[1])
    let fd = open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      let why = String(cString: strerror(errno))
      close(readEnd)
      close(writeEnd)
      throw RemoteSourceError(uri: text, kind: .failed, detail: "cannot create \(image): \(why)")
    }
    // ssh runs on a thread of its own (ProcessRunner blocks its caller); this thread reads the pipe. The
    // write end is closed once ssh has exited, which ends the reads. The job's process observer is bound
    // there too, so a cancel kills ssh.
    let observer = ProcessTracking.observer
    let outcome = SSHOutcome()
    let thread = Thread {
      let r = Result {
        try ProcessTracking.$observer.withValue(observer) {
          try ProcessRunner.run(argv, input: .none, stdout: .fileDescriptor(writeEnd), stderr: .capture)
        }
      }
      close(writeEnd)
      outcome.finish(r)
    }
    thread.start()

    var writer = SparseWriter(fd: fd)
    var failure: Error?
    let chunk = 1 << 20
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
    defer { buffer.deallocate() }
    var filled = 0
    var lastFraction = -1.0
    var lastEmit = Date.distantPast
    let label = "Reading \(text)"
    events?.emit(.progress(label: label, fraction: 0, totalBytes: size))
    reading: while true {
      let n = read(readEnd, buffer.baseAddress! + filled, chunk - filled)
      if n < 0 {
        if errno == EINTR { continue }
        failure = RemoteSourceError(uri: text, kind: .failed, detail: "reading from ssh: \(String(cString: strerror(errno)))")
        break
      }
      if n > 0 { filled += n }
      if filled == chunk || (n == 0 && filled > 0) {
        do { try writer.write(UnsafeRawBufferPointer(rebasing: buffer[0..<filled])) } catch {
          failure = RemoteSourceError(uri: text, kind: .failed, detail: "writing \(image): \(error)")
          break reading
        }
        filled = 0
        let f = size > 0 ? min(1, Double(writer.offset) / Double(size)) : 1
        let now = Date()
        if f - lastFraction >= 0.01 || now.timeIntervalSince(lastEmit) >= 1 {
          events?.emit(.progress(label: label, fraction: f, totalBytes: size))
          lastFraction = f
          lastEmit = now
        }
      }
      if n == 0 { break }
    }
    close(readEnd)  // on an early stop, ssh's next write fails and it exits
    let ran = outcome.wait()
    if failure == nil {
      do { try writer.finish() } catch { failure = RemoteSourceError(uri: text, kind: .failed, detail: "writing \(image): \(error)") }
    }
    close(fd)
    do {
      if let failure { throw failure }
      let r = try ran.get()
      if r.timedOut || r.status != 0 {
        let (kind, line) = classify(sshStderr: r.stderr, status: r.status, uri: uri, options: options)
        throw RemoteSourceError(uri: text, kind: kind, detail: line)
      }
      guard writer.offset == size else {
        throw RemoteSourceError(
          uri: text, kind: .failed,
          detail: "short read: \(writer.offset) of \(size) bytes of \(uri.path) arrived (the connection or the device failed mid-copy)")
      }
    } catch {
      unlink(image)
      throw error
    }
    if lastFraction < 1 { events?.emit(.progress(label: label, fraction: 1, totalBytes: size)) }
  }
}

/// How the ssh thread of ``RemoteBlockDevice/copy`` ended.
final class SSHOutcome: @unchecked Sendable {
  private let cond = NSCondition()
  private var result: Result<ProcessRunner.Result, any Error>?

  func finish(_ r: Result<ProcessRunner.Result, any Error>) {
    cond.withLock {
      result = r
      cond.broadcast()
    }
  }

  func wait() -> Result<ProcessRunner.Result, any Error> {
    cond.withLock {
      while result == nil { cond.wait() }
      return result!
    }
  }
}

/// Writes a stream to a file at increasing offsets, leaving holes for all-zero 64 KiB blocks (the
/// unused parts of a disk cost no space in the work directory); ``finish()`` sets the file's length, so
/// trailing zeros are a hole too.
public struct SparseWriter {
  /// Bytes written (or skipped as holes) so far: the file's length once finished.
  public private(set) var offset: UInt64 = 0
  /// Bytes actually written (not holes).
  public private(set) var dataBytes: UInt64 = 0
  let fd: Int32
  /// The hole granularity.
  public static let block = 64 << 10
  nonisolated(unsafe) private static let zeros: UnsafeMutableRawPointer = calloc(block, 1)!

  /// Writes to `fd`, which must be open for writing at offset 0 and empty.
  public init(fd: Int32) { self.fd = fd }

  /// Appends `bytes`.
  public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
    var at = 0
    while at < bytes.count {
      let n = min(Self.block, bytes.count - at)
      let piece = UnsafeRawBufferPointer(rebasing: bytes[at..<at + n])
      if memcmp(piece.baseAddress!, Self.zeros, n) != 0 {
        var done = 0
        while done < n {
          let w = pwrite(fd, piece.baseAddress! + done, n - done, off_t(offset) + off_t(done))
          if w < 0 {
            if errno == EINTR { continue }
            throw SparseWriteError(message: String(cString: strerror(errno)))
          }
          done += w
        }
        dataBytes += UInt64(n)
      }
      offset += UInt64(n)
      at += n
    }
  }

  /// Sets the file's length to ``offset`` (a trailing hole) and flushes nothing else.
  public func finish() throws {
    guard ftruncate(fd, off_t(offset)) == 0 else { throw SparseWriteError(message: String(cString: strerror(errno))) }
  }
}

/// A write of ``SparseWriter`` failed (`No space left on device`).
public struct SparseWriteError: Error, CustomStringConvertible {
  /// strerror's words.
  public var message: String
  public var description: String { message }
}
