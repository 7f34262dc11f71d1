import V2VModel
import Foundation
import V2VProcess

/// One thing `v2v doctor` checks about the host.
public protocol HostCheck {
  /// Short name (`libguestfs appliance`).
  var name: String { get }
  /// Whether a failure makes the host unusable for conversions (else it is a warning).
  var required: Bool { get }
  /// Runs the check.
  func run() -> CheckResult
}

/// What one check found.
public struct CheckResult: Sendable, Codable, Equatable {
  /// Pass, warn (works, but degraded) or fail.
  public enum Status: String, Sendable, Codable { case pass, warn, fail }
  /// The verdict.
  public var status: Status
  /// What was found (one line).
  public var detail: String
  /// What to do about a warning or failure (one line), nil when nothing.
  public var fix: String?
  /// How long the check took, seconds.
  public var seconds: Double

  /// Creates a result.
  public init(_ status: Status, _ detail: String, fix: String? = nil, seconds: Double = 0) {
    self.status = status
    self.detail = detail
    self.fix = fix
    self.seconds = seconds
  }
}

/// Runs checks in order and collects their results.
public struct Doctor {
  /// One row of the report.
  public struct Row: Sendable, Codable, Equatable {
    /// Check name.
    public var name: String
    /// Whether it is required.
    public var required: Bool
    /// What it found.
    public var result: CheckResult
  }

  /// The checks, in order.
  public var checks: [any HostCheck]

  /// Creates a doctor.
  public init(checks: [any HostCheck]) { self.checks = checks }

  /// Runs every check; `each` sees each row as soon as it is known.
  public func run(each: (Row) -> Void = { _ in }) -> [Row] {
    checks.map { c in
      let start = Date()
      var r = c.run()
      if r.seconds == 0 { r.seconds = Date().timeIntervalSince(start) }
      let row = Row(name: c.name, required: c.required, result: r)
      each(row)
      return row
    }
  }

  /// Whether the host is usable: no required check failed.
  public static func healthy(_ rows: [Row]) -> Bool { !rows.contains { $0.required && $0.result.status == .fail } }
}

/// KVM usable, or TCG fallback (a warning: conversions work, only slower).
public struct AcceleratorCheck: HostCheck {
  /// The probe to run.
  public var probe: AcceleratorProbe
  /// The user's choice.
  public var choice: AcceleratorChoice
  /// Receives the verdict, so later checks (the appliance) use the same accelerator.
  public var onVerdict: (AcceleratorProbe.Verdict) -> Void
  public var name: String { "accelerator" }
  public var required: Bool { false }

  /// Creates the check.
  public init(probe: AcceleratorProbe, choice: AcceleratorChoice, onVerdict: @escaping (AcceleratorProbe.Verdict) -> Void) {
    self.probe = probe
    self.choice = choice
    self.onVerdict = onVerdict
  }

  public func run() -> CheckResult {
    let v = probe.resolve(choice, refresh: true)
    onVerdict(v)
    switch v.accelerator {
    case .kvm: return CheckResult(.pass, "KVM: \(v.reason)", seconds: v.seconds)
    case .tcg:
      let fix = choice == .tcg ? nil : "conversions fall back to TCG (software emulation; slower). Nothing to do unless you expected KVM."
      return CheckResult(choice == .tcg ? .pass : .warn, "TCG: \(v.reason)", fix: fix, seconds: v.seconds)
    }
  }
}

/// Host programs v2v runs.
public struct ToolCheck: HostCheck {
  /// Program name.
  public var program: String
  /// Arguments that print a version.
  public var versionArgs: [String]
  /// Debian package that provides it.
  public var package: String
  public var required: Bool
  public var name: String { program }

  /// Creates the check.
  public init(program: String, versionArgs: [String] = ["--version"], package: String, required: Bool = true) {
    self.program = program
    self.versionArgs = versionArgs
    self.package = package
    self.required = required
  }

  public func run() -> CheckResult {
    guard let path = ProcessRunner.which(program) else {
      return CheckResult(.fail, "not found", fix: "apt-get install \(package)  (or run scripts/setup-host.sh)")
    }
    let out = (try? ProcessRunner.run([path] + versionArgs, timeout: 20)).map { $0.stdout + $0.stderr } ?? ""
    let line = out.split(separator: "\n").first.map(String.init) ?? "present"
    return CheckResult(.pass, "\(path): \(line)")
  }
}

/// Free space where conversions write.
public struct FreeSpaceCheck: HostCheck {
  /// The directory checked.
  public var directory: String
  /// Below this many bytes the check fails.
  public var minimumBytes: UInt64
  public var name: String { "free space" }
  public var required: Bool { true }

  /// Creates the check.
  public init(directory: String, minimumBytes: UInt64 = 2 << 30) {
    self.directory = directory
    self.minimumBytes = minimumBytes
  }

  public func run() -> CheckResult {
    var dir = directory
    while !FileManager.default.fileExists(atPath: dir) && dir != "/" { dir = (dir as NSString).deletingLastPathComponent }
    guard let free = OutputChecks.freeBytes(dir) else { return CheckResult(.fail, "cannot stat \(dir)") }
    let text = "\(ByteFormat.gib(free)) free in \(dir)"
    if free < minimumBytes {
      return CheckResult(.fail, text, fix: "free space or choose another directory (need at least \(ByteFormat.gib(minimumBytes)))")
    }
    return CheckResult(.pass, text)
  }
}

/// A kernel libguestfs can build its appliance from.
public struct ApplianceKernelCheck: HostCheck {
  public var name: String { "appliance kernel" }
  public var required: Bool { true }
  /// Creates the check.
  public init() {}
  public func run() -> CheckResult {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []).filter { $0.hasPrefix("vmlinuz-") }
    if names.isEmpty { return CheckResult(.fail, "no kernel in /boot", fix: "apt-get install linux-image-amd64") }
    let readable = names.filter { access("/boot/\($0)", R_OK) == 0 }
    if readable.isEmpty {
      return CheckResult(.fail, "kernels in /boot are not readable", fix: "chmod 0644 /boot/vmlinuz-*  (scripts/setup-host.sh does this)")
    }
    return CheckResult(.pass, "/boot/\(readable.sorted().last!)")
  }
}
