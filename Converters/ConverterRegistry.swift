import V2VCore
import V2VModel

/// Picks the converter for an inspected guest.
public struct ConverterRegistry {
  /// The converters tried, in order.
  public var converters: [GuestConverter]

  /// The registry of every converter v2v has: Linux and Windows.
  public init(converters: [GuestConverter] = [LinuxConverter(), WindowsConverter()]) {
    self.converters = converters
  }

  /// Every converter, Windows with `windows` options (`--virtio-win`, `--allow-emulated`), Linux with `linux`
  /// options (`--nic-names`, `--mac`, `--missing-mounts`).
  public init(windows: WindowsOptions, linux: LinuxOptions = LinuxOptions()) {
    self.converters = [LinuxConverter(options: linux), WindowsConverter(options: windows)]
  }

  /// The first converter that handles `inspection`; throws ``ConversionError/unsupportedGuest(_:)`` when none
  /// does.
  public func converter(for inspection: GuestInspection) throws -> GuestConverter {
    if let c = converters.first(where: { $0.handles(inspection) }) { return c }
    switch inspection.family {
    case .otherLinux:
      throw ConversionError.unsupportedGuest(
        "Linux distribution '\(inspection.distro)' is not supported (Debian, Ubuntu, RHEL and SUSE families are)")
    default:
      throw ConversionError.unsupportedGuest(
        "\(inspection.productName.isEmpty ? inspection.osType.rawValue : inspection.productName) is not supported")
    }
  }
}
