import Foundation
import V2VCore
import V2VModel

/// A ``GuestAppliance`` over a ``FakeGuestSession``: inspection answers are given, mounting is a no-op.
/// Lets pipeline tests run every stage but the real appliance in milliseconds.
public final class FakeAppliance: GuestAppliance {
  /// The guest tree.
  public let session: FakeGuestSession
  /// What `roots()` returns.
  public var rootDevices: [String]
  /// What `inspect(root:)` returns.
  public var inspection: GuestInspection?
  /// Whether `close()` was called.
  public private(set) var closed = false
  /// What `encryptedVolumes()` returns.
  public var encrypted: [EncryptedVolume] = []

  /// Creates a fake appliance.
  public init(session: FakeGuestSession, roots: [String], inspection: GuestInspection?) {
    self.session = session
    self.rootDevices = roots
    self.inspection = inspection
  }

  public func roots() throws -> [String] { rootDevices }
  public func inspect(root: String) throws -> GuestInspection {
    guard let inspection else { throw ConversionError.noOperatingSystem }
    return inspection
  }
  public func mount(_ inspection: GuestInspection, readOnly: Bool) throws {}
  public func kernelDiskNames(diskCount: Int, inspection: GuestInspection) -> [String?] { Array(repeating: nil, count: diskCount) }
  public func trim() -> [String] { [] }
  public func encryptedVolumes() -> [EncryptedVolume] { encrypted }
  public func lastMountTime(device: String) -> Date? { nil }
  public func close() throws { closed = true }

  public func readFile(_ path: String) throws -> [UInt8]? { try session.readFile(path) }
  public func writeFile(_ path: String, _ bytes: [UInt8]) throws { try session.writeFile(path, bytes) }
  public func readDevice(_ device: String, offset: Int64, count: Int) throws -> [UInt8] {
    try session.readDevice(device, offset: offset, count: count)
  }
  public func upload(hostPath: String, to guestPath: String) throws { try session.upload(hostPath: hostPath, to: guestPath) }
  public func download(_ guestPath: String, toHostPath hostPath: String) throws {
    try session.download(guestPath, toHostPath: hostPath)
  }
  public func exists(_ path: String) throws -> Bool { try session.exists(path) }
  public func isDirectory(_ path: String) throws -> Bool { try session.isDirectory(path) }
  public func list(_ directory: String) throws -> [String] { try session.list(directory) }
  public func readLink(_ path: String) throws -> String? { try session.readLink(path) }
  public func remove(_ path: String) throws { try session.remove(path) }
  public func makeDirectory(_ path: String, mode: Int?, owner: (uid: Int, gid: Int)?) throws {
    try session.makeDirectory(path, mode: mode, owner: owner)
  }
  public func setMode(_ path: String, _ mode: Int) throws { try session.setMode(path, mode) }
  public func setOwner(_ path: String, uid: Int, gid: Int) throws { try session.setOwner(path, uid: uid, gid: gid) }
  public func fileInfo(_ path: String) throws -> (size: Int64, mode: Int, uid: Int, gid: Int)? { try session.fileInfo(path) }
  public func run(_ argv: [String]) throws -> String { try session.run(argv) }
  public func filesystemUUID(_ device: String) throws -> String? { try session.filesystemUUID(device) }
  public func blockDeviceIdentities() throws -> [BlockDeviceIdentity]? { try session.blockDeviceIdentities() }
}

/// Hands out one prepared ``FakeAppliance`` and counts launches.
public final class FakeLauncher: ApplianceLauncher {
  /// The appliance handed out.
  public let appliance: FakeAppliance
  /// How many times `launch` was called.
  public private(set) var launches = 0
  /// The overlays it was given.
  public private(set) var disks: [OverlayDisk] = []

  /// Creates a launcher.
  public init(appliance: FakeAppliance) { self.appliance = appliance }

  public func launch(
    disks: [OverlayDisk], accelerator: Accelerator, verbose: Bool, report: (String) -> Void
  ) throws -> any GuestAppliance {
    launches += 1
    self.disks = disks
    return appliance
  }
}

/// Records events.
public final class RecordingEventSink: EventSink {
  /// Stages, in order.
  public private(set) var stages: [String] = []
  /// Warnings.
  public private(set) var warnings: [String] = []
  /// The job id of every event, in order.
  public private(set) var jobs: [String] = []
  /// Creates a sink.
  public init() {}
  public func emit(_ event: ConversionEvent, job: String) {
    jobs.append(job)
    switch event {
    case .stage(let s): stages.append(s)
    case .warning(let w): warnings.append(w)
    default: break
    }
  }
}
