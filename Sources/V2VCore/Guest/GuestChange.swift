import Foundation
/// One change a converter makes (or, in `--dry-run`, would make) to the guest, with its reason.
public struct GuestChange: Sendable, Equatable, Codable {
  /// What is done.
  public enum Kind: Sendable, Equatable, Codable {
    /// Replace a file's content.
    case editFile(path: String, newContent: String)
    /// Remove a file or link.
    case removeFile(path: String)
    /// Run a program inside the guest.
    case run(argv: [String])
    /// Rename block devices in a file as it is *when the change is applied* (see ``DeviceNameRewriter``):
    /// for files another change regenerates first (grub.cfg after grub-mkconfig). A missing file is left
    /// missing; an unchanged file is not rewritten.
    case rewriteDeviceNames(path: String, map: [DeviceRename])
  }

  /// What is done.
  public var kind: Kind
  /// Why, in words a migration engineer reads in the report (`virtio drivers in the initramfs`).
  public var reason: String
  /// A short description of the effect (`/etc/fstab: /dev/sda1 -> /dev/vda1`).
  public var summary: String
  /// Whether a failure of this change is only a warning (e.g. removing a package that is not needed).
  public var optional: Bool

  /// Creates a change.
  public init(_ kind: Kind, reason: String, summary: String, optional: Bool = false) {
    self.kind = kind
    self.reason = reason
    self.summary = summary
    self.optional = optional
  }
}

/// What a converter decided and did.
public struct ConversionReport: Sendable, Equatable, Codable {
  /// Changes, in the order they were (or would be) applied.
  public var changes: [GuestChange] = []
  /// Things the user should know (a service disabled instead of removed, an interface name that will change).
  public var warnings: [String] = []
  /// The kernel the converted guest will boot (Linux), e.g. `6.1.0-26-amd64`.
  public var bootKernel: String?
  /// Whether the guest has a serial console configured after conversion.
  public var serialConsole: Bool = false

  /// Creates an empty report.
  public init() {}
}

/// Applies changes to a session, in order; a failing optional change becomes a warning.
public enum ChangeApplier {
  /// Applies `changes`; returns warnings for optional changes that failed.
  /// `log` sees each change after it ran, with its duration in seconds.
  public static func apply(
    _ changes: [GuestChange], to session: GuestSession, log: (GuestChange, Double) -> Void = { _, _ in }
  ) throws -> [String] {
    var warnings: [String] = []
    for c in changes {
      let start = Date()
      defer { log(c, Date().timeIntervalSince(start)) }
      do {
        switch c.kind {
        case .editFile(let path, let content): try session.writeText(path, content)
        case .removeFile(let path): try session.remove(path)
        case .run(let argv): _ = try session.run(argv)
        case .rewriteDeviceNames(let path, let map):
          if let text = try session.readText(path) {
            let new = DeviceNameRewriter.rewrite(text, map: map).text
            if new != text { try session.writeText(path, new) }
          }
        }
      } catch {
        if c.optional { warnings.append("\(c.summary): \(error)") } else { throw ConversionError.guestCommandFailed(c.summary, "\(error)") }
      }
    }
    return warnings
  }
}
