import Foundation
import V2VDrivers
import V2VModel
import V2VProcess

/// Why the virtio-win drivers cannot be had: a path that is not there or not virtio-win, a missing tool,
/// or a virtio-win without the driver this guest needs.
///
/// Exit class: ``ExitClass/hostNotReady`` (7) for every case. virtio-win is a host resource, like the
/// tools `v2v doctor` checks: each of these is fixed on the host (install or update virtio-win, install
/// xorriso, point `--virtio-win` or `VIRTIO_WIN` at the right place), not by changing the guest or the
/// conversion's other inputs. (A guest no virtio-win can serve is refused earlier, by the converter, as a
/// conversion failure.)
public enum VirtioWinError: Error, Equatable, CustomStringConvertible {
  /// Who named the path: it decides how messages refer to it.
  public enum Origin: Sendable, Equatable {
    /// `--virtio-win PATH`.
    case option
    /// The `VIRTIO_WIN` environment variable.
    case environment
    /// One of the distribution's places (``VirtioWinSource/distributionPlaces``).
    case distribution
  }

  /// The path does not exist.
  case missing(path: String, origin: Origin)
  /// The path exists but is neither a directory nor an ISO 9660 image.
  case notVirtioWin(path: String, origin: Origin)
  /// The path (or a file in it) cannot be read.
  case unreadable(path: String, problem: String)
  /// The source is an ISO and `tool` (xorriso), needed to read it, is not installed.
  case toolMissing(tool: String, iso: String)
  /// Extracting `member` from the ISO failed.
  case extractFailed(iso: String, member: String, problem: String)
  /// No OS folder for `release` holds the driver (`tried`: the folders looked for, best first; empty when
  /// v2v knows no virtio-win folder for the release). `source`: the virtio-win path.
  case noDriver(driver: WindowsDriver.ID, release: WindowsRelease, tried: [String], source: String = "")
  /// OS folders for the release hold the driver, but not for `arch`: `available` are the architecture
  /// folders found in the first of them, `osFolder`. `source`: the virtio-win path.
  case wrongArchitecture(
    driver: WindowsDriver.ID, arch: Architecture, available: [String], osFolder: String = "", source: String = "")
  /// The driver's INF at `path` cannot be used (``InfFileError/problem``).
  case badINF(path: String, problem: String)

  static func named(_ path: String, _ origin: Origin) -> String {
    switch origin {
    case .option: return "--virtio-win \(path)"
    case .environment: return "VIRTIO_WIN=\(path)"
    case .distribution: return path
    }
  }

  /// One line naming the path and what the user must do.
  public var description: String {
    switch self {
    case .missing(let path, let origin):
      return "\(Self.named(path, origin)): no such file or directory"
    case .notVirtioWin(let path, let origin):
      return
        "\(Self.named(path, origin)): neither a directory nor an ISO 9660 image: give the virtio-win ISO or a directory with its contents"
    case .unreadable(let path, let problem):
      return "virtio-win at \(path): cannot be read (\(problem))"
    case .toolMissing(let tool, let iso):
      return
        "virtio-win at \(iso) is an ISO image and reading it needs \(tool): install \(tool), or give a directory with the ISO's contents to --virtio-win"
    case .extractFailed(let iso, let member, let problem):
      return "virtio-win at \(iso): cannot extract \(member): \(problem)"
    case .noDriver(let driver, let release, let tried, let source):
      let at = source.isEmpty ? "virtio-win" : "virtio-win at \(source)"
      if tried.isEmpty {
        return "\(at) has no \(driver.rawValue) driver for \(release.name): v2v knows no virtio-win folder for this release"
      }
      return
        "\(at) has no \(driver.rawValue) driver for \(release.name) (tried \(tried.joined(separator: ", "))): use a newer virtio-win"
    case .wrongArchitecture(let driver, let arch, let available, let osFolder, let source):
      let at = source.isEmpty ? "virtio-win" : "virtio-win at \(source)"
      let archName = WindowsDriverCatalog.archFolder(for: arch) ?? arch.rawValue
      let found = available.isEmpty ? "no architecture folders" : "found: \(available.joined(separator: ", "))"
      let folder = osFolder.isEmpty ? "" : " for \(osFolder)"
      return "\(at) has \(driver.rawValue)\(folder) but not for \(archName) (\(found))"
    case .badINF(let path, let problem):
      return "virtio-win driver \(path): \(problem): reinstall virtio-win"
    }
  }
}

extension VirtioWinError: ClassifiedError {
  /// Always ``ExitClass/hostNotReady``: see the type's documentation.
  public var exitClass: ExitClass { .hostNotReady }
}

/// Where the virtio-win drivers come from: a directory laid out like the virtio-win ISO
/// (`viostor/2k19/amd64/viostor.inf`, `guest-agent/qemu-ga-x86_64.msi`), or the ISO itself.
public struct VirtioWinSource: Sendable, Equatable {
  /// What the path is.
  public enum Kind: Sendable, Equatable {
    /// A directory with the ISO's layout.
    case directory
    /// An ISO 9660 image (a file or a block device), read with xorriso.
    case iso
  }

  /// The path as given (or found).
  public let path: String
  /// Directory or ISO.
  public let kind: Kind

  /// Creates a source without checking it (``locate(option:environment:)`` checks).
  public init(path: String, kind: Kind) {
    self.path = path
    self.kind = kind
  }

  /// The distribution's places, in the order they are tried: the ISO first, as virt-v2v does (the
  /// virtio-win package's directory holds the ISO, and its unpacked `drivers/` tree is not laid out like it).
  public static let distributionPlaces = ["/usr/share/virtio-win/virtio-win.iso", "/usr/share/virtio-win"]

  /// `--virtio-win PATH`, else `environment["VIRTIO_WIN"]` (unless empty), else the distribution's places
  /// (``distributionPlaces``); nil when nothing is found and nothing was asked for. A path that was asked
  /// for (or found) but is missing, or neither a directory nor an ISO 9660 image (`CD001` at byte 32769),
  /// is a ``VirtioWinError``.
  public static func locate(option: String?, environment: [String: String]) throws -> VirtioWinSource? {
    try locate(option: option, environment: environment, distributionPlaces: distributionPlaces)
  }

  /// ``locate(option:environment:)`` with other distribution places (tests).
  public static func locate(
    option: String?, environment: [String: String], distributionPlaces: [String]
  ) throws -> VirtioWinSource? {
    if let option { return try classify(option, origin: .option) }
    if let env = environment["VIRTIO_WIN"], !env.isEmpty { return try classify(env, origin: .environment) }
    for place in distributionPlaces where FileManager.default.fileExists(atPath: place) {
      return try classify(place, origin: .distribution)
    }
    return nil
  }

  /// Checks what `path` is: a directory, or an ISO 9660 image (a regular file or block device).
  public static func classify(_ path: String, origin: VirtioWinError.Origin) throws -> VirtioWinSource {
    var isDirectory: ObjCBool = false
    guard !path.isEmpty, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw VirtioWinError.missing(path: path, origin: origin)
    }
    if isDirectory.boolValue { return VirtioWinSource(path: path, kind: .directory) }
    guard isISO9660(path) else { throw VirtioWinError.notVirtioWin(path: path, origin: origin) }
    return VirtioWinSource(path: path, kind: .iso)
  }

  /// Whether `path` starts like an ISO 9660 image: the first volume descriptor (sector 16, at byte 32768)
  /// carries the standard identifier `CD001` after its type byte.
  public static func isISO9660(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    guard (try? handle.seek(toOffset: 32769)) != nil, let bytes = try? handle.read(upToCount: 5) else { return false }
    return [UInt8](bytes) == Array("CD001".utf8)
  }

  /// Opens the source. A directory is read in place; an ISO is listed now (xorriso) and the files a
  /// caller asks for are extracted, on demand, under `scratch` (created when needed; the caller removes it).
  public func open(scratch: String) throws -> VirtioWinTree {
    switch kind {
    case .directory: return VirtioWinTree(source: self, scratch: scratch, isoListing: nil)
    case .iso: return VirtioWinTree(source: self, scratch: scratch, isoListing: try Self.listISO(path))
    }
  }

  /// Runs xorriso, naming a missing xorriso as such.
  static func xorriso(_ args: [String], iso: String, timeout: Double) throws -> ProcessRunner.Result {
    do {
      return try ProcessRunner.run(["xorriso"] + args, timeout: timeout)
    } catch ProcessRunner.Failure.notFound {
      throw VirtioWinError.toolMissing(tool: "xorriso", iso: iso)
    }
  }

  /// The files of the ISO (absolute ISO paths, as Rock Ridge names them).
  static func listISO(_ iso: String) throws -> [String] {
    let r = try xorriso(["-indev", iso, "-find", "/", "-type", "f"], iso: iso, timeout: 300)
    guard r.succeeded else { throw VirtioWinError.unreadable(path: iso, problem: xorrisoProblem(r)) }
    return r.stdout.split(separator: "\n").compactMap { parseQuoted(String($0)) }
  }

  /// The line of xorriso's output that says what went wrong.
  static func xorrisoProblem(_ r: ProcessRunner.Result) -> String {
    let lines = r.stderr.split(separator: "\n").map(String.init)
    if let failure = lines.last(where: { $0.contains("FAILURE") || $0.contains("SORRY") }) {
      return failure.replacingOccurrences(of: "xorriso : ", with: "xorriso: ")
    }
    if r.timedOut { return "xorriso timed out" }
    return lines.last ?? "xorriso exited with status \(r.status)"
  }

  /// One path as xorriso's `-find` prints it: shell-quoted, `'` within as `'"'"'`. nil for other lines.
  static func parseQuoted(_ line: String) -> String? {
    guard line.hasPrefix("'") else { return nil }
    var out = ""
    var quote: Character?
    for c in line {
      if let q = quote {
        if c == q { quote = nil } else { out.append(c) }
      } else if c == "'" || c == "\"" {
        quote = c
      } else {
        out.append(c)
      }
    }
    return quote == nil ? out : nil
  }
}

/// One driver found in virtio-win for a guest, ready to copy: its files on the host and its parsed INF.
public struct LocatedDriver: Sendable, Equatable {
  /// The catalog entry.
  public var driver: WindowsDriver
  /// The OS folder used (`2k19`, as the catalog spells it).
  public var osFolder: String
  /// Whether that folder is not the release's first choice (the converter warns).
  public var fellBack: Bool
  /// The host directory holding the files (inside the source directory, or extracted under scratch).
  public var directory: String
  /// The names of the files there, sorted.
  public var files: [String]
  /// The parsed INF.
  public var inf: InfFile

  /// Creates a located driver.
  public init(driver: WindowsDriver, osFolder: String, fellBack: Bool, directory: String, files: [String], inf: InfFile) {
    self.driver = driver
    self.osFolder = osFolder
    self.fellBack = fellBack
    self.directory = directory
    self.files = files
    self.inf = inf
  }
}

/// An opened virtio-win: finds a driver's folder for a release (names compared case-insensitively, as
/// media differ) and gives host paths to its files, extracting them from an ISO when it is one.
public final class VirtioWinTree {
  /// A directory entry.
  struct Entry: Hashable {
    var name: String
    var isDirectory: Bool
  }

  /// Where it comes from.
  public let source: VirtioWinSource
  /// Where ISO members are extracted.
  let scratch: String
  /// For an ISO: each directory (components joined by `/`, `""` for the root) → its entries.
  private var isoDirectories: [String: [Entry]]?
  /// ISO members already extracted (components joined by `/`).
  private var extracted: Set<String> = []

  init(source: VirtioWinSource, scratch: String, isoListing: [String]?) {
    self.source = source
    self.scratch = scratch
    guard let isoListing else { return }
    var dirs: [String: Set<Entry>] = ["": []]
    for file in isoListing {
      let parts = Self.components(file)
      guard !parts.isEmpty else { continue }
      for i in parts.indices {
        let parent = parts[..<i].joined(separator: "/")
        dirs[parent, default: []].insert(Entry(name: parts[i], isDirectory: i < parts.count - 1))
      }
    }
    isoDirectories = dirs.mapValues { $0.sorted { $0.name < $1.name } }
  }

  /// An ISO path's components, without the ISO 9660 version suffix (`;1`) plain ISO names carry.
  static func components(_ path: String) -> [String] {
    path.split(separator: "/").map { part in
      part.hasSuffix(";1") ? String(part.dropLast(2)) : String(part)
    }
  }

  /// The entries of the directory at `path` (actual names), empty when it is not there.
  func entries(_ path: [String]) -> [Entry] {
    if let isoDirectories { return isoDirectories[path.joined(separator: "/")] ?? [] }
    let dir = ([source.path] + path).joined(separator: "/")
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
    return names.sorted().map { name in
      var isDirectory: ObjCBool = false
      _ = FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDirectory)
      return Entry(name: name, isDirectory: isDirectory.boolValue)
    }
  }

  /// The entry of `path` named `name`, case-insensitively (an exact match first).
  func entry(_ name: String, in path: [String]) -> Entry? {
    let all = entries(path)
    return all.first { $0.name == name } ?? all.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
  }

  /// The host path of `path` (actual names): in the source directory, or extracted from the ISO under
  /// scratch (once).
  func hostPath(_ path: [String]) throws -> String {
    guard isoDirectories != nil else { return ([source.path] + path).joined(separator: "/") }
    guard !path.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else {
      throw VirtioWinError.unreadable(path: source.path, problem: "unsafe member name \(path.joined(separator: "/"))")
    }
    let key = path.joined(separator: "/")
    let destination = scratch + "/" + key
    if extracted.contains(key) { return destination }
    let member = "/" + key
    do {
      try FileManager.default.createDirectory(
        atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    } catch {
      throw VirtioWinError.extractFailed(iso: source.path, member: member, problem: "cannot create \(scratch): \(error.localizedDescription)")
    }
    let r = try VirtioWinSource.xorriso(
      ["-osirrox", "on", "-indev", source.path, "-extract", member, destination], iso: source.path, timeout: 600)
    guard r.succeeded else {
      throw VirtioWinError.extractFailed(iso: source.path, member: member, problem: VirtioWinSource.xorrisoProblem(r))
    }
    Self.makeWritable(destination)
    extracted.insert(key)
    return destination
  }

  /// Adds owner write permission to what xorriso extracted (ISO files are often read-only), so the scratch
  /// directory can be removed.
  static func makeWritable(_ path: String) {
    let fm = FileManager.default
    var all = [path]
    if let sub = fm.subpaths(atPath: path) { all += sub.map { path + "/" + $0 } }
    for p in all {
      guard let attrs = try? fm.attributesOfItem(atPath: p), let mode = attrs[.posixPermissions] as? Int else { continue }
      let isDir = (attrs[.type] as? FileAttributeType) == .typeDirectory
      try? fm.setAttributes([.posixPermissions: mode | (isDir ? 0o700 : 0o600)], ofItemAtPath: p)
    }
  }

  /// Finds `driver` for `release`: the first of ``WindowsDriverCatalog/osFolders(for:)`` that exists
  /// with the architecture folder holding the driver's INF. Throws ``VirtioWinError/noDriver(driver:release:tried:source:)``
  /// when no OS folder matches, ``VirtioWinError/wrongArchitecture(driver:arch:available:osFolder:source:)``
  /// when OS folders exist but none for the architecture, ``VirtioWinError/badINF(path:problem:)`` when the
  /// INF found does not parse for the architecture.
  public func locate(_ driver: WindowsDriver, for release: WindowsRelease) throws -> LocatedDriver {
    let folders = WindowsDriverCatalog.osFolders(for: release)
    let noDriver = VirtioWinError.noDriver(
      driver: driver.id, release: release, tried: folders.map(\.name), source: source.path)
    guard !folders.isEmpty, let top = entry(driver.folder, in: []), top.isDirectory else { throw noDriver }
    let archName = WindowsDriverCatalog.archFolder(for: release.arch)
    var wrongArch: VirtioWinError?
    for (index, folder) in folders.enumerated() {
      guard let os = entry(folder.name, in: [top.name]), os.isDirectory else { continue }
      if let archName, let arch = entry(archName, in: [top.name, os.name]), arch.isDirectory,
        let inf = entry(driver.infName, in: [top.name, os.name, arch.name]), !inf.isDirectory
      {
        let directory = try hostPath([top.name, os.name, arch.name])
        let files: [String]
        do {
          files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory)
              && !isDirectory.boolValue
          }.sorted()
        } catch {
          throw VirtioWinError.unreadable(path: directory, problem: error.localizedDescription)
        }
        let infPath = directory + "/" + inf.name
        let parsed: InfFile
        do {
          parsed = try InfFile(path: infPath, arch: release.arch)
        } catch let e as InfFileError {
          throw VirtioWinError.badINF(path: infPath, problem: e.problem)
        }
        return LocatedDriver(
          driver: driver, osFolder: folder.name, fellBack: index > 0, directory: directory, files: files, inf: parsed)
      }
      if wrongArch == nil {
        let available = entries([top.name, os.name]).filter(\.isDirectory).map(\.name).sorted()
        wrongArch = .wrongArchitecture(
          driver: driver.id, arch: release.arch, available: available, osFolder: folder.name, source: source.path)
      }
    }
    throw wrongArch ?? noDriver
  }

  /// The host path of the QEMU guest agent installer for `arch` (`guest-agent/qemu-ga-x86_64.msi`, or an
  /// older name of it), extracted from an ISO; nil when virtio-win has none.
  public func guestAgent(for arch: Architecture) throws -> String? {
    guard let primary = WindowsDriverCatalog.guestAgentMSI(for: arch),
      let folder = entry("guest-agent", in: []), folder.isDirectory
    else { return nil }
    for name in [primary] + WindowsDriverCatalog.legacyGuestAgentMSIs(for: arch) {
      if let msi = entry(name, in: [folder.name]), !msi.isDirectory { return try hostPath([folder.name, msi.name]) }
    }
    return nil
  }
}
