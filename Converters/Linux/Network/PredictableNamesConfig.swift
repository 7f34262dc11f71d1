/// Whether the guest turned predictable interface names off, from the texts that say so.
///
/// `net.ifnames=0` on the kernel command line (`/etc/default/grub`'s `GRUB_CMDLINE_LINUX(_DEFAULT)`, a
/// `linux` line of grub.cfg, a BLS entry's `options`, grubenv's `kernelopts`, `/etc/kernel/cmdline`), or
/// udev's naming policy masked (`80-net-setup-link.rules`, `99-default.link` linked to /dev/null or empty).
enum PredictableNamesConfig {
  private typealias S = NetworkConfigSyntax

  /// Whether a kernel command line turns predictable names off (the last `net.ifnames=` wins).
  static func commandLineTurnsOff(_ cmdline: String) -> Bool {
    var off = false
    for w in S.words(cmdline.replacingOccurrences(of: "\"", with: " ").replacingOccurrences(of: "'", with: " ")) {
      if w == "net.ifnames=0" { off = true } else if w.hasPrefix("net.ifnames=") { off = false }
    }
    return off
  }

  /// Whether `/etc/default/grub` puts `net.ifnames=0` on the command line it generates.
  static func defaultGrubTurnsOff(_ text: String) -> Bool {
    var off = false
    for line in text.split(separator: "\n") {
      guard let (key, value) = S.shellAssignment(line),
        key == "GRUB_CMDLINE_LINUX" || key == "GRUB_CMDLINE_LINUX_DEFAULT"
      else { continue }
      if commandLineTurnsOff(value) { off = true }
    }
    return off
  }

  /// Whether a boot loader file (grub.cfg, a BLS entry, grubenv, `/etc/kernel/cmdline`) boots a kernel with
  /// `net.ifnames=0`: its `linux`/`linuxefi`/`linux16` lines, `options` lines, `kernelopts=`.
  static func bootConfigTurnsOff(_ text: String, wholeFileIsCommandLine: Bool = false) -> Bool {
    if wholeFileIsCommandLine { return commandLineTurnsOff(text) }
    for line in text.split(separator: "\n") {
      let w = S.words(line)
      guard let first = w.first else { continue }
      if ["linux", "linuxefi", "linux16", "options"].contains(first), commandLineTurnsOff(w.dropFirst().joined(separator: " ")) {
        return true
      }
      if first.hasPrefix("kernelopts="), commandLineTurnsOff(String(line.trimmedBlanks().dropFirst("kernelopts=".count))) {
        return true
      }
    }
    return false
  }

  /// Whether a udev rule file or `.link` file masks the default naming: a link to /dev/null, or empty
  /// (nothing but blanks and comments).
  static func masks(linkTarget: String?, text: String?) -> Bool {
    if let linkTarget { return linkTarget == "/dev/null" || linkTarget.hasSuffix("/../dev/null") }
    guard let text else { return false }
    return text.split(separator: "\n").allSatisfy { let t = $0.trimmedBlanks(); return t.isEmpty || t.hasPrefix("#") }
  }
}
