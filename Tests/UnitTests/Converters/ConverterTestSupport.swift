import Foundation
import V2VConverters
import V2VCore
import V2VModel
import V2VTestSupport

/// Builders shared by the converter tests.
enum ConverterTestSupport {
  static func inspection(distro: String, major: Int, packageFormat: String = "deb") -> GuestInspection {
    GuestInspection(
      root: "/dev/sda1", osType: .linux, distro: Distro(distro), majorVersion: major, minorVersion: 0,
      productName: "\(distro) \(major)", arch: .x86_64, hostname: "guest",
      packageFormat: PackageFormat(libguestfs: packageFormat),
      packageManagement: packageFormat == "deb" ? "apt" : "dnf", mountpoints: ["/": "/dev/sda1"])
  }

  /// A source of `disks` disks without names of their own (the usual guesses apply) on `platform`.
  static func context(_ hypervisor: Hypervisor, disks: Int = 2, platform: TargetPlatform = .kvmDefault) -> ConversionContext {
    let d = (0..<disks).map { _ in Disk(source: .file(path: "/dev/null"), format: .raw, bus: .scsi) }
    return ConversionContext(source: SourceVM(name: "guest", hypervisor: hypervisor, disks: d, origin: "test"), platform: platform)
  }

  /// Plans a fixture (on a copy of its tree); returns the report and the session over the copy.
  static func plan(
    _ fixture: String, distro: String, major: Int, hypervisor: Hypervisor, packageFormat: String = "deb",
    platform: TargetPlatform = .kvmDefault, in dir: TempDir
  ) throws -> (ConversionReport, FakeGuestSession) {
    let session = try FakeGuestSession.copyOfFixture(fixture, in: dir)
    let report = try LinuxConverter().plan(
      session: session, inspection: inspection(distro: distro, major: major, packageFormat: packageFormat),
      context: context(hypervisor, platform: platform))
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
