import Foundation
import V2VCore
import V2VModel

/// On physical hardware, names every filesystem by UUID (`/dev/vda3` → `UUID=…` in fstab, crypttab, `root=`,
/// `resume=`), and lets grub-mkconfig write `root=UUID=` too.
///
/// Reason: a VM's disk names (`/dev/vda`, `/dev/xvda`, `/dev/sda` behind the hypervisor's controller) say
/// nothing about a real machine, whose disk may come up as `/dev/sda`, `/dev/sdb` behind a RAID controller or
/// `/dev/nvme0n1`; a UUID is the filesystem's own and survives any controller and any probe order. Whole
/// disks (grub's device.map) have no UUID and get the target's name.
struct StableDeviceNamesRule: LinuxRule {
  static let reason = "disk names differ on hardware (SATA, NVMe, RAID); UUIDs belong to the filesystems"
  static let grubDefaults = "/etc/default/grub"

  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    guard case .physical = guest.context.platform else { return }
    // Target disk → libguestfs's API name for it (`/dev/sda`, `/dev/sdb` in disk order), which its calls take
    // whatever the appliance kernel named the disk.
    let toAPI = guest.context.targetDisks.enumerated().map { i, t in DeviceRename(from: t, to: "/dev/sd" + DeviceNames.letters(i)) }
    var cache: [String: String?] = [:]
    /// The UUID= form (or the target name) for one device token, nil to leave it.
    func replacement(_ token: String) throws -> String? {
      guard Self.isDiskName(token) else { return nil }
      if let c = cache[token] { return c }
      let target = DeviceNameRewriter.rename(token, map: guest.renames) ?? token
      let appliance = DeviceNameRewriter.rename(target, map: toAPI) ?? target
      var out: String? = target == token ? nil : target
      if let uuid = try guest.session.filesystemUUID(appliance) { out = "UUID=\(uuid)" }
      cache[token] = out
      return out
    }
    for path in DeviceNameRule.files + (try guest.files(in: DeviceNameRule.blsEntries, suffix: ".conf")) {
      guard let text = try plan.text(path) else { continue }
      var map: [DeviceRename] = []
      for token in Self.deviceTokens(text) {
        if let r = try replacement(token) { map.append(DeviceRename(from: token, to: r, exact: true)) }
      }
      guard !map.isEmpty else { continue }
      let r = DeviceNameRewriter.rewrite(text, map: map)
      // `root=UUID=x` is right; `root=/dev/disk/by-uuid` is not needed.
      try plan.edit(path, to: r.text, reason: Self.reason, summary: "\(path): \(DeviceNameRewriter.describe(r.renamed))")
    }
    try plan.rewrite(
      Self.grubDefaults, reason: Self.reason,
      summary: { _ in "\(Self.grubDefaults): GRUB_DISABLE_LINUX_UUID off (grub.cfg names root by UUID)" }
    ) { text in
      text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
        let t = line.trimmingCharacters(in: .whitespaces)
        return t.hasPrefix("GRUB_DISABLE_LINUX_UUID=") && t.contains("true") ? "#\(line)  # v2v: UUIDs on hardware" : String(line)
      }.joined(separator: "\n")
    }
  }

  /// `/dev/…` tokens in `text` (a token ends at white space, a quote, a comma or a colon).
  static func deviceTokens(_ text: String) -> [String] {
    var out: [String] = []
    var rest = Substring(text)
    while let r = rest.range(of: "/dev/") {
      let before = rest[..<r.lowerBound].last
      var end = r.upperBound
      while end < rest.endIndex, !" \t\n\"',:;)".contains(rest[end]) { end = rest.index(after: end) }
      let token = String(rest[r.lowerBound..<end])
      if before == nil || !(before!.isLetter || before!.isNumber || before! == "/") { if !out.contains(token) { out.append(token) } }
      rest = rest[end...]
    }
    return out
  }

  /// Whether `token` names a disk or partition the way a VM sees it (`/dev/vda3`, `/dev/sdb`, `/dev/xvda1`,
  /// `/dev/hda2`, `/dev/nvme0n1p2`).
  static func isDiskName(_ token: String) -> Bool {
    let name = token.dropFirst("/dev/".count)
    for p in ["sd", "vd", "hd", "xvd"] where name.hasPrefix(p) {
      let rest = name.dropFirst(p.count)
      let letters = rest.prefix { $0.isLetter && $0.isLowercase }
      return !letters.isEmpty && rest.dropFirst(letters.count).allSatisfy(\.isNumber)
    }
    return name.hasPrefix("nvme")
  }
}
