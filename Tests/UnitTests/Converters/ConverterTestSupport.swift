import Foundation
import V2VConverters
import V2VCore
import V2VModel
import V2VTestSupport

/// Builders shared by the converter tests.
enum ConverterTestSupport {
  static func inspection(distro: String, major: Int, packageFormat: String = "deb") -> GuestInspection {
    GuestInspection(
      root: "/dev/sda1", type: "linux", distro: distro, majorVersion: major, minorVersion: 0,
      productName: "\(distro) \(major)", arch: "x86_64", hostname: "guest", packageFormat: packageFormat,
      packageManagement: packageFormat == "deb" ? "apt" : "dnf", mountpoints: ["/": "/dev/sda1"])
  }

  static func context(_ hypervisor: Hypervisor, disks: Int = 2) -> ConversionContext {
    ConversionContext(
      source: SourceVM(name: "guest", hypervisor: hypervisor, origin: "test"),
      diskNameMap: ConversionContext.virtioNameMap(diskCount: disks))
  }

  /// Plans a fixture (on a copy of its tree); returns the report and the session over the copy.
  static func plan(
    _ fixture: String, distro: String, major: Int, hypervisor: Hypervisor, packageFormat: String = "deb",
    in dir: TempDir
  ) throws -> (ConversionReport, FakeGuestSession) {
    let session = try FakeGuestSession.copyOfFixture(fixture, in: dir)
    let report = try LinuxConverter().plan(
      session: session, inspection: inspection(distro: distro, major: major, packageFormat: packageFormat),
      context: context(hypervisor))
    return (report, session)
  }

  /// The new content of the last `editFile` of `path` in `changes`.
  static func edited(_ changes: [GuestChange], _ path: String) -> String? {
    for c in changes.reversed() {
      if case .editFile(let p, let content) = c.kind, p == path { return content }
    }
    return nil
  }

  /// The argv of every `run` change, in order.
  static func commands(_ changes: [GuestChange]) -> [[String]] {
    changes.compactMap { if case .run(let argv) = $0.kind { return argv } else { return nil } }
  }

  /// Paths of every `removeFile` change, in order.
  static func removals(_ changes: [GuestChange]) -> [String] {
    changes.compactMap { if case .removeFile(let p) = $0.kind { return p } else { return nil } }
  }

  /// A file of the session's tree, read directly from the host.
  static func file(_ session: FakeGuestSession, _ path: String) -> String? {
    try? session.readText(path)
  }
}
