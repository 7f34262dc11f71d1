import Guestfs
import V2VModel

extension GuestfsError: ClassifiedError {
  /// An appliance that does not start is the host's problem (run `v2v doctor`); any other libguestfs failure
  /// happened while converting.
  public var exitClass: ExitClass { function == "guestfs_launch" ? .hostNotReady : .conversionFailed }
}
