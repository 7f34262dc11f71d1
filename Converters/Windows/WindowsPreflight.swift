import Foundation
import V2VCore
import V2VModel

/// Checks made before any slow work when the source's own metadata says its guest is Windows (VMX
/// `guestOS = "windows2019srv-64"`, OVF `vmw:osType="windows9_64Guest"`): without virtio-win drivers (and
/// without `--allow-emulated`) the conversion would fail after the appliance start, so it fails now.
public enum WindowsPreflight {
  /// Whether the source metadata claims a Windows guest.
  public static func claimsWindows(_ source: SourceVM) -> Bool {
    guard let hint = source.guestOSHint?.lowercased() else { return false }
    return hint.hasPrefix("win") || hint.contains("microsoft windows")
  }

  /// Throws ``WindowsConversionError/noVirtioWin`` for a source that claims Windows when no virtio-win is
  /// given or found and emulated devices are not allowed.
  public static func check(
    _ source: SourceVM, options: WindowsOptions, environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws {
    guard claimsWindows(source), !options.allowEmulated else { return }
    if try VirtioWinSource.locate(option: options.virtioWin, environment: environment) == nil {
      throw WindowsConversionError.noVirtioWin
    }
  }
}
