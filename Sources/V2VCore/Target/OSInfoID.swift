import V2VModel
/// libosinfo identifiers: the short id inspection produces (`debian12`) and the URI libvirt's metadata and
/// virt-manager use (`http://debian.org/debian/12`).
public enum OSInfoID {
  /// The libosinfo URI for a short id, or nil when the family is not one we know how to spell.
  /// A value that already is a URI is returned as it is.
  ///
  /// Families: debianN, ubuntuYY.MM, fedoraN, rhelX.Y, centosN (`centos-stream` N too), almalinuxX.Y,
  /// rockyX.Y, opensuseX.Y, slesN(spM → N.M), winN (`win10`, `win11`, `win7`) and win2kN (`win2k19`,
  /// `win2k8r2`); CentOS 7 and older get a `.0`.
  public static func uri(forShortID id: String) -> String? {
    if id.hasPrefix("http://") || id.hasPrefix("https://") { return id }
    let families: [(prefix: String, base: String)] = [
      ("centos-stream", "http://centos.org/centos-stream/"), ("debian", "http://debian.org/debian/"),
      ("ubuntu", "http://ubuntu.com/ubuntu/"), ("fedora", "http://fedoraproject.org/fedora/"),
      ("rhel", "http://redhat.com/rhel/"), ("centos", "http://centos.org/centos/"),
      ("almalinux", "http://almalinux.org/almalinux/"), ("rocky", "http://rockylinux.org/rocky/"),
      ("opensuse", "http://opensuse.org/opensuse/"), ("sles", "http://suse.com/sles/"),
      ("win2k", "http://microsoft.com/win/2k"), ("win", "http://microsoft.com/win/"),
    ]
    for (prefix, base) in families where id.hasPrefix(prefix) {
      let version = String(id.dropFirst(prefix.count))
      guard let first = version.first, first.isNumber,
        version.allSatisfy({ $0.isNumber || ".spr".contains($0) })
      else { return nil }
      if prefix == "centos", !version.contains("."), let major = Int(version), major <= 7 {
        return base + version + ".0"
      }
      if prefix == "sles", let sp = version.range(of: "sp") {
        return base + version[..<sp.lowerBound] + "." + version[sp.upperBound...]
      }
      return base + version
    }
    return nil
  }
}
