import Foundation
import V2VCore
import V2VModel

/// On physical hardware: the initramfs policy for unknown hardware, both consoles, and no VM-only kernel
/// options.
///
/// Reason: the machine's storage and network controllers are not known when converting, so besides the
/// catalog's drivers (``V2VDrivers/DriverCatalog``, appended to the initramfs by ``InitramfsRule``) the
/// guest's own generic policy is switched on for every later rebuild: initramfs-tools `MODULES=most`, dracut
/// `hostonly="no"`. A real machine has a screen: `console=tty0` as well as the serial `ttyS0`. Options that
/// only make sense under a hypervisor (`no_timer_check`, `clocksource=kvm-clock`/`xen`) are dropped.
struct HardwareBootRule: LinuxRule {
  static let reason = "the machine's hardware is not known in advance"
  static let initramfsConf = "/etc/initramfs-tools/initramfs.conf"
  static let dracutConf = "/etc/dracut.conf.d/v2v-hardware.conf"
  static let vmOnlyOptions = ["no_timer_check", "clocksource=kvm-clock", "clocksource=xen", "xen_emul_unplug=never"]

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    guard case .physical = guest.context.platform else { return }
    if guest.traits.usesInitramfsTools {
      // conf.d files override initramfs.conf: every MODULES= line becomes `most`.
      for path in [Self.initramfsConf] + (try guest.files(in: "/etc/initramfs-tools/conf.d")) {
        try plan.rewrite(path, reason: Self.reason, summary: { _ in "\(path): MODULES=most (every storage driver on later rebuilds)" }) { text in
          text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let t = line.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("MODULES=") && t != "MODULES=most" ? "MODULES=most" : String(line)
          }.joined(separator: "\n")
        }
      }
    } else if try guest.hasTool("dracut") {
      try plan.edit(
        Self.dracutConf, to: "# Added by v2v: a generic initramfs for unknown hardware\nhostonly=\"no\"\n", reason: Self.reason,
        summary: "\(Self.dracutConf): hostonly=\"no\"")
    }
    let bls = try guest.files(in: DeviceNameRule.blsEntries, suffix: ".conf")
    for path in SerialConsoleRule.commandLineFiles + bls {
      try plan.rewrite(path, reason: "a real machine has a screen and maybe a serial port: console on tty0 and ttyS0", summary: { _ in "\(path): console=tty0 console=ttyS0,115200; VM-only options dropped" }) {
        Self.hardwareCommandLines($0)
      }
    }
  }

  /// Each kernel command line in `text` (`GRUB_CMDLINE_LINUX*="…"`, BLS `options …`, `/etc/kernel/cmdline`,
  /// legacy `kernel …` lines) with both consoles and without VM-only options.
  static func hardwareCommandLines(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { raw -> String in
      let line = String(raw)
      let t = line.trimmingCharacters(in: .whitespaces)
      let isCmdline = t.hasPrefix("GRUB_CMDLINE_LINUX=") || t.hasPrefix("options ") || t.hasPrefix("kernel /") || t.hasPrefix("linux ")
        || (!t.contains("=\"") && !t.hasPrefix("#") && t.contains("root="))
      guard isCmdline else { return line }
      var out = line
      for o in vmOnlyOptions { out = ConsoleRewriter.replacingWord(out, o, with: "") }
      if out != line {
        // Options removed: close the gaps they left (inside the quotes, and at the end).
        while out.contains("  ") { out = out.replacingOccurrences(of: "  ", with: " ") }
        out = out.replacingOccurrences(of: "=\" ", with: "=\"").replacingOccurrences(of: " \"", with: "\"")
        while out.hasSuffix(" ") { out.removeLast() }
      }
      if !ConsoleRewriter.hasSerialConsole(out) { out = append(out, "console=ttyS0,115200") }
      if !out.contains("console=tty0") {
        if let r = out.range(of: "console=ttyS") { out.replaceSubrange(r, with: "console=tty0 console=ttyS") }
      }
      return out
    }.joined(separator: "\n")
  }

  /// `line` with `option` appended inside its closing quote, if any.
  static func append(_ line: String, _ option: String) -> String {
    if line.hasSuffix("\"") {
      let body = line.dropLast()
      return body + (body.hasSuffix("\"") ? "" : " ") + option + "\""
    }
    return line + " " + option
  }
}
