import Foundation
import Hivex
import V2VCore
import V2VDrivers
import V2VModel

/// The changes planned so far for one Windows guest: files first, then one registry operation per hive (all
/// of a hive's changes committed together), so that a hive is written once.
final class WindowsPlan {
  var report = ConversionReport()
  /// SYSTEM changes, each with the reason it is there (reasons are summarised in the change's report).
  var system: [RegistryChange] = []
  /// SOFTWARE changes.
  var software: [RegistryChange] = []
  private var systemReasons: [String] = []
  private var softwareReasons: [String] = []
  private var directories: Set<String> = []

  /// Plans a directory (once).
  func makeDirectory(_ path: String, reason: String) {
    guard directories.insert(path).inserted else { return }
    report.changes.append(GuestChange(.makeDirectory(path: path, mode: nil, owner: nil), reason: reason, summary: "mkdir \(path)"))
  }

  /// Plans a host file copied into the guest.
  func upload(_ host: String, to guest: String, reason: String) {
    report.changes.append(GuestChange(.upload(hostPath: host, guestPath: guest, mode: nil), reason: reason, summary: "\(guest) (from \(host))"))
  }

  /// Plans a file written with `bytes`.
  func write(_ path: String, _ bytes: [UInt8], reason: String, summary: String) {
    report.changes.append(GuestChange(.writeFile(path: path, bytes: bytes, mode: nil), reason: reason, summary: summary))
  }

  /// Adds SYSTEM changes.
  func system(_ changes: [RegistryChange], reason: String) {
    system += changes
    if !systemReasons.contains(reason) { systemReasons.append(reason) }
  }

  /// Adds SOFTWARE changes.
  func software(_ changes: [RegistryChange], reason: String) {
    software += changes
    if !softwareReasons.contains(reason) { softwareReasons.append(reason) }
  }

  /// Records a warning for the user.
  func warn(_ message: String) {
    if !report.warnings.contains(message) { report.warnings.append(message) }
  }

  /// Appends the two hive operations (after every file change) and returns the report.
  func finish(guest: WindowsGuest) -> ConversionReport {
    if !system.isEmpty {
      let op = HiveEditOperation(hive: "SYSTEM", guestPath: guest.systemHivePath, changes: system, scratch: guest.scratch)
      report.changes.append(
        GuestChange(
          .operation(AnyGuestOperation(op)), reason: systemReasons.joined(separator: "; "),
          summary: "registry SYSTEM (\(guest.controlSet)): \(system.count) changes, one commit"))
    }
    if !software.isEmpty {
      let op = HiveEditOperation(hive: "SOFTWARE", guestPath: guest.softwareHivePath, changes: software, scratch: guest.scratch)
      report.changes.append(
        GuestChange(
          .operation(AnyGuestOperation(op)), reason: softwareReasons.joined(separator: "; "),
          summary: "registry SOFTWARE: \(software.count) changes, one commit"))
    }
    return report
  }
}

/// Failures particular to Windows guests.
public enum WindowsConversionError: Error, Equatable, CustomStringConvertible {
  /// No virtio-win drivers were given or found (exit 7: the host lacks what the conversion needs).
  case noVirtioWin
  /// A driver the guest needs to boot or reach the network is missing for its version or architecture (exit 5).
  case missingDriver(String)
  /// The guest cannot be converted for this target (exit 5).
  case unsupported(String)

  public var description: String {
    switch self {
    case .noVirtioWin:
      return "Windows guest: no virtio-win drivers found: give --virtio-win with the virtio-win ISO or directory "
        + "(or set VIRTIO_WIN), or add --allow-emulated to run it on SATA disks and an e1000e NIC without them"
    case .missingDriver(let m): return "\(m); or add --allow-emulated to run it on SATA disks and an e1000e NIC"
    case .unsupported(let m): return m
    }
  }
}

extension WindowsConversionError: ClassifiedError {
  public var exitClass: ExitClass { self == .noVirtioWin ? .hostNotReady : .conversionFailed }
}
