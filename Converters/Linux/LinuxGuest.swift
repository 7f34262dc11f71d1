import V2VCore
import V2VDrivers
import V2VModel

/// Everything a rule knows about the guest being converted: the session, inspection, context and family facts.
struct LinuxGuest {
  /// The guest's filesystems.
  let session: GuestSession
  /// What inspection found.
  let inspection: GuestInspection
  /// The conversion's context (source, disk name map, target bus).
  let context: ConversionContext
  /// The facts of the guest's family.
  let traits: LinuxFamilyTraits
  /// The user's Linux choices.
  var options = LinuxOptions()

  /// Where programs are looked for, in order.
  static let binDirectories = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]

  /// Whether the guest has the program `name` (in one of the usual directories).
  func hasTool(_ name: String) throws -> Bool {
    for d in Self.binDirectories where try session.exists("\(d)/\(name)") { return true }
    return false
  }

  /// The source disk names → target names, as device renames (``ConversionContext/diskNameMap``).
  var renames: [DeviceRename] { context.diskNameMap }

  /// The appliance kernel's names for the disks → target names, followed by the source renames for names the
  /// appliance does not use: what grub-mkconfig run in the appliance wrote must name the target's disks.
  var applianceRenames: [DeviceRename] {
    var out = context.applianceRenames
    for r in renames where !out.contains(where: { $0.from == r.from }) { out.append(r) }
    return out
  }

  /// The number of target disks.
  var targetDiskCount: Int { context.targetDisks.count }

  /// The disk bus the guest must boot from: the KVM platform's, or SATA/SAS-style `sd` disks on hardware.
  var diskBus: KVMDiskBus {
    if case .kvm(let k) = context.platform { return k.diskBus }
    return .sata
  }

  /// The firmware the converted guest boots with, as ``TargetSettler`` settles it: the platform's request
  /// (`--firmware`), else the source's, else what inspection found (a mounted EFI system partition means
  /// UEFI); BIOS when nothing says. A guest that can boot both ways keeps the firmware its source had.
  var targetFirmware: Firmware {
    if let f = context.platform.requestedFirmware, f != .unknown { return f }
    if context.source.firmware != .unknown { return context.source.firmware }
    if inspection.firmware != .unknown { return inspection.firmware }
    return .bios
  }

  /// Whether the target is physical hardware.
  var isPhysical: Bool {
    if case .physical = context.platform { return true }
    return false
  }

  /// The NIC model on KVM; nil on physical hardware (its NICs are whatever the machine has).
  var nicModel: NICModel? {
    if case .kvm(let k) = context.platform { return k.nicModel }
    return nil
  }

  /// The drivers the platform needs (``DriverCatalog/linux(for:)``).
  var drivers: LinuxDriverSet { DriverCatalog.linux(for: context.platform) }

  /// Text files in `directory` whose names end in `suffix` (guest paths, sorted).
  func files(in directory: String, suffix: String = "") throws -> [String] {
    try session.list(directory).filter { $0.hasSuffix(suffix) }.map { "\(directory)/\($0)" }
  }
}
