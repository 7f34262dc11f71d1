import Foundation

/// Asks SELinux guests to relabel their filesystems at first boot (`/.autorelabel`).
///
/// Reason: files written during conversion (the new initramfs, grub.cfg, edited configuration) carry no or
/// wrong SELinux labels; with SELinux enforcing, services then fail to read them, or the guest fails to boot.
struct SELinuxRelabelRule: LinuxRule {
  static let reason = "files written during conversion need SELinux labels"
  static let config = "/etc/selinux/config"
  static let flag = "/.autorelabel"

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    guard let mode = Self.mode(try plan.text(Self.config) ?? ""), mode == "enforcing" || mode == "permissive" else {
      return
    }
    guard try !guest.session.exists(Self.flag) else { return }
    try plan.edit(Self.flag, to: "", reason: Self.reason, summary: "touch \(Self.flag) (SELinux \(mode))")
  }

  /// The `SELINUX=` value of /etc/selinux/config.
  static func mode(_ text: String) -> String? {
    for line in text.split(separator: "\n") {
      let t = line.trimmingCharacters(in: .whitespaces)
      if t.hasPrefix("SELINUX=") {
        return t.dropFirst("SELINUX=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"' ")).lowercased()
      }
    }
    return nil
  }
}
