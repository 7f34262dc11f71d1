import V2VModel

/// One Xen `disk = [...]` entry, parsed without I/O.
///
/// Accepts the positional forms (`phy:/dev/vg/lv,xvda,w`, `file:/img,hda,w`, `tap:aio:/img,xvda,w`,
/// `,hdc:cdrom,r`, and `target,format,vdev,access`) and the key=value form (`format=raw, vdev=xvda,
/// access=rw, devtype=cdrom, target=/path` with `target=` last, taking the rest of the text).
public struct XenDiskSpec: Sendable, Equatable {
  /// The backing path, without any `phy:`/`file:`/`tap:…:` prefix; empty for an empty CD-ROM.
  public var target: String
  /// The image format stated by `format=` or a `tap:qcow2:`-style prefix.
  public var format: DiskFormat?
  /// The guest device (`xvda`, `hda`, `xvda1`), without `:cdrom`.
  public var vdev: String
  /// Whether the guest sees it read-only.
  public var readOnly: Bool
  /// Whether it is a CD-ROM.
  public var isCDROM: Bool
  /// Whether the prefix said the target is a host block device (`phy:`).
  public var isBlockDevice: Bool

  /// The bus implied by the vdev name.
  public var bus: Bus {
    if vdev.hasPrefix("hd") { return .ide }
    if vdev.hasPrefix("sd") { return .scsi }
    return .xen
  }

  /// Parses one spec; `at` names the list entry in errors.
  public static func parse(_ spec: String, at: SourceLocation) throws(ReaderError) -> XenDiskSpec {
    var d = XenDiskSpec(target: "", vdev: "", readOnly: false, isCDROM: false, isBlockDevice: false)
    var rest = Substring(spec)
    var positional: [String] = []
    var access: String?
    while !rest.isEmpty {
      let trimmed = rest.drop { $0 == " " }
      if trimmed.hasPrefix("target=") {
        d.target = String(trimmed.dropFirst("target=".count))
        break
      }
      let item = trimmed.prefix { $0 != "," }
      rest = trimmed.dropFirst(item.count).dropFirst()
      let text = item.trimmingCharacters(in: " ")
      if let eq = text.firstIndex(of: "="), !text.hasPrefix("/") {
        let key = text[..<eq].lowercased()
        let value = String(text[text.index(after: eq)...])
        switch key {
        case "format": d.format = try format(value, at: at)
        case "vdev": d.vdev = value
        case "access": access = value
        case "devtype": d.isCDROM = value.lowercased() == "cdrom"
        case "backendtype", "script", "backend", "discard", "no-discard", "direct-io-safe", "specification",
          "colo-host", "colo-port", "colo-export", "active-disk", "hidden-disk", "trusted", "untrusted":
          break
        default:
          readerLog.debug("ignoring Xen disk parameter", metadata: ["at": "\(at)", "key": "\(key)"])
        }
      } else if text == "cdrom" || text == "devtype=cdrom" {
        d.isCDROM = true
      } else {
        positional.append(text)
      }
    }
    // Positional: target,vdev,access (legacy) or target,format,vdev,access.
    switch positional.count {
    case 0: break
    case 1: if d.target.isEmpty { d.target = positional[0] }
    case 2: d.target = positional[0]; d.vdev = positional[1]
    case 3: d.target = positional[0]; d.vdev = positional[1]; access = positional[2]
    case 4:
      d.target = positional[0]; d.format = try format(positional[1], at: at)
      d.vdev = positional[2]; access = positional[3]
    default: throw .syntax(at, "too many positional parameters in disk spec '\(spec)'")
    }
    if let colon = d.vdev.firstIndex(of: ":") {
      if d.vdev[d.vdev.index(after: colon)...].lowercased() == "cdrom" { d.isCDROM = true }
      d.vdev = String(d.vdev[..<colon])
    }
    try stripPrefix(&d, at: at)
    switch access?.lowercased() {
    case nil, "", "w", "rw", "w!", "rw!": d.readOnly = false
    case "r", "ro": d.readOnly = true
    case let a?: throw .invalidValue(at, "unknown access mode '\(a)' in disk spec")
    }
    if d.isCDROM { d.readOnly = true }
    guard !d.vdev.isEmpty else { throw .invalidValue(at, "disk spec '\(spec)' names no vdev") }
    guard d.vdev.allSatisfy({ $0.isLetter || $0.isNumber }) else { throw .invalidValue(at, "malformed vdev '\(d.vdev)'") }
    guard d.isCDROM || !d.target.isEmpty else { throw .invalidValue(at, "disk \(d.vdev) has no target file") }
    return d
  }

  /// Removes `phy:`, `file:`, `tap:aio:`, `tap:qcow2:`, `tap2:tapdisk:vhd:`… and notes what they imply.
  private static func stripPrefix(_ d: inout XenDiskSpec, at: SourceLocation) throws(ReaderError) {
    while let colon = d.target.firstIndex(of: ":"), !d.target.hasPrefix("/") {
      let prefix = d.target[..<colon].lowercased()
      switch prefix {
      case "phy": d.isBlockDevice = true
      case "file", "tap", "tap2", "tapdisk", "aio", "raw": if prefix == "raw" || prefix == "aio" { d.format = d.format ?? .raw }
      case "qcow2", "qcow", "vhd", "vmdk": if d.format == nil { d.format = try format(prefix, at: at) }
      default: throw .unsupported(at, "unknown disk prefix '\(prefix):'")
      }
      d.target = String(d.target[d.target.index(after: colon)...])
    }
  }

  private static func format(_ s: String, at: SourceLocation) throws(ReaderError) -> DiskFormat {
    switch s.lowercased() {
    case "raw", "aio": return .raw
    case "qcow2", "qcow": return .qcow2
    case "vhd", "vpc": return .vhd
    case "vmdk": return .vmdk
    case "qed": throw .unsupported(at, "QED images are not supported")
    default: throw .invalidValue(at, "unknown disk format '\(s)'")
    }
  }
}
