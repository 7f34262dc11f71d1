import Foundation
import V2VCore
import V2VModel

/// Moves the console from the Xen console (hvc0, xvc0) to the serial port ttyS0.
///
/// Reason: a Xen PV guest prints its console and runs its login prompt on hvc0/xvc0, devices KVM does not
/// have; without the change the converted guest boots silently and `virsh console` shows nothing. Kernel
/// command lines, inittab getty lines and /etc/securetty (root login on ttyS0) are updated.
struct SerialConsoleRule: LinuxRule {
  static let reason = "the Xen console (hvc0/xvc0) does not exist on KVM; the serial console is ttyS0"
  /// Files holding kernel command lines.
  static let commandLineFiles = [
    "/etc/default/grub", "/etc/kernel/cmdline", "/boot/grub/menu.lst", "/boot/grub/grub.conf",
  ]

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    let bls = try guest.files(in: DeviceNameRule.blsEntries, suffix: ".conf")
    for path in Self.commandLineFiles + bls {
      try plan.rewrite(path, reason: Self.reason, summary: { _ in "\(path): console hvc0/xvc0 -> ttyS0" }) {
        ConsoleRewriter.kernelCommandLines($0)
      }
    }
    try plan.rewrite("/etc/inittab", reason: Self.reason, summary: { _ in "/etc/inittab: getty on ttyS0" }) {
      ConsoleRewriter.terminalNames($0)
    }
    if let securetty = try plan.text("/etc/securetty") {
      let lines = securetty.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
      if !lines.contains(ConsoleRewriter.serial) {
        let sep = securetty.isEmpty || securetty.hasSuffix("\n") ? "" : "\n"
        try plan.edit(
          "/etc/securetty", to: securetty + sep + ConsoleRewriter.serial + "\n", reason: Self.reason,
          summary: "/etc/securetty: allow root on ttyS0")
      }
    }
  }

  /// Whether, after the planned changes, the guest's default kernel command line (or grub's terminal) uses the
  /// serial port: `GRUB_CMDLINE_LINUX*` / `GRUB_TERMINAL*` in /etc/default/grub, BLS `options`, /etc/kernel/cmdline,
  /// or a serial terminal in grub.cfg.
  static func detect(_ plan: LinuxPlan, guest: LinuxGuest) throws -> Bool {
    for line in try (plan.text("/etc/default/grub") ?? "").split(separator: "\n") {
      let t = line.trimmingCharacters(in: .whitespaces)
      if t.hasPrefix("GRUB_CMDLINE_LINUX"), ConsoleRewriter.hasSerialConsole(t) { return true }
      if t.hasPrefix("GRUB_TERMINAL"), t.contains("serial") { return true }
    }
    if let cmdline = try plan.text("/etc/kernel/cmdline"), ConsoleRewriter.hasSerialConsole(cmdline) { return true }
    for entry in try guest.files(in: DeviceNameRule.blsEntries, suffix: ".conf") {
      for line in try (plan.text(entry) ?? "").split(separator: "\n") where line.hasPrefix("options") {
        if ConsoleRewriter.hasSerialConsole(String(line)) { return true }
      }
    }
    for cfg in guest.traits.grubConfigs {
      guard let text = try plan.text(cfg) else { continue }
      if text.contains("terminal_output serial") || text.contains("terminal_output=serial") { return true }
    }
    return false
  }
}
