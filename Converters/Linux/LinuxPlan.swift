import V2VCore
import V2VModel

/// The changes planned so far for one Linux guest, with a view of every file as it will be once the earlier
/// changes are applied, so that several rules can edit the same file (`/etc/default/grub`) in sequence.
final class LinuxPlan {
  /// The report being built.
  var report = ConversionReport()
  /// The kernel the guest will boot, chosen by ``KernelChoiceRule``.
  var kernel: InstalledKernel?
  private let session: GuestSession
  private var planned: [String: String?] = [:]

  init(session: GuestSession) { self.session = session }

  /// A file's content as it will be after the changes planned so far (nil: absent or to be removed).
  func text(_ path: String) throws -> String? {
    if let p = planned[path] { return p }
    return try session.readText(path)
  }

  /// Plans a new content for `path` when it differs from the planned one; returns whether a change was added.
  @discardableResult
  func edit(_ path: String, to content: String, reason: String, summary: String, optional: Bool = false) throws -> Bool {
    guard try text(path) != content else { return false }
    planned[path] = .some(content)
    add(.editFile(path: path, newContent: content), reason: reason, summary: summary, optional: optional)
    return true
  }

  /// Plans the rewrite of an existing file with `transform`; nothing when the file is absent or unchanged.
  @discardableResult
  func rewrite(_ path: String, reason: String, summary: (String) -> String, _ transform: (String) -> String) throws -> Bool {
    guard let old = try text(path) else { return false }
    let new = transform(old)
    guard new != old else { return false }
    return try edit(path, to: new, reason: reason, summary: summary(new))
  }

  /// Plans the removal of a file or link.
  func remove(_ path: String, reason: String, summary: String, optional: Bool = false) {
    planned[path] = .some(nil)
    add(.removeFile(path: path), reason: reason, summary: summary, optional: optional)
  }

  /// Plans a command run inside the guest.
  func run(_ argv: [String], reason: String, summary: String? = nil, optional: Bool = false) {
    add(.run(argv: argv), reason: reason, summary: summary ?? argv.joined(separator: " "), optional: optional)
  }

  /// Plans any change; `touched` names a file whose planned content becomes unknown (regenerated in the guest).
  func add(_ kind: GuestChange.Kind, reason: String, summary: String, optional: Bool = false, touched: String? = nil) {
    if let t = touched { planned[t] = nil }
    report.changes.append(GuestChange(kind, reason: reason, summary: summary, optional: optional))
  }

  /// Records a warning for the user.
  func warn(_ message: String) {
    if !report.warnings.contains(message) { report.warnings.append(message) }
  }
}

/// One conversion rule for Linux guests: reads the guest (and the plan so far) and adds changes or warnings.
protocol LinuxRule {
  /// Adds this rule's changes to `plan`.
  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws
}
