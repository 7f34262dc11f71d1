import Foundation
import Hivex
import V2VCore
import V2VDrivers
import V2VModel

/// The virtio-win drivers found for one guest.
struct WindowsDriverSet {
  /// Where they came from (`--virtio-win` path), nil when there were none.
  var source: String?
  /// The drivers found, by id.
  var located: [WindowsDriver.ID: LocatedDriver] = [:]
  /// The guest agent's MSI on the host, when found.
  var guestAgent: String?

  /// Whether `id` was found.
  func has(_ id: WindowsDriver.ID) -> Bool { located[id] != nil }

  /// Picks the drivers for `guest` from the virtio-win source; missing boot or network drivers are an error
  /// unless `allowEmulated` (then a warning: the guest is settled on SATA and e1000e).
  static func select(guest: WindowsGuest, options: WindowsOptions, environment: [String: String], plan: WindowsPlan) throws
    -> WindowsDriverSet
  {
    guard let source = try VirtioWinSource.locate(option: options.virtioWin, environment: environment) else {
      guard options.allowEmulated else { throw WindowsConversionError.noVirtioWin }
      plan.warn("no virtio-win drivers (--virtio-win, VIRTIO_WIN): the guest keeps emulated devices (SATA disks, an e1000e NIC)")
      return WindowsDriverSet()
    }
    let scratch = URL(fileURLWithPath: guest.scratch).appendingPathComponent("virtio-win").path
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    let tree = try source.open(scratch: scratch)
    var set = WindowsDriverSet(source: source.path)
    for driver in WindowsDriverCatalog.drivers {
      do {
        let found = try tree.locate(driver, for: guest.release)
        set.located[driver.id] = found
        if found.fellBack {
          plan.warn(
            "\(driver.folder): virtio-win has no folder for \(guest.release.name); using the \(found.osFolder) driver")
        }
      } catch {
        switch driver.id {
        case .viostor, .netkvm:
          guard options.allowEmulated else { throw WindowsConversionError.missingDriver("\(error)") }
          plan.warn("\(error): --allow-emulated: the guest gets \(driver.id == .viostor ? "SATA disks" : "an e1000e NIC")")
        default:
          plan.warn("\(error): the guest will not have it")
        }
      }
    }
    set.guestAgent = try tree.guestAgent(for: guest.release.arch)
    if set.guestAgent == nil { plan.warn("virtio-win at \(source.path) has no QEMU guest agent installer for \(guest.release.arch.rawValue)") }
    return set
  }
}

/// Puts the drivers into the guest: every driver's files into `%SystemRoot%\Drivers\VirtIO\<folder>` (where
/// the first boot's pnputil and Windows' own device search find them), and the boot-critical storage drivers
/// (viostor, vioscsi) installed offline so that Windows can open its system disk on the first boot:
/// the `.sys` in `System32\drivers`, a boot-start service in the control set in use, the package in the
/// driver store, and the virtio PCI ids bound to it (the CriticalDeviceDatabase before Windows 8, the
/// driver database from Windows 8 on, under the INF's real name).
enum DriverInjection {
  /// The folder (below the system root) holding every driver, added to DevicePath.
  static let driverFolder = "Drivers/VirtIO"

  static func plan(_ drivers: WindowsDriverSet, guest: WindowsGuest, plan: WindowsPlan) throws {
    guard !drivers.located.isEmpty else { return }
    let sr = guest.systemRoot
    let base = try WindowsPaths.place("\(sr)/\(driverFolder)", in: guest.session)
    let why = "virtio drivers for KVM, from \(drivers.source ?? "virtio-win")"
    plan.makeDirectory(base, reason: why)
    for id in WindowsDriver.ID.allCases {
      guard let d = drivers.located[id] else { continue }
      let dir = "\(base)/\(d.driver.folder)"
      plan.makeDirectory(dir, reason: why)
      for f in d.files { plan.upload("\(d.directory)/\(f)", to: "\(dir)/\(f)", reason: why) }
    }

    for id in [WindowsDriver.ID.viostor, .vioscsi] {
      guard let d = drivers.located[id] else { continue }
      try installBootDriver(d, guest: guest, plan: plan)
    }

    // DevicePath: Windows searches these folders (and their subfolders) for drivers of new devices.
    let cv = ["Microsoft", "Windows", "CurrentVersion"]
    let entry = "%SystemRoot%\\" + driverFolder.replacingOccurrences(of: "/", with: "\\")
    let current = guest.software.string(cv, "DevicePath") ?? "%SystemRoot%\\inf"
    if !current.lowercased().split(separator: ";").contains(where: { $0 == entry.lowercased()[...] }) {
      plan.software(
        [.set(key: cv, name: "DevicePath", value: .expandString(current + ";" + entry))],
        reason: "Windows looks for drivers of new devices in the DevicePath folders")
    }
  }

  /// The service name a storage driver installs (its INF's AddService, else the catalog's).
  static func serviceName(_ d: LocatedDriver) -> String {
    d.inf.services.first ?? d.driver.service ?? d.driver.id.rawValue
  }

  /// The hardware ids to bind: the INF's models for the guest's architecture, else the catalog's.
  static func hardwareIDs(_ d: LocatedDriver) -> [String] {
    var ids: [String] = []
    for m in d.inf.models { for h in m.hardwareIDs where !ids.contains(where: { $0.caseInsensitiveCompare(h) == .orderedSame }) { ids.append(h) } }
    return ids.isEmpty ? d.driver.pciIDs : ids
  }

  /// The driver-store folder name of a package: `viostor.inf_amd64_<16 hex>`, the hex from the INF's bytes.
  static func packageName(_ d: LocatedDriver, arch: Architecture) throws -> String {
    let infBytes = (try? Data(contentsOf: URL(fileURLWithPath: "\(d.directory)/\(infFile(d))"))) ?? Data()
    let archWord = arch == .i386 ? "x86" : (arch == .aarch64 ? "arm64" : "amd64")
    return "\(d.inf.fileName.lowercased())_\(archWord)_\(fnv1a64(infBytes))"
  }

  /// The INF's file name as it is in the folder.
  static func infFile(_ d: LocatedDriver) -> String {
    d.files.first { $0.lowercased() == d.inf.fileName.lowercased() } ?? d.inf.fileName
  }

  /// 64-bit FNV-1a, as 16 hex digits: a stable package suffix (Windows' own is a hash too).
  static func fnv1a64(_ data: Data) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in data {
      h ^= UInt64(b)
      h = h &* 0x0000_0100_0000_01b3
    }
    return String(format: "%016llx", h)
  }

  static func installBootDriver(_ d: LocatedDriver, guest: WindowsGuest, plan: WindowsPlan) throws {
    let sr = guest.systemRoot
    let service = serviceName(d)
    let sys = d.files.first { $0.lowercased() == "\(service.lowercased()).sys" }
      ?? d.files.first { $0.lowercased().hasSuffix(".sys") }
    guard let sys else {
      throw WindowsConversionError.missingDriver("virtio-win's \(d.driver.folder)/\(d.osFolder) has no .sys file")
    }
    let why = "Windows must load \(service) at boot to open its system disk on \(d.driver.id == .viostor ? "virtio-blk" : "virtio-scsi")"
    let drv = try WindowsPaths.place("\(sr)/System32/drivers", in: guest.session)
    plan.upload("\(d.directory)/\(sys)", to: "\(drv)/\(service).sys", reason: why)

    let package = try packageName(d, arch: guest.release.arch)
    let store = try WindowsPaths.place("\(sr)/System32/DriverStore/FileRepository", in: guest.session) + "/" + package
    plan.makeDirectory(store, reason: "the driver package in the driver store, where Windows looks for an installed driver's files")
    for f in d.files { plan.upload("\(d.directory)/\(f)", to: "\(store)/\(f)", reason: "the driver package in the driver store") }

    let description = d.inf.models.first?.description ?? d.driver.reason
    let svc = guest.cs("Services", service)
    plan.system(
      [
        .set(key: svc, name: "Type", value: .dword(1)),
        .set(key: svc, name: "Start", value: .dword(0)),
        .set(key: svc, name: "ErrorControl", value: .dword(1)),
        .set(key: svc, name: "Group", value: .string("SCSI miniport")),
        .set(key: svc, name: "ImagePath", value: .expandString("System32\\drivers\\\(service).sys")),
        .set(key: svc, name: "DisplayName", value: .string(description)),
        .set(key: svc + ["Parameters", "PnpInterface"], name: "5", value: .dword(1)),
      ], reason: why)

    let ids = hardwareIDs(d)
    if WindowsDriverCatalog.usesCriticalDeviceDatabase(guest.release) {
      var changes: [RegistryChange] = []
      for key in criticalDeviceKeys(ids) {
        let k = guest.cs("Control", "CriticalDeviceDatabase") + [key]
        changes += [
          .set(key: k, name: "Service", value: .string(service)),
          .set(key: k, name: "ClassGUID", value: .string(d.inf.classGUID ?? d.driver.classGUID)),
        ]
      }
      plan.system(changes, reason: "\(guest.release.name) binds boot devices to drivers through the CriticalDeviceDatabase")
    } else {
      let inf = d.inf.fileName.lowercased()
      let section = d.inf.models.first?.installSection ?? "\(service)_inst"
      let provider = d.inf.provider ?? "Red Hat, Inc."
      var changes: [RegistryChange] = [
        .set(key: ["DriverDatabase", "DriverInfFiles", inf], name: "", value: .multiString([package])),
        .set(key: ["DriverDatabase", "DriverInfFiles", inf], name: "Active", value: .string(package)),
        .set(key: ["DriverDatabase", "DriverInfFiles", inf], name: "Configurations", value: .multiString([section])),
        .set(key: ["DriverDatabase", "DriverPackages", package], name: "", value: .string(inf)),
        .set(key: ["DriverDatabase", "DriverPackages", package], name: "Provider", value: .string(provider)),
        .set(key: ["DriverDatabase", "DriverPackages", package, "Configurations", section], name: "Service", value: .string(service)),
      ]
      if let v = d.inf.driverVersion {
        changes.append(.set(key: ["DriverDatabase", "DriverPackages", package], name: "Version", value: .string(v)))
      }
      for id in ids {
        let parts = id.split(separator: "\\", maxSplits: 1).map(String.init)
        changes.append(.set(key: ["DriverDatabase", "DeviceIds"] + parts, name: inf, value: .binary([0x01, 0xff, 0x00, 0x00])))
        changes += [
          .set(key: ["DriverDatabase", "DriverPackages", package, "Descriptors"] + parts, name: "Configuration", value: .string(section)),
          .set(key: ["DriverDatabase", "DriverPackages", package, "Descriptors"] + parts, name: "Description", value: .string(description)),
          .set(key: ["DriverDatabase", "DriverPackages", package, "Descriptors"] + parts, name: "Manufacturer", value: .string(provider)),
        ]
      }
      plan.system(changes, reason: "\(guest.release.name) binds devices to drivers through its driver database")
    }
  }

  /// CriticalDeviceDatabase key names for hardware ids: each id lowercased with `\` as `#`, and the shorter
  /// forms Windows also looks up (without the revision, and vendor and device only).
  static func criticalDeviceKeys(_ ids: [String]) -> [String] {
    var out: [String] = []
    func add(_ s: String) { if !out.contains(s) { out.append(s) } }
    for id in ids {
      let key = id.lowercased().replacingOccurrences(of: "\\", with: "#")
      add(key)
      let parts = key.split(separator: "&").map(String.init)
      if parts.count >= 3 { add(parts.filter { !$0.hasPrefix("rev_") }.joined(separator: "&")) }
      if parts.count >= 2 { add(parts.prefix(2).joined(separator: "&")) }
    }
    return out
  }
}
