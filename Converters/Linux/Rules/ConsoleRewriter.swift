/// Text rewrites moving a guest's console from the Xen console (hvc0, xvc0) to the first serial port.
enum ConsoleRewriter {
  /// Consoles that exist only under Xen.
  static let xenConsoles = ["hvc0", "xvc0"]
  /// The console KVM guests have.
  static let serial = "ttyS0"

  /// `console=hvc0` / `console=xvc0` (any options after a comma kept) → `console=ttyS0`, with
  /// `console=tty0` before it on that line when the line has no `console=tty0` yet: the kernel then writes
  /// to the screen as well as the serial port (which stays `/dev/console`, the last one named).
  static func kernelCommandLines(_ text: String) -> String {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
      var out = String(line)
      for c in xenConsoles { out = replacingWord(out, "console=\(c)", with: "console=\(serial)") }
      guard out != String(line), !out.contains("console=tty0") else { return out }
      if let r = out.range(of: "console=\(serial)") { out.replaceSubrange(r, with: "console=tty0 console=\(serial)") }
      return out
    }
    return lines.joined(separator: "\n")
  }

  /// Every whole-word `hvc0` / `xvc0` → `ttyS0` (inittab getty lines).
  static func terminalNames(_ text: String) -> String {
    var out = text
    for c in xenConsoles { out = replacingWord(out, c, with: serial) }
    return out
  }

  /// Whether a kernel command line (a `GRUB_CMDLINE_LINUX*` value, an `options` line) sends the console to
  /// the serial port.
  static func hasSerialConsole(_ text: String) -> Bool {
    text.split(whereSeparator: { $0 == " " || $0 == "\"" || $0 == "'" || $0 == "\t" })
      .contains { $0.hasPrefix("console=ttyS") }
  }

  /// Replaces `word` where it is not part of a longer name (letters, digits, `_` on either side).
  static func replacingWord(_ text: String, _ word: String, with replacement: String) -> String {
    guard text.contains(word) else { return text }
    var out = ""
    var rest = Substring(text)
    while let r = rest.range(of: word) {
      let before = rest[..<r.lowerBound]
      let prev = before.last ?? out.last
      let next = rest[r.upperBound...].first
      out += before
      if !isNameChar(prev) && !isNameChar(next) { out += replacement } else { out += word }
      rest = rest[r.upperBound...]
    }
    return out + rest
  }

  private static func isNameChar(_ c: Character?) -> Bool {
    guard let c else { return false }
    return c.isLetter || c.isNumber || c == "_"
  }
}
