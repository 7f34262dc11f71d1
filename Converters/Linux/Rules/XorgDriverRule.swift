import Foundation

/// Switches X.org from the VMware display driver to the generic modesetting driver.
///
/// Reason: `Driver "vmware"` needs VMware's SVGA device; on KVM X fails to start and a desktop guest is
/// left at a text console. modesetting drives the KVM display (virtio-gpu, QXL, std VGA) through KMS.
struct XorgDriverRule: LinuxRule {
  static let reason = "the VMware display driver needs VMware's virtual GPU"
  static let mainConfig = "/etc/X11/xorg.conf"
  static let configDirectory = "/etc/X11/xorg.conf.d"
  /// Old driver → replacement.
  static let drivers = [("vmware", "modesetting")]

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    for path in [Self.mainConfig] + (try guest.files(in: Self.configDirectory, suffix: ".conf")) {
      try plan.rewrite(path, reason: Self.reason, summary: { _ in "\(path): Driver \"vmware\" -> \"modesetting\"" }) {
        Self.replacingDrivers($0)
      }
    }
  }

  /// `Driver "vmware"` (any spacing) → `Driver "modesetting"`, other lines unchanged.
  static func replacingDrivers(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
      let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard words.count >= 2, words[0].lowercased() == "driver" else { return String(line) }
      for (old, new) in drivers where words[1] == "\"\(old)\"" {
        return line.replacingOccurrences(of: "\"\(old)\"", with: "\"\(new)\"")
      }
      return String(line)
    }.joined(separator: "\n")
  }
}
