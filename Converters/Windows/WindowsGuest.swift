import Foundation
import Hivex
import V2VCore
import V2VDrivers
import V2VModel

/// What the Windows converter reads from the guest before it plans anything: where Windows is, its release,
/// the control set in use, and the registry facts that decide the changes and warnings. Read once, from
/// read-only copies of the SYSTEM and SOFTWARE hives.
final class WindowsGuest {
  let session: GuestSession
  let inspection: GuestInspection
  let context: ConversionContext
  /// Host directory for hive copies and extracted drivers.
  let scratch: String

  /// The system root as it is on disk (`/Windows`).
  let systemRoot: String
  /// `/Windows/System32/config/SYSTEM`, in its real case.
  let systemHivePath: String
  /// `/Windows/System32/config/SOFTWARE`, in its real case.
  let softwareHivePath: String
  let system: RegistrySnapshot
  let software: RegistrySnapshot
  /// `ControlSet002` when `Select\Current` is 2: the one every SYSTEM change goes to.
  let controlSet: String
  /// Version, build, server or client, architecture.
  let release: WindowsRelease
  /// The system root as Windows writes it (`C:\Windows`), from SOFTWARE's `SystemRoot`.
  let windowsSystemRoot: String

  init(session: GuestSession, inspection: GuestInspection, context: ConversionContext, scratch: String) throws {
    self.session = session
    self.inspection = inspection
    self.context = context
    self.scratch = scratch
    let root = inspection.windowsSystemRoot ?? "/Windows"
    guard let sr = try WindowsPaths.resolve(root, in: session) else {
      throw ConversionError.unsupportedGuest("Windows system root \(root) is not on the mounted filesystem")
    }
    systemRoot = sr
    func hive(_ name: String) throws -> String {
      guard let p = try WindowsPaths.resolve("\(sr)/System32/config/\(name)", in: session) else {
        throw ConversionError.unsupportedGuest("the Windows registry hive \(sr)/System32/config/\(name) is missing")
      }
      return p
    }
    systemHivePath = try hive("SYSTEM")
    softwareHivePath = try hive("SOFTWARE")
    system = try RegistrySnapshot(session: session, guestPath: systemHivePath, scratch: scratch, name: "SYSTEM")
    software = try RegistrySnapshot(session: session, guestPath: softwareHivePath, scratch: scratch, name: "SOFTWARE")

    let current = system.number(["Select"], "Current") ?? 1
    controlSet = String(format: "ControlSet%03d", Int(current))
    guard system.exists([controlSet]) else {
      throw ConversionError.unsupportedGuest("the Windows SYSTEM hive has no \(controlSet) (Select\\Current = \(current))")
    }

    let cv = ["Microsoft", "Windows NT", "CurrentVersion"]
    let major = software.number(cv, "CurrentMajorVersionNumber").map(Int.init) ?? inspection.majorVersion
    let minor = software.number(cv, "CurrentMinorVersionNumber").map(Int.init) ?? inspection.minorVersion
    let build = Int(software.string(cv, "CurrentBuildNumber") ?? software.string(cv, "CurrentBuild") ?? "") ?? 0
    let installation = software.string(cv, "InstallationType") ?? ""
    let isServer = installation.lowercased().hasPrefix("server") || inspection.productName.lowercased().contains("server")
    release = WindowsRelease(major: major, minor: minor, build: build, isServer: isServer, arch: inspection.arch)
    windowsSystemRoot = software.string(cv, "SystemRoot") ?? "C:\\Windows"
  }

  /// SYSTEM keys below the control set in use.
  func cs(_ path: String...) -> [String] { [controlSet] + path.flatMap { $0.split(separator: "\\").map(String.init) } }

  /// The guest's clock: local time unless `TimeZoneInformation\RealTimeIsUniversal` is set.
  var clock: ClockOffset {
    (system.number(cs("Control\\TimeZoneInformation"), "RealTimeIsUniversal") ?? 0) != 0 ? .utc : .localtime
  }

  /// The drive Windows is on (`C:`), from the system root.
  var systemDrive: String {
    windowsSystemRoot.count >= 2 && windowsSystemRoot.dropFirst().first == ":" ? String(windowsSystemRoot.prefix(2)) : "C:"
  }

  /// Programs in the uninstall list (both the native and the 32-bit view): display name, publisher, key
  /// name, and the uninstall command.
  struct InstalledProgram: Equatable {
    var key: String
    var name: String
    var publisher: String
    var uninstallString: String?
    var windowsInstaller: Bool
  }

  var installedPrograms: [InstalledProgram] {
    let views = [["Microsoft", "Windows", "CurrentVersion", "Uninstall"], ["WOW6432Node", "Microsoft", "Windows", "CurrentVersion", "Uninstall"]]
    var out: [InstalledProgram] = []
    for v in views {
      for k in software.subkeys(v) {
        guard let name = software.string(v + [k], "DisplayName"), !name.isEmpty else { continue }
        out.append(
          InstalledProgram(
            key: k, name: name, publisher: software.string(v + [k], "Publisher") ?? "",
            uninstallString: software.string(v + [k], "UninstallString"),
            windowsInstaller: (software.number(v + [k], "WindowsInstaller") ?? 0) != 0))
      }
    }
    return out
  }

  /// Services of the control set in use, by name.
  var services: [String] { system.subkeys(cs("Services")) }
}

/// Case-insensitive guest paths: NTFS mounted by ntfs-3g is case-sensitive, Windows is not.
enum WindowsPaths {
  /// The path as it exists on disk, matching each component case-insensitively; nil when missing.
  static func resolve(_ path: String, in session: GuestSession) throws -> String? {
    var current = ""
    for part in path.split(separator: "/") {
      let wanted = String(part)
      let candidate = current + "/" + wanted
      if try session.exists(candidate) {
        current = candidate
        continue
      }
      guard let match = try session.list(current.isEmpty ? "/" : current).first(where: { $0.lowercased() == wanted.lowercased() }) else {
        return nil
      }
      current += "/" + match
    }
    return current.isEmpty ? "/" : current
  }

  /// Resolves as much of `path` as exists and appends the rest as given: where a new file or folder goes.
  static func place(_ path: String, in session: GuestSession) throws -> String {
    var current = ""
    var parts = path.split(separator: "/").map(String.init)
    while !parts.isEmpty {
      let wanted = parts[0]
      let candidate = current + "/" + wanted
      if try session.exists(candidate) {
        current = candidate
      } else if let match = try session.list(current.isEmpty ? "/" : current).first(where: { $0.lowercased() == wanted.lowercased() }) {
        current += "/" + match
      } else {
        return ([current] + parts).joined(separator: "/")
      }
      parts.removeFirst()
    }
    return current
  }
}
