/// A libguestfs call failed.
public struct GuestfsError: Error, Sendable, CustomStringConvertible {
  /// The libguestfs function that failed (`guestfs_launch`, …).
  public var function: String
  /// libguestfs's message (`guestfs_last_error`).
  public var message: String
  /// The errno libguestfs reported (`guestfs_last_errno`), 0 when none.
  public var errno: Int32

  /// Creates an error.
  public init(function: String, message: String, errno: Int32 = 0) {
    self.function = function
    self.message = message
    self.errno = errno
  }

  /// `function: message`.
  public var description: String { "\(function): \(message)" }
}
