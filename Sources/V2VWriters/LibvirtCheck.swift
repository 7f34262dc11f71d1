import Foundation
import Libvirt
import V2VCore
import V2VModel

/// `v2v doctor`: libvirt answers at the URI `-o libvirt` would use.
public struct LibvirtCheck: HostCheck {
  /// The URI to open.
  public var uri: String
  public var name: String { "libvirt" }
  public var required: Bool { false }

  /// Creates the check.
  public init(uri: String) { self.uri = uri }

  public func run() -> CheckResult {
    do {
      if let root = LibvirtEmbed.root(of: uri) { try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true) }
      let c = try Connection(uri: uri)
      return CheckResult(.pass, "\(uri) (libvirt \(try c.libVersion()))")
    } catch {
      return CheckResult(
        .fail, "cannot open \(uri): \(error)",
        fix: "apt-get install libvirt-daemon-driver-qemu libvirt-daemon-system (scripts/setup-host.sh), or pass -oc URI")
    }
  }
}

/// Helpers for the daemon-less `qemu:///embed?root=DIR` driver.
public enum LibvirtEmbed {
  /// The `root=` directory of an embed URI, nil for other URIs.
  public static func root(of uri: String) -> String? {
    guard uri.hasPrefix("qemu:///embed"), let q = uri.firstIndex(of: "?") else { return nil }
    for part in uri[uri.index(after: q)...].split(separator: "&") where part.hasPrefix("root=") {
      return String(part.dropFirst(5)).removingPercentEncoding
    }
    return nil
  }
}
