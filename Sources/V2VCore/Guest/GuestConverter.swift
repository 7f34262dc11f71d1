import V2VModel

/// Rewrites a guest OS for a target: drivers, device names, console, tools.
public protocol GuestConverter {
  /// Whether this converter handles the inspected guest.
  func handles(_ inspection: GuestInspection) -> Bool
  /// Reads the guest and returns the changes needed for `target`, without writing anything (`--dry-run`
  /// prints these). May throw ``ConversionError`` (no bootable kernel, unsupported guest).
  func plan(session: GuestSession, inspection: GuestInspection, context: ConversionContext) throws -> ConversionReport
}

/// What a converter knows about the conversion besides the guest itself.
public struct ConversionContext: Sendable {
  /// The source machine.
  public var source: SourceVM
  /// Source device name → target device name, for every disk and partition the guest may name
  /// (`/dev/sda` → `/dev/vda`, `/dev/xvdb` → `/dev/vdb`). Partition numbers are kept by the rules.
  public var diskNameMap: [(from: String, to: String)]
  /// The target's disk bus.
  public var targetBus: Bus
  /// The conversion appliance kernel's name for each source disk, in disk order (`/dev/sdb` when the
  /// appliance's own disk took `sda`). Tools run in the appliance (grub-mkconfig) write these names; the
  /// fix-up maps them to target names. Nil: assume `/dev/sda`, `/dev/sdb`, … in disk order.
  public var applianceDiskNames: [String]?

  /// Creates a context.
  public init(source: SourceVM, diskNameMap: [(from: String, to: String)], targetBus: Bus = .virtio) {
    self.source = source
    self.diskNameMap = diskNameMap
    self.targetBus = targetBus
  }

  /// The usual map for `count` disks on virtio: every source naming scheme (sdX, hdX, xvdX, vdX) of disk i
  /// → vd<i>. The appliance names disks sdX in the same order, so this also maps the appliance's view.
  public static func virtioNameMap(diskCount: Int) -> [(from: String, to: String)] {
    var map: [(String, String)] = []
    for i in 0..<max(diskCount, 1) {
      let letter = DeviceNames.letters(i)
      for prefix in ["sd", "hd", "xvd"] { map.append(("/dev/\(prefix)\(letter)", "/dev/vd\(letter)")) }
    }
    return map
  }
}

/// Linux disk naming helpers.
public enum DeviceNames {
  /// 0 → `a`, 25 → `z`, 26 → `aa` (the kernel's sd naming).
  public static func letters(_ index: Int) -> String {
    var i = index
    var s = ""
    repeat {
      s = String(UnicodeScalar(UInt8(97 + i % 26))) + s
      i = i / 26 - 1
    } while i >= 0
    return s
  }
}

/// Failures of the conversion stage (exit code 5).
public enum ConversionError: Error, Equatable, CustomStringConvertible {
  /// Inspection found no operating system.
  case noOperatingSystem
  /// Inspection found several and `--root` did not choose.
  case multipleRoots([String])
  /// `--root` named a device that is not a root.
  case rootNotFound(String, [String])
  /// No converter handles this guest.
  case unsupportedGuest(String)
  /// No installed kernel can drive virtio.
  case noVirtioKernel([String])
  /// A command run in the guest failed.
  case guestCommandFailed(String, String)

  public var description: String {
    switch self {
    case .noOperatingSystem: return "no operating system found on the source disks"
    case .multipleRoots(let r): return "several operating systems found (\(r.joined(separator: ", "))); choose one with --root"
    case .rootNotFound(let r, let all): return "--root \(r): not an operating system root (found: \(all.joined(separator: ", ")))"
    case .unsupportedGuest(let g): return "unsupported guest: \(g)"
    case .noVirtioKernel(let ks):
      return "no installed kernel can drive virtio (kernels found: \(ks.isEmpty ? "none" : ks.joined(separator: ", ")))"
    case .guestCommandFailed(let what, let why): return "\(what): \(why)"
    }
  }
}
