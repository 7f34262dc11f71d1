import V2VModel
/// One disk rename: references to `from` (`/dev/sda`) and to its partitions (`/dev/sda1`) become `to`
/// (`/dev/vda`, `/dev/vda1`).
public struct DeviceRename: Sendable, Equatable, Codable {
  /// The disk as the text names it now (`/dev/sda`, `/dev/xvdb`).
  public var from: String
  /// The disk as the target will name it (`/dev/vda`).
  public var to: String
  /// Only the whole name is renamed, never `from` + a partition number: for a source device that is itself a
  /// partition-style name (a Xen `xvda2` that holds a filesystem with no partition table).
  public var exact: Bool

  /// Creates a rename.
  public init(from: String, to: String, exact: Bool = false) {
    self.from = from
    self.to = to
    self.exact = exact
  }
}

/// Rewrites Linux block-device names inside configuration text (fstab, kernel command lines, device.map).
///
/// A reference is `/dev/` followed by a name made of letters, digits and `_`, not preceded by a letter,
/// digit, `_`, `.`, `-` or `/` (so `/mnt/dev/sda` is left alone). It is renamed when the whole name is a
/// disk of the map, or a disk of the map followed only by digits (its partition number): with
/// `/dev/sda → /dev/vda`, `/dev/sda10` becomes `/dev/vda10`, while `/dev/sdaa` (disk 27) and
/// `/dev/sda_old` do not change. `UUID=`, `LABEL=` and `PARTUUID=` references contain no such name and are
/// never touched. Pure: shared by the converters (at plan time) and ``ChangeApplier`` (at apply time).
public enum DeviceNameRewriter {
  /// The rewritten text and the distinct renames made, in order of first appearance
  /// (`[("/dev/sda1", "/dev/vda1")]`).
  public static func rewrite(_ text: String, map: [DeviceRename]) -> (text: String, renamed: [DeviceRename]) {
    let sorted = map.sorted { $0.from.count > $1.from.count }
    let scalars = Array(text.unicodeScalars)
    let prefix = Array("/dev/".unicodeScalars)
    var out = String.UnicodeScalarView()
    var renamed: [DeviceRename] = []
    var i = 0
    while i < scalars.count {
      if startsWith(scalars, prefix, at: i), i == 0 || !isLeftBoundaryBlocker(scalars[i - 1]) {
        var j = i + prefix.count
        while j < scalars.count, isNameScalar(scalars[j]) { j += 1 }
        let token = String(String.UnicodeScalarView(scalars[i..<j]))
        if j > i + prefix.count, let target = rename(token, sorted: sorted) {
          out.append(contentsOf: target.unicodeScalars)
          let r = DeviceRename(from: token, to: target)
          if !renamed.contains(r) { renamed.append(r) }
          i = j
          continue
        }
        out.append(contentsOf: scalars[i..<j])
        i = j
        continue
      }
      out.append(scalars[i])
      i += 1
    }
    return (String(out), renamed)
  }

  /// The target name of one device (`/dev/sdb2` → `/dev/vdb2`), nil when the map does not cover it.
  public static func rename(_ device: String, map: [DeviceRename]) -> String? {
    rename(device, sorted: map.sorted { $0.from.count > $1.from.count })
  }

  /// A short description of renames for a report (`/dev/sda1 -> /dev/vda1, /dev/sdb1 -> /dev/vdb1`).
  public static func describe(_ renames: [DeviceRename]) -> String {
    renames.map { "\($0.from) -> \($0.to)" }.joined(separator: ", ")
  }

  private static func rename(_ token: String, sorted: [DeviceRename]) -> String? {
    for m in sorted {
      if token == m.from { return m.to }
      guard !m.exact, token.hasPrefix(m.from) else { continue }
      let rest = token.dropFirst(m.from.count)
      guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }) else { continue }
      // A disk whose name ends in a digit (nvme0n1) takes `p` before the partition number.
      let sep = m.to.last.map { $0.isNumber } == true ? "p" : ""
      return m.to + sep + rest
    }
    return nil
  }

  private static func startsWith(_ s: [Unicode.Scalar], _ p: [Unicode.Scalar], at i: Int) -> Bool {
    guard i + p.count <= s.count else { return false }
    for k in 0..<p.count where s[i + k] != p[k] { return false }
    return true
  }

  private static func isNameScalar(_ c: Unicode.Scalar) -> Bool {
    (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_"
  }

  private static func isLeftBoundaryBlocker(_ c: Unicode.Scalar) -> Bool {
    isNameScalar(c) || c == "." || c == "-" || c == "/"
  }
}
