import Foundation
import Hivex
import V2VCore
import V2VDrivers
import V2VModel

/// Converts Windows guests for KVM, offline, through the registry (hivex) and the virtio-win drivers.
///
/// `plan` reads the guest's SYSTEM and SOFTWARE hives (copies; nothing is written) and returns, in order:
/// 1. every virtio-win driver for the guest's version and architecture copied to
///    `%SystemRoot%\Drivers\VirtIO` (``DriverInjection``), the storage drivers installed to boot
///    (`System32\drivers`, driver store, boot-start service in the control set in use, PCI ids bound),
/// 2. the first-boot startup script and its files (``FirstBoot``): pnputil, the guest agent, VMware Tools
///    uninstalled, the script removed afterwards,
/// 3. one SYSTEM change (services, device binding, VMware services disabled) and one SOFTWARE change
///    (DevicePath, the startup script's registry entries), each committed once.
///
/// Capabilities follow what could be installed: virtio-blk (and virtio-scsi) when viostor (vioscsi) was
/// found, else SATA; virtio-net when NetKVM was, else e1000e; local-time clock unless
/// `RealTimeIsUniversal`; Hyper-V enlightenments; QXL video with qxldod, else VGA.
public struct WindowsConverter: GuestConverter {
  /// `--virtio-win`, `--allow-emulated`.
  public var options: WindowsOptions
  /// Where `VIRTIO_WIN` is looked up.
  public var environment: [String: String]

  /// Creates the converter.
  public init(options: WindowsOptions = WindowsOptions(), environment: [String: String] = ProcessInfo.processInfo.environment) {
    self.options = options
    self.environment = environment
  }

  /// Windows guests.
  public func handles(_ inspection: GuestInspection) -> Bool { inspection.osType == .windows }

  public func plan(session: GuestSession, inspection: GuestInspection, context: ConversionContext) throws -> ConversionReport {
    guard case .kvm = context.platform else {
      throw WindowsConversionError.unsupported(
        "Windows to physical hardware (-o physical) is not supported: its storage and network drivers for the machine must come from the hardware vendor")
    }
    guard inspection.arch == .x86_64 || inspection.arch == .i386 else {
      throw WindowsConversionError.unsupported("Windows on \(inspection.arch.rawValue) is not supported (x86_64 and i386 are)")
    }
    let scratch = try Self.scratch(context)
    defer { if context.workDirectory == nil { try? FileManager.default.removeItem(atPath: scratch) } }
    let guest = try WindowsGuest(session: session, inspection: inspection, context: context, scratch: scratch)
    let plan = WindowsPlan()
    Self.warnings(guest: guest, plan: plan)
    let drivers = try WindowsDriverSet.select(guest: guest, options: options, environment: environment, plan: plan)
    try DriverInjection.plan(drivers, guest: guest, plan: plan)
    try FirstBoot.plan(drivers, guest: guest, plan: plan)
    var report = plan.finish(guest: guest)
    report.capabilities = Self.capabilities(drivers, guest: guest, platform: context.platform)
    return report
  }

  /// The conversion's work directory (or a temporary one) for hive copies and extracted drivers.
  static func scratch(_ context: ConversionContext) throws -> String {
    let base = context.workDirectory ?? NSTemporaryDirectory()
    let dir = URL(fileURLWithPath: base).appendingPathComponent("windows-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  /// What the converted guest can use, from the drivers that were installed.
  static func capabilities(_ d: WindowsDriverSet, guest: WindowsGuest, platform: TargetPlatform) -> GuestCapabilities {
    var buses: [KVMDiskBus] = []
    if d.has(.viostor) { buses.append(.virtioBlk) }
    if d.has(.vioscsi) { buses.append(.virtioSCSI) }
    buses.append(.sata)
    if case .kvm(let k) = platform, let i = buses.firstIndex(of: k.diskBus) { buses.insert(buses.remove(at: i), at: 0) }
    var nics: [NICModel] = d.has(.netkvm) ? [.virtio, .e1000e] : [.e1000e]
    if case .kvm(let k) = platform, let i = nics.firstIndex(of: k.nicModel) { nics.insert(nics.remove(at: i), at: 0) }
    return GuestCapabilities(
      blockBuses: buses, nicModels: nics, video: d.has(.qxldod) ? .qxl : .vga, virtioRNG: d.has(.viorng),
      virtioBalloon: d.has(.balloon), clock: guest.clock, serialConsole: false,
      installedDrivers: [WindowsDriver.ID.viostor, .vioscsi].filter(d.has).map(\.rawValue), hyperv: true)
  }

  /// Publishers and products of endpoint-security software that commonly blocks or quarantines what a first
  /// boot on new hardware does (drivers, services, the startup script).
  static let antivirus = [
    "symantec", "norton", "mcafee", "trellix", "trend micro", "sophos", "kaspersky", "eset", "crowdstrike", "sentinelone",
    "carbon black", "cylance", "bitdefender", "avast", "avg", "malwarebytes", "webroot", "panda", "f-secure", "cortex xdr",
  ]

  /// Warnings about what commonly makes a converted Windows fail its first boot: endpoint security software,
  /// and settings managed by Group Policy (the local policy the first boot uses can be turned off by it).
  static func warnings(guest: WindowsGuest, plan: WindowsPlan) {
    var seen = Set<String>()
    for p in guest.installedPrograms {
      let text = (p.name + " " + p.publisher).lowercased()
      guard antivirus.contains(where: text.contains), seen.insert(p.name).inserted else { continue }
      plan.warn(
        "antivirus installed: \(p.name)\(p.publisher.isEmpty ? "" : " (\(p.publisher))"): it may block the first-boot driver "
          + "installation or the new devices; pause its protection for the migration, or check its console after the first boot")
    }
    let policies = ["Policies", "Microsoft", "Windows"]
    if (guest.software.number(policies + ["System"], "DisableLGPOProcessing") ?? 0) != 0 {
      plan.warn(
        "Group Policy turns off local policy processing (DisableLGPOProcessing): the first-boot script will not run; "
          + "run C:\\Windows\\System32\\GroupPolicy\\Machine\\Scripts\\Startup\\v2v-firstboot.cmd as an administrator after the first boot")
    }
    let managed = guest.software.subkeys(policies).filter { !$0.isEmpty }
    if !managed.isEmpty {
      plan.warn(
        "settings managed by Group Policy: HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\{\(managed.sorted().joined(separator: ","))}: "
          + "domain policy applied after the move may change drivers, services or updates")
    }
  }
}
