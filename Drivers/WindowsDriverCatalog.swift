import V2VModel

/// A Windows release, as inspection tells it: NT version, build, client or server, architecture. The
/// one value the Windows catalog is asked about.
public struct WindowsRelease: Sendable, Equatable {
  /// NT major version: `6` for Windows 7/8/8.1 and Server 2008-2012 R2, `10` for Windows 10/11 and Server
  /// 2016 and later.
  public var major: Int
  /// NT minor version: `1` for Windows 7 / Server 2008 R2, `2` for 8 / 2012, `3` for 8.1 / 2012 R2.
  public var minor: Int
  /// Build number (`17763` for Server 2019, `22000` and up for Windows 11); `0` when it is not known.
  public var build: Int
  /// A server edition (libguestfs's product variant is not `Client`).
  public var isServer: Bool
  /// The architecture the installed Windows is built for.
  public var arch: Architecture

  /// Creates a release.
  public init(major: Int, minor: Int, build: Int, isServer: Bool, arch: Architecture) {
    self.major = major
    self.minor = minor
    self.build = build
    self.isServer = isServer
    self.arch = arch
  }

  /// Long-term server builds of NT 10.0, newest first: the build is what tells Server 2016, 2019, 2022
  /// and 2025 apart (they all report 10.0).
  static let serverBuilds: [(build: Int, name: String, folder: String)] = [
    (26100, "Windows Server 2025", "2k25"), (20348, "Windows Server 2022", "2k22"),
    (17763, "Windows Server 2019", "2k19"), (14393, "Windows Server 2016", "2k16"),
  ]

  /// The first build of Windows 11 (it still reports NT 10.0).
  static let windows11Build = 22000

  /// The product name: `Windows Server 2019`, `Windows 10`, `Windows 11`, `Windows Server 2012 R2`,
  /// `Windows 7`. A server build between two long-term releases (a semi-annual channel release) is
  /// `Windows Server (build 18362)`; an NT 10.0 server of unknown build is `Windows Server 2016 or later`.
  public var name: String {
    switch (major, minor) {
    case (10, 0):
      if !isServer { return build >= Self.windows11Build ? "Windows 11" : "Windows 10" }
      if build == 0 { return "Windows Server 2016 or later" }
      if let exact = Self.serverBuilds.first(where: { $0.build == build }) { return exact.name }
      if build < 14393 { return "Windows Server (preview build \(build))" }
      return "Windows Server (build \(build))"
    case (6, 3): return isServer ? "Windows Server 2012 R2" : "Windows 8.1"
    case (6, 2): return isServer ? "Windows Server 2012" : "Windows 8"
    case (6, 1): return isServer ? "Windows Server 2008 R2" : "Windows 7"
    case (6, 0): return isServer ? "Windows Server 2008" : "Windows Vista"
    case (5, 2): return isServer ? "Windows Server 2003" : "Windows XP x64"
    case (5, 1): return "Windows XP"
    default: return "Windows NT \(major).\(minor)\(isServer ? " Server" : "")"
    }
  }
}

/// One OS folder of virtio-win (`2k19`), with the reason v2v uses it for a release.
public struct VirtioWinFolder: Sendable, Equatable {
  /// The folder name as virtio-win spells it (`2k12R2`, `w8.1`); media may change its case.
  public var name: String
  /// Why this folder serves the release (its own folder, or which fallback and why it still fits).
  public var reason: String

  /// Creates a folder entry.
  public init(name: String, reason: String) {
    self.name = name
    self.reason = reason
  }
}

/// One Windows driver of virtio-win: where it lives, what its INF installs, which devices it drives, and
/// why a converted guest wants it.
public struct WindowsDriver: Sendable, Equatable {
  /// The drivers v2v knows, by the name of their `.sys`/service where those agree.
  public enum ID: String, CaseIterable, Sendable {
    case viostor, vioscsi, netkvm, balloon, vioserial, viorng, qemupciserial, pvpanic, qxldod
  }

  /// Which driver this is.
  public var id: ID
  /// Its top folder in virtio-win (`viostor`, `NetKVM`, `Balloon`); media may change its case.
  public var folder: String
  /// Its INF file in `<folder>/<os>/<arch>/` (`vioser.inf` for vioserial).
  public var infName: String
  /// The service its INF installs (`AddService` name; `BALLOON`, `VirtioSerial`, `VirtRng`), nil when the
  /// INF installs none of its own.
  public var service: String?
  /// Whether Windows needs it to reach its boot disk (a storage driver): these must be installed offline,
  /// the others Windows can install itself at first boot from the driver store.
  public var bootCritical: Bool
  /// Hardware ids it matches (most specific first): the legacy (transitional) and modern virtio PCI ids
  /// for virtio devices; the QEMU ids for the others (`ACPI\QEMU0001` for the ISA pvpanic device).
  public var pciIDs: [String]
  /// The device setup class GUID of its INF.
  public var classGUID: String
  /// The device setup class name of its INF (`SCSIAdapter`, `Net`, `System`, `MultiFunction`, `Display`).
  public var className: String
  /// Why a converted guest wants it.
  public var reason: String

  /// Creates a driver entry.
  public init(
    id: ID, folder: String, infName: String, service: String?, bootCritical: Bool, pciIDs: [String],
    classGUID: String, className: String, reason: String
  ) {
    self.id = id
    self.folder = folder
    self.infName = infName
    self.service = service
    self.bootCritical = bootCritical
    self.pciIDs = pciIDs
    self.classGUID = classGUID
    self.className = className
    self.reason = reason
  }
}

/// Which virtio-win drivers a Windows guest gets on KVM, where they sit in virtio-win (driver folder, OS
/// folder, architecture folder), and which registry mechanism makes a boot driver known offline.
///
/// Facts come from virtio-win itself: the INF sources in virtio-win/kvm-guest-drivers-windows (service
/// names, hardware ids, classes), virtio-win-pkg-scripts' `util/filemap.py` (the OS and architecture folder
/// names of the ISO and which build fills which folder), and QEMU's `docs/qemupciserial.inf`.
public enum WindowsDriverCatalog {
  /// Device setup classes (Microsoft's system-defined class GUIDs).
  enum SetupClass {
    static let scsiAdapter = ("SCSIAdapter", "{4D36E97B-E325-11CE-BFC1-08002BE10318}")
    static let net = ("Net", "{4D36E972-E325-11CE-BFC1-08002BE10318}")
    static let system = ("System", "{4D36E97D-E325-11CE-BFC1-08002BE10318}")
    static let multiFunction = ("MultiFunction", "{4D36E971-E325-11CE-BFC1-08002BE10318}")
    static let display = ("Display", "{4D36E968-E325-11CE-BFC1-08002BE10318}")
  }

  /// A virtio device's two PCI hardware ids: the transitional (legacy) device `1000 + n` with subsystem
  /// `subsystem`, revision 0, and the modern (virtio 1.0) device `1040 + type`, subsystem 1100, revision 1.
  /// The subsystem vendor is Red Hat's 1AF4, as in the built INFs.
  static func virtioIDs(legacy: String, subsystem: String, modern: String) -> [String] {
    [
      "PCI\\VEN_1AF4&DEV_\(legacy)&SUBSYS_\(subsystem)1AF4&REV_00",
      "PCI\\VEN_1AF4&DEV_\(modern)&SUBSYS_11001AF4&REV_01",
    ]
  }

  static func make(
    _ id: WindowsDriver.ID, folder: String, inf: String, service: String?, boot: Bool = false, ids: [String],
    setupClass: (String, String), reason: String
  ) -> WindowsDriver {
    WindowsDriver(
      id: id, folder: folder, infName: inf, service: service, bootCritical: boot, pciIDs: ids,
      classGUID: setupClass.1, className: setupClass.0, reason: reason)
  }

  /// Every driver v2v installs into a Windows guest for KVM, boot drivers first.
  public static let drivers: [WindowsDriver] = [
    make(
      .viostor, folder: "viostor", inf: "viostor.inf", service: "viostor", boot: true,
      ids: virtioIDs(legacy: "1001", subsystem: "0002", modern: "1042"), setupClass: SetupClass.scsiAdapter,
      reason: "disks on virtio-blk: without it Windows cannot reach its boot disk (INACCESSIBLE_BOOT_DEVICE)"),
    make(
      .vioscsi, folder: "vioscsi", inf: "vioscsi.inf", service: "vioscsi", boot: true,
      ids: virtioIDs(legacy: "1004", subsystem: "0008", modern: "1048"), setupClass: SetupClass.scsiAdapter,
      reason: "disks on virtio-scsi: without it Windows cannot reach its boot disk when the target uses that bus"),
    make(
      .netkvm, folder: "NetKVM", inf: "netkvm.inf", service: "netkvm",
      ids: virtioIDs(legacy: "1000", subsystem: "0001", modern: "1041"), setupClass: SetupClass.net,
      reason: "virtio-net NICs: without it the guest has no network on its converted NIC"),
    make(
      .balloon, folder: "Balloon", inf: "balloon.inf", service: "BALLOON",
      ids: virtioIDs(legacy: "1002", subsystem: "0005", modern: "1045"), setupClass: SetupClass.system,
      reason: "the virtio memory balloon every KVM guest gets: lets the host reclaim memory and read guest memory statistics"),
    make(
      .vioserial, folder: "vioserial", inf: "vioser.inf", service: "VirtioSerial",
      ids: virtioIDs(legacy: "1003", subsystem: "0003", modern: "1043"), setupClass: SetupClass.system,
      reason: "virtio-serial: the channel the QEMU guest agent talks over"),
    make(
      .viorng, folder: "viorng", inf: "viorng.inf", service: "VirtRng",
      ids: virtioIDs(legacy: "1005", subsystem: "0004", modern: "1044"), setupClass: SetupClass.system,
      reason: "virtio-rng: an entropy source from the host, so the device is not left unknown"),
    make(
      .qemupciserial, folder: "qemupciserial", inf: "qemupciserial.inf", service: nil,
      ids: ["PCI\\VEN_1B36&DEV_0002", "PCI\\VEN_1B36&DEV_0003", "PCI\\VEN_1B36&DEV_0004"],
      setupClass: SetupClass.multiFunction,
      reason:
        "QEMU's PCI serial cards: an INF only (Windows' own serial driver does the work, through mf.inf, so it adds no service), so the card is not left unknown"
    ),
    make(
      .pvpanic, folder: "pvpanic", inf: "pvpanic.inf", service: "PVPanic", ids: ["ACPI\\QEMU0001"],
      setupClass: SetupClass.system,
      reason: "QEMU's ISA pvpanic device: tells the host when Windows crashes, so the device is not left unknown"),
    make(
      .qxldod, folder: "qxldod", inf: "qxldod.inf", service: "QxlDod", ids: ["PCI\\VEN_1B36&DEV_0100&SUBSYS_11001AF4"],
      setupClass: SetupClass.display,
      reason:
        "the QXL display (Windows 8 / 2012 to Windows 10 / 2019 only: virtio-win has no qxldod for newer releases, which keep the basic display)"
    ),
  ]

  /// The entry for `id`.
  public static func driver(_ id: WindowsDriver.ID) -> WindowsDriver {
    guard let d = drivers.first(where: { $0.id == id }) else { preconditionFailure("no catalog entry for \(id)") }
    return d
  }

  /// The architecture folder virtio-win uses for `arch` (`amd64`, `x86`, `ARM64`), nil for architectures
  /// it has no drivers for.
  public static func archFolder(for arch: Architecture) -> String? {
    switch arch {
    case .x86_64: return "amd64"
    case .i386: return "x86"
    case .aarch64: return "ARM64"
    default: return nil
    }
  }

  /// The QEMU guest agent installer in virtio-win's `guest-agent/` folder for `arch`, nil when there is none.
  public static func guestAgentMSI(for arch: Architecture) -> String? {
    switch arch {
    case .x86_64: return "qemu-ga-x86_64.msi"
    case .i386: return "qemu-ga-i386.msi"
    default: return nil
    }
  }

  /// Older names of the same installer (virt-v2v still accepts them; older virtio-win media used them).
  public static func legacyGuestAgentMSIs(for arch: Architecture) -> [String] {
    switch arch {
    case .x86_64: return ["qemu-ga-x64.msi"]
    case .i386: return ["qemu-ga-x86.msi"]
    default: return []
    }
  }

  /// Whether a boot driver is made known to `release` offline through
  /// `CurrentControlSet\Control\CriticalDeviceDatabase` (NT 6.1 and older); Windows 8 / Server 2012 (NT
  /// 6.2) and later ignore that key and need the driver in the `DriverDatabase` instead.
  public static func usesCriticalDeviceDatabase(_ release: WindowsRelease) -> Bool {
    (release.major, release.minor) < (6, 2)
  }

  /// Why fallbacks never cross from client to server folders or back: virtio-win signs each OS folder's
  /// catalog for that OS (filemap.py's catalog signature strings: `Server_v100_X64_RS5` for 2k19,
  /// `v100_X64_21H2` for w11), even where the binaries are the same build.
  static let lineNote = "virtio-win signs each folder's catalog for its own OS, so v2v never borrows the other line's folder"

  /// The virtio-win OS folders whose drivers fit `release`, best first: its own folder, then older folders
  /// of the same line (server: 2k25 → 2k22 → 2k19 → 2k16; client: w11 → w10) and the same NT generation
  /// (a driver built for an older release installs on a newer one; not the reverse, and not across the
  /// NT 6 / NT 10 divide, whose folders come from different builds and signatures). Empty when v2v knows
  /// no folder for it (XP, Vista, Server 2003, an unknown version).
  public static func osFolders(for release: WindowsRelease) -> [VirtioWinFolder] {
    let name = release.name
    func own(_ folder: String) -> VirtioWinFolder {
      VirtioWinFolder(name: folder, reason: "\(folder) is virtio-win's folder for \(name)")
    }
    func older(_ folders: [(String, String)]) -> [VirtioWinFolder] {
      folders.map { folder, product in
        VirtioWinFolder(
          name: folder,
          reason: "fallback: \(folder) is built for \(product), older than \(name); drivers for an older release of the same line install on a newer one (\(lineNote))")
      }
    }
    switch (release.major, release.minor, release.isServer) {
    case (10, 0, false):
      if release.build >= WindowsRelease.windows11Build {
        return [own("w11")] + older([("w10", "Windows 10")])
      }
      var w10 = own("w10")
      if release.build == 0 { w10.reason += " (build unknown: Windows 10 drivers also install on Windows 11)" }
      return [w10]
    case (10, 0, true):
      let line = WindowsRelease.serverBuilds  // newest first
      if release.build == 0 {
        // Unknown build: the oldest NT 10 server folder installs on all of them; a newer one might not.
        return [
          VirtioWinFolder(
            name: "2k16",
            reason: "build unknown: 2k16 (Windows Server 2016) is the oldest NT 10.0 server folder, whose drivers install on every later server")
        ]
      }
      guard let index = line.firstIndex(where: { $0.build <= release.build }) else {
        // Older than Server 2016 (a technical preview): still NT 10.0, 2k16 is the nearest.
        return [
          VirtioWinFolder(
            name: "2k16", reason: "build \(release.build) predates Windows Server 2016 (14393); 2k16 is the nearest NT 10.0 server folder")
        ]
      }
      let best = line[index]
      var first = own(best.folder)
      if best.build != release.build {
        first.reason =
          "\(best.folder) (\(best.name), build \(best.build)) is the newest server folder not newer than build \(release.build)"
      }
      return [first] + older(line[(index + 1)...].map { ($0.folder, $0.name) })
    case (6, 3, true): return [own("2k12R2")] + older([("2k12", "Windows Server 2012"), ("2k8R2", "Windows Server 2008 R2"), ("2k8", "Windows Server 2008")])
    case (6, 2, true): return [own("2k12")] + older([("2k8R2", "Windows Server 2008 R2"), ("2k8", "Windows Server 2008")])
    case (6, 1, true): return [own("2k8R2")] + older([("2k8", "Windows Server 2008")])
    case (6, 0, true): return [own("2k8")]
    case (6, 3, false): return [own("w8.1")] + older([("w8", "Windows 8"), ("w7", "Windows 7")])
    case (6, 2, false): return [own("w8")] + older([("w7", "Windows 7")])
    case (6, 1, false): return [own("w7")]
    default: return []
    }
  }
}
