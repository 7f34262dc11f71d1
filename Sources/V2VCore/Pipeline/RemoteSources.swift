import Foundation
import V2VModel
import V2VProcess

/// How v2v logs in to a remote machine to read its disks (`--ssh-identity`, `--ssh-known-hosts`).
/// Key-based only (or an ssh-agent): there is deliberately no password option, and the remote host key is
/// always checked against a known_hosts file.
public struct SSHOptions: Sendable, Equatable {
  /// A private key file to try first; nil: libssh's defaults (~/.ssh/id_ed25519, id_ecdsa, id_rsa; the agent).
  public var identity: String?
  /// The known_hosts file to check the remote host key against; nil: ~/.ssh/known_hosts (and
  /// /etc/ssh/ssh_known_hosts).
  public var knownHosts: String?
  /// Seconds to wait for the TCP connection and each SSH exchange.
  public var timeoutSeconds: Int

  /// Creates the options.
  public init(identity: String? = nil, knownHosts: String? = nil, timeoutSeconds: Int = 10) {
    self.identity = identity
    self.knownHosts = knownHosts
    self.timeoutSeconds = timeoutSeconds
  }

  /// Refuses an identity or known_hosts file that does not exist or cannot be read, before connecting
  /// (libssh would only say "authentication failed" or "host key is unknown").
  public func validate() throws(RemoteSourceError) {
    for (option, file) in [("--ssh-identity", identity), ("--ssh-known-hosts", knownHosts)] {
      guard let file else { continue }
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir) else {
        throw RemoteSourceError(uri: option, kind: .badOption, detail: "\(file): no such file")
      }
      guard !isDir.boolValue, FileManager.default.isReadableFile(atPath: file) else {
        throw RemoteSourceError(uri: option, kind: .badOption, detail: "\(file): not a readable file")
      }
    }
  }
}

/// `ssh://[user@]host[:port]/absolute/path`: a disk (or disk image) of a remote machine, read over SFTP.
public struct SSHDiskURI: Sendable, Equatable, CustomStringConvertible {
  /// Remote user; nil: the local user name (libssh's default).
  public var user: String?
  /// Host name or IP address (an IPv6 address without its brackets).
  public var host: String
  /// TCP port; nil: 22.
  public var port: Int?
  /// Absolute path on the remote machine (`/dev/sda`, `/srv/disk.img`).
  public var path: String

  /// Creates a URI value.
  public init(user: String?, host: String, port: Int?, path: String) {
    self.user = user
    self.host = host
    self.port = port
    self.path = path
  }

  /// Whether `location` is meant as an SSH URI (`ssh:` in any case), well-formed or not.
  public static func isSSH(_ location: String) -> Bool { location.lowercased().hasPrefix("ssh:") }

  /// The URI as the user would write it (no password: there never is one).
  public var description: String {
    let h = host.contains(":") ? "[\(host)]" : host
    return "ssh://" + (user.map { $0 + "@" } ?? "") + h + (port.map { ":\($0)" } ?? "") + path
  }

  /// Parses `text`, refusing anything that is not exactly `ssh://[user@]host[:port]/path`.
  public static func parse(_ text: String) throws(RemoteSourceError) -> SSHDiskURI {
    func bad(_ why: String) -> RemoteSourceError { RemoteSourceError(uri: redacted(text), kind: .malformedURI, detail: why) }
    let form = "expected ssh://[USER@]HOST[:PORT]/PATH, e.g. ssh://root@192.0.2.10/dev/sda"
    guard text.lowercased().hasPrefix("ssh://") else { throw bad("not an SSH URI (\(form))") }
    guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f || $0 == " " }) else {
      throw bad("contains spaces or control characters")
    }
    guard !text.contains("?"), !text.contains("#") else { throw bad("query strings and fragments are not supported (\(form))") }
    let rest = text.dropFirst("ssh://".count)
    guard let slash = rest.firstIndex(of: "/") else { throw bad("no disk path after the host (\(form))") }
    let authority = rest[..<slash]
    let rawPath = String(rest[slash...])
    guard let path = rawPath.removingPercentEncoding, !path.contains("\0") else { throw bad("invalid %-escape in the path") }
    guard path != "/", !path.hasSuffix("/") else { throw bad("the path names a directory, not a disk (\(form))") }

    var user: String?
    var hostPort = Substring(authority)
    if let at = authority.lastIndex(of: "@") {
      let info = authority[..<at]
      guard !info.contains(":") else {
        throw bad("a password in the URI is not accepted: v2v logs in with keys (--ssh-identity or an ssh-agent)")
      }
      guard let u = String(info).removingPercentEncoding, !u.isEmpty else { throw bad("empty user name before '@'") }
      guard u.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-$".contains($0)) }), !u.hasPrefix("-") else {
        throw bad("invalid user name '\(u)'")
      }
      user = u
      hostPort = authority[authority.index(after: at)...]
    }

    var host: String
    var portText: Substring?
    if hostPort.hasPrefix("[") {
      guard let close = hostPort.firstIndex(of: "]") else { throw bad("unterminated '[' in an IPv6 address") }
      host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
      let after = hostPort[hostPort.index(after: close)...]
      if !after.isEmpty {
        guard after.hasPrefix(":") else { throw bad("unexpected '\(after)' after the IPv6 address") }
        portText = after.dropFirst()
      }
      guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
        throw bad("invalid IPv6 address '\(host)'")
      }
    } else {
      let parts = hostPort.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count <= 2 else { throw bad("more than one ':' in the host (write an IPv6 address in brackets)") }
      host = String(parts[0])
      if parts.count == 2 { portText = parts[1] }
      guard !host.isEmpty else { throw bad("no host (\(form))") }
      guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }),
        !host.hasPrefix("-")
      else { throw bad("invalid host name '\(host)'") }
    }
    var port: Int?
    if let portText {
      guard let p = Int(portText), portText.allSatisfy(\.isNumber), (1...65535).contains(p) else {
        throw bad("invalid port '\(portText)' (1-65535)")
      }
      port = p
    }
    return SSHDiskURI(user: user, host: host, port: port, path: path)
  }
}

/// `text` with the password of a `user:password@` part replaced by `***`, for messages.
func redacted(_ text: String) -> String {
  guard let scheme = text.range(of: "://") else { return text }
  let rest = text[scheme.upperBound...]
  let authority = rest.prefix { $0 != "/" }
  guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return text }
  return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
}

/// A remote disk could not be reached or read, or its URI is wrong. One line each, naming the URI.
public struct RemoteSourceError: Error, ClassifiedError, Equatable {
  /// What went wrong, as classes of the user's next step.
  public enum Kind: String, Sendable, Equatable {
    /// The URI is not `ssh://[user@]host[:port]/path` (usage).
    case malformedURI
    /// `--ssh-identity`/`--ssh-known-hosts` names a missing or unreadable file (usage).
    case badOption
    /// No TCP/SSH connection: refused, timed out, no route, unknown host name.
    case unreachable
    /// The remote host key is not in known_hosts.
    case hostKeyUnknown
    /// The remote host key differs from the one in known_hosts.
    case hostKeyMismatch
    /// The server refused every key offered.
    case authenticationFailed
    /// The remote path does not exist.
    case noSuchPath
    /// The remote user may not read the path.
    case permissionDenied
    /// The remote path reads as 0 bytes, or is not a disk (a character device, a directory).
    case emptyDisk
    /// The work directory has no room for the local copy of a remote block device.
    case workSpace
    /// nbdkit or its ssh plugin is missing on this host.
    case toolMissing
    /// Anything else nbdkit or qemu reported.
    case failed
  }

  /// The URI (or option) concerned, as the user wrote it.
  public var uri: String
  /// The class of failure.
  public var kind: Kind
  /// One line of explanation.
  public var detail: String

  /// Creates an error.
  public init(uri: String, kind: Kind, detail: String) {
    self.uri = uri
    self.kind = kind
    self.detail = detail
  }

  public var exitClass: ExitClass {
    switch kind {
    case .malformedURI, .badOption: return .usage
    case .hostKeyUnknown, .hostKeyMismatch: return .sourceIntegrity
    case .toolMissing, .workSpace: return .hostNotReady
    case .unreachable, .authenticationFailed, .noSuchPath, .permissionDenied, .emptyDisk, .failed: return .sourceInvalid
    }
  }

  public var description: String { "\(uri): \(detail)" }
}

/// Remote disks (`ssh://` URIs) made readable on this host. A remote regular file (a disk image): one
/// `nbdkit ssh` per disk on a Unix socket in a private directory, read-only, for the whole conversion (the
/// overlays are backed by `nbd+unix:///?socket=…`; the appliance and the final copy both read through
/// them). A remote block device (SFTP reports 0 bytes for it): streamed once over the ssh client into a
/// sparse raw image in that directory (``RemoteBlockDevice``), removed by ``close()``.
///
/// Why nbdkit's ssh plugin: it is the transport virt-v2v itself uses for `vmx+ssh://`, reads on demand over
/// SFTP (only the blocks the appliance inspects, then one pass for the copy), and does the SSH part
/// with libssh: host-key verification against known_hosts, public-key (or agent) authentication, no
/// password prompt. Errors only appear when the first client connects (nbdkit opens the SSH session
/// per NBD connection), so ``open`` probes each disk's size at once and maps nbdkit's one-line libssh
/// messages to ``RemoteSourceError`` classes.
public final class RemoteSources: @unchecked Sendable {
  /// The disks, with every `ssh://` disk replaced by its `nbd+unix://` socket URI and its capacity known.
  public private(set) var disks: [Disk]
  private var servers: [(uri: String, process: RunningProcess, log: String)] = []
  private var directory: String?
  private var images: [String] = []

  private init(disks: [Disk]) { self.disks = disks }

  /// Whether any disk is an `ssh://` URI.
  public static func hasRemote(_ disks: [Disk]) -> Bool {
    disks.contains { if case .remote(let u) = $0.source { SSHDiskURI.isSSH(u) } else { false } }
  }

  /// Parses every `ssh://` location (for `inspect` and option validation), without connecting.
  public static func validate(_ locations: [String], options: SSHOptions) throws(RemoteSourceError) {
    var any = false
    for l in locations where SSHDiskURI.isSSH(l) {
      _ = try SSHDiskURI.parse(l)
      any = true
    }
    if any { try options.validate() }
  }

  /// The nbdkit command line serving `uri` read-only on the Unix socket `socket`. nbdkit stays in the
  /// foreground (its pid is ours to stop, and the job's scope kills it on cancel); the exitwhen filter
  /// also ends it within two seconds of `parentPID` dying without cleanup (a SIGKILLed v2v). Not
  /// `--exit-with-parent`: that follows the *thread* that spawned nbdkit, a pool thread that may retire.
  public static func nbdkitArguments(_ uri: SSHDiskURI, options: SSHOptions, socket: String, parentPID: Int32? = nil) -> [String] {
    var argv = ["nbdkit", "--foreground", "--readonly", "--unix", socket]
    if parentPID != nil { argv.append("--filter=exitwhen") }
    argv += ["ssh", "host=\(uri.host)", "path=\(uri.path)"]
    if let p = uri.port { argv.append("port=\(p)") }
    if let u = uri.user { argv.append("user=\(u)") }
    if let i = options.identity { argv.append("identity=\(absolute(i))") }
    if let k = options.knownHosts { argv.append("known-hosts=\(absolute(k))") }
    argv += ["verify-remote-host=true", "timeout=\(options.timeoutSeconds)"]
    if let pid = parentPID { argv += ["exit-when-process-exits=\(pid)", "exit-when-poll=2"] }
    return argv
  }

  /// The class and the one line for what nbdkit printed when a client connection failed (its last
  /// `error:` line; libssh's wording, as in nbdkit 1.32 and libssh 0.10).
  public static func classify(nbdkitStderr text: String, uri: SSHDiskURI, options: SSHOptions) -> (RemoteSourceError.Kind, String) {
    let lines = text.split(whereSeparator: \.isNewline).map(String.init)
    let last = lines.last { $0.contains("error:") } ?? lines.last { !$0.allSatisfy(\.isWhitespace) } ?? ""
    var said = last
    if let r = last.range(of: "error: ") { said = String(last[r.upperBound...]) }
    said = said.trimmingCharacters(in: .whitespaces)
    let l = said.lowercased()
    if l.contains("failed to connect") || l.contains("connection refused") || l.contains("timeout connecting")
      || l.contains("timed out") || l.contains("no route to host") || l.contains("network is unreachable")
      || l.contains("failed to resolve") || l.contains("name or service not known")
    {
      var why = said
      if let r = said.range(of: "\(uri.host): ", options: .backwards) { why = String(said[r.upperBound...]) }
      return (.unreachable, unreachableLine(uri, why.lowercased()))
    }
    if l.contains("host key for server changed") || l.contains("another type of key exists") {
      return (.hostKeyMismatch, hostKeyMismatchLine(uri, options))
    }
    if l.contains("host key is unknown") || l.contains("could not find known_hosts") || l.contains("known hosts error") {
      return (.hostKeyUnknown, hostKeyUnknownLine(uri, options))
    }
    if l.contains("authentication") || l.contains("access denied") {
      return (.authenticationFailed, authenticationLine(uri, options))
    }
    if l.contains("no such file") { return (.noSuchPath, noSuchPathLine(uri)) }
    if l.contains("permission denied") { return (.permissionDenied, permissionLine(uri)) }
    if said.isEmpty { return (.failed, "nbdkit could not open the remote disk (no message)") }
    return (.failed, "cannot read the remote disk: \(said)")
  }

  // The one line of each failure, the same whether nbdkit (libssh) or the ssh client saw it.
  static func unreachableLine(_ uri: SSHDiskURI, _ why: String) -> String {
    "cannot connect to \(uri.host) port \(uri.port ?? 22): \(why) (is the rescue system booted and its sshd running and reachable?)"
  }
  static func hostKeyMismatchLine(_ uri: SSHDiskURI, _ options: SSHOptions) -> String {
    "the host key of \(uri.host) does not match the one in \(options.knownHosts ?? "~/.ssh/known_hosts"): refusing to connect (a man-in-the-middle, or the "
      + "machine's keys changed, e.g. it now runs a rescue system; check the fingerprint on its console, then fix known_hosts)"
  }
  static func hostKeyUnknownLine(_ uri: SSHDiskURI, _ options: SSHOptions) -> String {
    "the host key of \(uri.host) is not in \(options.knownHosts ?? "~/.ssh/known_hosts"): check its fingerprint on the machine's console "
      + "(ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and add it (docs/input-physical.md)"
  }
  static func authenticationLine(_ uri: SSHDiskURI, _ options: SSHOptions) -> String {
    let key = options.identity.map { "the public key of \($0)" } ?? "your public key (~/.ssh/id_*.pub)"
    return "SSH login as \(uri.user ?? "the local user") refused (no key accepted): add \(key) to ~/.ssh/authorized_keys on the remote machine"
  }
  static func noSuchPathLine(_ uri: SSHDiskURI) -> String { "no such file or device on the remote machine: \(uri.path)" }
  static func permissionLine(_ uri: SSHDiskURI) -> String { "permission denied reading \(uri.path) on the remote machine (log in as root)" }

  /// Makes every `ssh://` disk of `disks` readable here, in a private directory under `workDirectory`: a
  /// remote regular file is served by nbdkit (the disk rewritten to its socket, size known); a remote
  /// block device is copied into a sparse raw image there (the disk rewritten to that file), unless
  /// `copyDevices` is false (inspect: its size only). Throws ``RemoteSourceError`` with every server
  /// stopped and every copy removed. Disks that are not `ssh://` pass through.
  public static func open(
    _ disks: [Disk], options: SSHOptions, workDirectory: String, events: JobEvents? = nil, copyDevices: Bool = true
  ) throws -> RemoteSources {
    let sources = RemoteSources(disks: disks)
    guard hasRemote(disks) else { return sources }
    do {
      try options.validate()
      try sources.start(options: options, workDirectory: workDirectory, events: events, copyDevices: copyDevices)
    } catch {
      sources.close()
      throw error
    }
    return sources
  }

  /// Connects to every `ssh://` disk of `disks` once, fills in its capacity (the URI stays), and
  /// disconnects: `v2v inspect`'s probe, which also shows a bad key or host key before a conversion. A
  /// remote block device is only probed (its size from the remote shell), not copied.
  public static func probeCapacities(_ disks: inout [Disk], options: SSHOptions, workDirectory: String) throws {
    guard hasRemote(disks) else { return }
    let sources = try open(disks, options: options, workDirectory: workDirectory, copyDevices: false)
    defer { sources.close() }
    for i in disks.indices where disks[i].capacityBytes == nil { disks[i].capacityBytes = sources.disks[i].capacityBytes }
  }

  private func start(options: SSHOptions, workDirectory: String, events: JobEvents?, copyDevices: Bool) throws {
    events?.emit(.stage("Connecting to the remote disks (ssh, read-only)"))
    // A short directory name: a Unix socket path must fit in 108 bytes.
    let dir = (workDirectory as NSString).appendingPathComponent("v2v-ssh-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    directory = dir
    JobScope.current?.removeOnCancel(dir)
    for i in disks.indices {
      guard case .remote(let text) = disks[i].source, SSHDiskURI.isSSH(text) else { continue }
      let uri = try SSHDiskURI.parse(text)
      // A path under /dev is asked about first (one ssh exec): a device is streamed, not served over SFTP.
      var probe: RemoteBlockDevice.Probe?
      if uri.path.hasPrefix("/dev/") { probe = try Self.probeRemote(uri, text: text, options: options) }
      if probe == nil || probe == .file {
        let size = try serve(i, uri: uri, text: text, options: options, directory: dir, events: events)
        if size > 0 { continue }
        // 0 bytes over SFTP: an empty file, or a device outside /dev (a symlink to one).
        servers.removeLast().process.terminate(grace: 2)
        if probe == nil, ProcessRunner.which("ssh") != nil, let p = try? RemoteBlockDevice.probe(uri, text: text, options: options),
          case .block = p
        {
          probe = p
        } else {
          throw RemoteSourceError(uri: text, kind: .emptyDisk, detail: "the remote file \(uri.path) is empty (0 bytes)")
        }
      }
      let size: UInt64
      switch probe {
      case .block(let s?) where s > 0: size = s
      case .block(let s): throw RemoteSourceError(uri: text, kind: s == nil ? .failed : .emptyDisk, detail: s == nil
          ? "cannot read the size of the block device \(uri.path) on the remote machine (neither blockdev nor /sys/class/block answered)"
          : "the block device \(uri.path) on the remote machine has no media (0 bytes)")
      case .missing: throw RemoteSourceError(uri: text, kind: .noSuchPath, detail: Self.noSuchPathLine(uri))
      case .unreadable: throw RemoteSourceError(uri: text, kind: .permissionDenied, detail: Self.permissionLine(uri))
      case .other(let what): throw RemoteSourceError(uri: text, kind: .emptyDisk, detail: "not a disk: \(uri.path) is a \(what) on the remote machine")
      case .file, nil: throw RemoteSourceError(uri: text, kind: .failed, detail: "cannot tell what \(uri.path) is on the remote machine")
      }
      disks[i].capacityBytes = size
      events?.emit(.detail("remote disk \(i + 1): \(uri) is a block device of \(ByteFormat.human(size))"))
      guard copyDevices else { continue }
      // The copy needs the device's size in the work directory at worst (unused blocks become holes).
      if let free = RemoteBlockDevice.availableBytes(dir),
        let e = RemoteBlockDevice.spaceError(uri: text, needed: size, available: free, directory: workDirectory)
      {
        throw e
      }
      let image = "\(dir)/sd\(DeviceNames.letters(i)).raw"
      events?.emit(.stage("Copying the remote block device \(text) (\(ByteFormat.human(size))) to the work directory over ssh"))
      let start = Date()
      try RemoteBlockDevice.copy(uri, text: text, options: options, size: size, to: image, events: events)
      var st = stat()
      let used = stat(image, &st) == 0 ? UInt64(st.st_blocks) * 512 : 0
      events?.emit(.detail(String(
        format: "remote disk %d: %@ copied in %.0f s (%@ allocated of %@)", i + 1, text, Date().timeIntervalSince(start),
        ByteFormat.human(used), ByteFormat.human(size))))
      disks[i].source = .file(path: image)
      disks[i].format = .raw
      images.append(image)
    }
  }

  /// The remote shell's answer about `uri`'s path (the ssh client must be installed).
  static func probeRemote(_ uri: SSHDiskURI, text: String, options: SSHOptions) throws -> RemoteBlockDevice.Probe {
    guard ProcessRunner.which("ssh") != nil else {
      throw RemoteSourceError(uri: "ssh", kind: .toolMissing, detail: "not installed (apt install openssh-client); needed for remote block devices")
    }
    return try RemoteBlockDevice.probe(uri, text: text, options: options)
  }

  /// Starts nbdkit serving disk `i` (a remote regular file) and returns its size over SFTP.
  private func serve(_ i: Int, uri: SSHDiskURI, text: String, options: SSHOptions, directory dir: String, events: JobEvents?) throws -> UInt64 {
    guard ProcessRunner.which("nbdkit") != nil else {
      throw RemoteSourceError(uri: "nbdkit", kind: .toolMissing, detail: "not installed (apt install nbdkit); needed for ssh:// disks")
    }
    let socket = "\(dir)/sd\(DeviceNames.letters(i)).sock"
    let log = "\(dir)/sd\(DeviceNames.letters(i)).log"
    let argv = Self.nbdkitArguments(uri, options: options, socket: socket, parentPID: getpid())
    events?.emit(.detail("remote disk \(i + 1): nbdkit ssh \(uri) on \(socket)"))
    let process = try ProcessRunner.start(argv, stderr: log)
    servers.append((text, process, log))
    let nbd = "nbd+unix:///?socket=\(socket)"
    try waitForSocket(socket, process: process, log: log, uri: uri, text: text, options: options)
    // The first client connection is where SSH connects, checks the host key, logs in and opens the path.
    let info = try ProcessRunner.run(["qemu-img", "info", "--output=json", "-f", "raw", nbd], timeout: Double(options.timeoutSeconds * 3 + 30))
    guard info.succeeded, let data = info.stdout.data(using: .utf8),
      let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let size = (obj["virtual-size"] as? NSNumber)?.uint64Value
    else {
      let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      var (kind, line) = Self.classify(nbdkitStderr: said, uri: uri, options: options)
      if said.isEmpty && info.timedOut { (kind, line) = (.unreachable, "timed out connecting to \(uri.host) port \(uri.port ?? 22)") }
      throw RemoteSourceError(uri: text, kind: kind, detail: line)
    }
    guard size > 0 else { return 0 }
    disks[i].source = .remote(uri: nbd)
    disks[i].format = .raw
    disks[i].capacityBytes = size
    events?.emit(.detail("remote disk \(i + 1): \(uri) is \(ByteFormat.human(size))"))
    return size
  }

  private func waitForSocket(_ socket: String, process: RunningProcess, log: String, uri: SSHDiskURI, text: String, options: SSHOptions) throws {
    let deadline = Date().addingTimeInterval(30)
    while !FileManager.default.fileExists(atPath: socket) {
      if !process.isRunning || Date() > deadline {
        let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        if said.contains("cannot open plugin") || said.contains("ssh-plugin") && said.contains("No such file") {
          throw RemoteSourceError(uri: "nbdkit", kind: .toolMissing, detail: "the ssh plugin is missing (apt install nbdkit)")
        }
        let first = said.split(whereSeparator: \.isNewline).first.map(String.init) ?? "exited at once"
        throw RemoteSourceError(uri: text, kind: .failed, detail: "nbdkit did not start: \(first)")
      }
      Thread.sleep(forTimeInterval: 0.05)
    }
  }

  /// The local copies of remote block devices (in the work directory until ``close()``).
  public var localImages: [String] { images }

  /// The pids of the running nbdkit servers (tests).
  public var serverPIDs: [Int32] { servers.filter { $0.process.isRunning }.map(\.process.pid) }

  /// Stops every nbdkit (SIGTERM, SIGKILL after 2 s) and removes the socket directory. Idempotent.
  public func close() {
    for s in servers { s.process.terminate(grace: 2) }
    servers.removeAll()
    images.removeAll()
    if let d = directory {
      try? FileManager.default.removeItem(atPath: d)
      JobScope.current?.forget(d)
      directory = nil
    }
  }

  deinit { close() }

  static func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return (path as NSString).standardizingPath }
    return ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path) as NSString).standardizingPath
  }
}
