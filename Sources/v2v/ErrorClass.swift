import Foundation
import Guestfs
import Libvirt
import V2VCore

/// Maps a conversion's failure to its one-line message and exit code (docs/exit-codes.md).
enum ErrorClass {
  static func exitCode(_ error: Error) -> V2VExit {
    switch error {
    case is ConversionError: return .conversionFailed
    case is OutputError, is CopyError, is LibvirtError: return .outputFailed
    case is SourceDiskError: return .sourceInvalid
    case let e as PlanError: return e == .noDisks ? .sourceInvalid : .usage
    case let e as GuestfsError: return e.function == "guestfs_launch" ? .hostNotReady : .conversionFailed
    case is Subprocess.Failure: return .hostNotReady
    default: return .failure
    }
  }

  static func message(_ error: Error) -> String {
    switch error {
    case let e as GuestfsError where e.function == "guestfs_launch":
      return "the libguestfs appliance did not start: \(e.message) (run `v2v doctor`)"
    case let e as CustomStringConvertible: return e.description
    default: return "\(error)"
    }
  }
}
