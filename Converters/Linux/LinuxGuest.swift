import V2VCore
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

  /// Where programs are looked for, in order.
  static let binDirectories = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]

  /// Whether the guest has the program `name` (in one of the usual directories).
  func hasTool(_ name: String) throws -> Bool {
    for d in Self.binDirectories where try session.exists("\(d)/\(name)") { return true }
    return false
  }

  /// The source disk names → target names, as device renames.
  var renames: [DeviceRename] {
    context.diskNameMap.map { DeviceRename(from: $0.from, to: $0.to) }
  }

  /// The appliance kernel's names for the disks (``ConversionContext/applianceDiskNames``, else `/dev/sda`,
  /// `/dev/sdb`, … in disk order) → target names, followed by
  /// the source renames for names the appliance does not use. The target disks are the distinct targets of
  /// the disk name map, in order of first appearance (the order of ``ConversionContext/virtioNameMap``).
  var applianceRenames: [DeviceRename] {
    var targets: [String] = []
    for m in context.diskNameMap where !targets.contains(m.to) { targets.append(m.to) }
    let names = context.applianceDiskNames
    var out = targets.enumerated().map { i, target in
      DeviceRename(from: names.flatMap { i < $0.count ? $0[i] : nil } ?? "/dev/sd\(DeviceNames.letters(i))", to: target)
    }
    for r in renames where !out.contains(where: { $0.from == r.from }) { out.append(r) }
    return out
  }

  /// The number of distinct target disks in the disk name map.
  var targetDiskCount: Int { Set(context.diskNameMap.map(\.to)).count }

  /// Text files in `directory` whose names end in `suffix` (guest paths, sorted).
  func files(in directory: String, suffix: String = "") throws -> [String] {
    try session.list(directory).filter { $0.hasSuffix(suffix) }.map { "\(directory)/\($0)" }
  }
}
