/// What a generated grub.cfg boots by default: its top-level entries and its `set default=` values.
///
/// Only as much of grub's script language as grub-mkconfig writes: `menuentry`/`submenu` blocks opened by a
/// line ending in `{` and closed by a line `}`, `linux`/`initrd` lines (and their `16`/`efi` variants), and
/// `set default=` at the top level (inside `if` blocks, which have no braces). Anything else is ignored.
struct GrubMenu: Equatable {
  /// One top-level menu item.
  struct Entry: Equatable {
    /// The title (the first quoted word after `menuentry`/`submenu`).
    var title: String
    /// Whether it is a submenu (its default would be the first entry inside it).
    var isSubmenu: Bool
    /// The kernel image path of its first `linux` line (`/boot/vmlinuz-6.1.0-26-amd64`).
    var kernel: String?
    /// The kernel command line of that line (after the image path).
    var commandLine: String
    /// The image paths of its `initrd` lines.
    var initrds: [String]

    /// The kernel version the image path names (`vmlinuz-6.1.0-26-amd64` → `6.1.0-26-amd64`).
    var kernelVersion: String? {
      guard let k = kernel, let base = k.split(separator: "/").last else { return nil }
      for p in ["vmlinuz-", "vmlinux-"] where base.hasPrefix(p) { return String(base.dropFirst(p.count)) }
      return nil
    }
  }

  /// Top-level entries, in menu order (a submenu counts as one).
  var entries: [Entry] = []
  /// Every top-level `set default=` value, unquoted, in order.
  var defaults: [String] = []

  /// The index of the entry booted by default when grub.cfg fixes it: `0` when it says nothing or only `0`
  /// (besides the one-shot `${next_entry}`), `N` for a single number; nil when it depends on something else
  /// (`${saved_entry}`, a title, a submenu path `1>2`).
  var defaultIndex: Int? {
    let fixed = defaults.filter { $0 != "${next_entry}" }
    if fixed.isEmpty { return 0 }
    guard Set(fixed).count == 1, let n = Int(fixed[0]), n >= 0 else { return nil }
    return n
  }

  /// The entry booted by default, when fixed and present.
  var defaultEntry: Entry? {
    guard let i = defaultIndex, i < entries.count else { return nil }
    return entries[i]
  }

  /// Parses grub.cfg text.
  static func parse(_ text: String) -> GrubMenu {
    var menu = GrubMenu()
    var depth = 0
    var inTopEntry = false
    for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      let first = words[0]
      if depth == 0, first == "menuentry" || first == "submenu" {
        menu.entries.append(Entry(title: title(line), isSubmenu: first == "submenu", kernel: nil, commandLine: "", initrds: []))
        inTopEntry = true
      } else if depth == 0, first == "set", words.count > 1, words[1].hasPrefix("default=") {
        menu.defaults.append(unquote(String(line.dropFirst("set ".count).drop { $0 == " " }.dropFirst("default=".count))))
      } else if inTopEntry, depth == 1, !menu.entries.isEmpty {
        let i = menu.entries.count - 1
        if ["linux", "linux16", "linuxefi"].contains(first), menu.entries[i].kernel == nil, words.count > 1 {
          menu.entries[i].kernel = words[1]
          menu.entries[i].commandLine = words.dropFirst(2).joined(separator: " ")
        } else if ["initrd", "initrd16", "initrdefi"].contains(first) {
          menu.entries[i].initrds += words.dropFirst()
        }
      }
      if line.hasSuffix("{") { depth += 1 }
      if line == "}" {
        depth = max(0, depth - 1)
        if depth == 0 { inTopEntry = false }
      }
    }
    return menu
  }

  /// The first single- or double-quoted string of a line (`menuentry 'Debian GNU/Linux' --class …`).
  static func title(_ line: String) -> String {
    guard let q = line.firstIndex(where: { $0 == "'" || $0 == "\"" }) else { return "" }
    let rest = line[line.index(after: q)...]
    guard let end = rest.firstIndex(of: line[q]) else { return String(rest) }
    return String(rest[..<end])
  }

  /// A shell word without its surrounding quotes.
  static func unquote(_ s: String) -> String {
    var v = s.trimmingCharacters(in: .whitespaces)
    if v.count >= 2, let f = v.first, f == "\"" || f == "'", v.last == f { v = String(v.dropFirst().dropLast()) }
    return v
  }
}

/// The kernel command line grub-mkconfig builds from /etc/default/grub (and /etc/default/grub.d/*.cfg, read
/// after it): `GRUB_CMDLINE_LINUX` and `GRUB_CMDLINE_LINUX_DEFAULT`, the last assignment winning.
enum GrubDefaults {
  /// The variables that make up the default entry's command line.
  static let commandLineKeys = ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"]

  /// The command-line words the files set, nil when a value is computed by the shell (`$…`, backquotes,
  /// `+=`): then only grub-mkconfig knows it.
  static func commandLineWords(_ texts: [String]) -> [String]? {
    var values: [String: String] = [:]
    for text in texts {
      for raw in text.split(separator: "\n") {
        let line = raw.trimmingCharacters(in: .whitespaces)
        guard !line.hasPrefix("#") else { continue }
        for key in commandLineKeys {
          if line.hasPrefix(key + "+=") { return nil }
          guard line.hasPrefix(key + "=") else { continue }
          let value = String(line.dropFirst(key.count + 1))
          if value.contains("$") || value.contains("`") { return nil }
          values[key] = GrubMenu.unquote(value)
        }
      }
    }
    return commandLineKeys.flatMap { (values[$0] ?? "").split(separator: " ").map(String.init) }
  }
}
