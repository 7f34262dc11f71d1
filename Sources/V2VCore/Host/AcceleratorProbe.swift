import V2VModel
import Foundation
import V2VProcess

/// Finds out, for real, whether qemu can run guests with KVM on this host, and remembers the answer.
///
/// `/dev/kvm` existing is not enough: on nested hosts qemu with `accel=kvm` can crash ("failed to set MSR
/// 0x10a") or hang early in boot. The probe boots the host's own kernel under `accel=kvm` with no root
/// filesystem; a working KVM reaches the kernel's "VFS: Unable to mount root" panic within seconds. A crash,
/// a hang past the time limit, or no kernel output means KVM is unusable and v2v uses TCG.
public struct AcceleratorProbe: Sendable {
  /// The probe's verdict.
  public struct Verdict: Sendable, Codable, Equatable {
    /// The accelerator to use.
    public var accelerator: Accelerator
    /// Why (one line, for `v2v doctor` and logs).
    public var reason: String
    /// How long the probe took, seconds.
    public var seconds: Double
    /// What the verdict is remembered for: host kernel release and qemu version.
    public var key: String
  }

  /// Where verdicts are remembered (a small JSON file), nil to never remember.
  public var cacheFile: String?
  /// Time limit for the KVM boot.
  public var timeout: Double

  /// Creates a probe that remembers its answer under `cacheDirectory`.
  public init(cacheDirectory: String?, timeout: Double = 12) {
    self.cacheFile = cacheDirectory.map { "\($0)/accelerator.json" }
    self.timeout = timeout
  }

  /// Resolves a user's choice: `kvm` and `tcg` are taken as given; `auto` probes (or reuses the remembered
  /// verdict for this kernel and qemu).
  public func resolve(_ choice: AcceleratorChoice, refresh: Bool = false) -> Verdict {
    switch choice {
    case .kvm: return Verdict(accelerator: .kvm, reason: "chosen with --accel kvm", seconds: 0, key: "")
    case .tcg: return Verdict(accelerator: .tcg, reason: "chosen with --accel tcg", seconds: 0, key: "")
    case .auto:
      let key = Self.hostKey()
      if !refresh, let cached = remembered(), cached.key == key { return cached }
      let v = probe(key: key)
      remember(v)
      return v
    }
  }

  /// Runs the KVM boot probe now.
  public func probe(key: String = AcceleratorProbe.hostKey()) -> Verdict {
    let start = Date()
    func verdict(_ a: Accelerator, _ why: String) -> Verdict {
      Verdict(accelerator: a, reason: why, seconds: Date().timeIntervalSince(start), key: key)
    }
    guard FileManager.default.fileExists(atPath: "/dev/kvm") else { return verdict(.tcg, "/dev/kvm does not exist") }
    guard access("/dev/kvm", R_OK | W_OK) == 0 else { return verdict(.tcg, "/dev/kvm is not readable and writable by this user") }
    guard let qemu = ProcessRunner.which("qemu-system-x86_64") else { return verdict(.tcg, "qemu-system-x86_64 not found") }
    guard let kernel = Self.hostKernel() else { return verdict(.tcg, "no readable kernel in /boot to probe KVM with") }
    let argv = [
      qemu, "-machine", "q35,accel=kvm", "-cpu", "host", "-m", "256", "-nodefaults", "-display", "none",
      "-no-reboot", "-serial", "stdio", "-kernel", kernel, "-append", "console=ttyS0 panic=-1 loglevel=4",
    ]
    let r: ProcessRunner.Result
    do { r = try ProcessRunner.run(argv, timeout: timeout) } catch { return verdict(.tcg, "cannot run qemu: \(error)") }
    let out = r.stdout + r.stderr
    if out.contains("VFS: Unable to mount root") || out.contains("Kernel panic") {
      return verdict(.kvm, "KVM boots a kernel")
    }
    if r.timedOut { return verdict(.tcg, "qemu with KVM hung (no kernel panic within \(Int(timeout)) s)") }
    let firstError = out.split(separator: "\n").first { $0.contains("error") || $0.contains("failed") || $0.contains("Assertion") }
    return verdict(.tcg, "qemu with KVM failed: \(firstError.map(String.init) ?? "exit status \(r.status)")")
  }

  /// Kernel release and qemu version: a verdict is valid while both stay the same.
  public static func hostKey() -> String {
    var u = utsname()
    uname(&u)
    let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let qemu = (try? ProcessRunner.run(["qemu-system-x86_64", "--version"], timeout: 10))?.stdout
      .split(separator: "\n").first.map(String.init) ?? "no-qemu"
    return "\(release) | \(qemu)"
  }

  /// The newest readable kernel image in /boot.
  static func hostKernel() -> String? {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []
    return names.filter { $0.hasPrefix("vmlinuz-") }.sorted().reversed().map { "/boot/\($0)" }
      .first { access($0, R_OK) == 0 }
  }

  func remembered() -> Verdict? {
    guard let cacheFile, let data = FileManager.default.contents(atPath: cacheFile) else { return nil }
    return try? JSONDecoder().decode(Verdict.self, from: data)
  }

  func remember(_ v: Verdict) {
    guard let cacheFile, let data = try? JSONEncoder().encode(v) else { return }
    try? FileManager.default.createDirectory(
      atPath: (cacheFile as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: cacheFile, contents: data)
  }
}
