import Foundation
import V2VModel

/// Reads an OVA (`-i ova FILE.ova|DIR|FILE.ovf`): tar (read in place) or zip, the OVF envelope, the
/// manifest (verified: a mismatch is an integrity error naming the file), and the disks, which stay inside
/// a tar as `DiskSource.archiveMember` unless gzip-compressed (then decompressed into the work directory).
public struct OVAReader: SourceReader {
  /// Where extracted files go; a fresh directory under the system temporary directory when nil. The caller
  /// owns what is extracted there (it must outlive the conversion).
  public var workDirectory: String?

  /// Creates the reader.
  public init(workDirectory: String? = nil) { self.workDirectory = workDirectory }

  /// Reads the OVA at `locations[0]`.
  public func read(_ locations: [String]) throws(ReaderError) -> SourceVM {
    let path = FileAccess.absolute(try Require.single(locations, format: "ova"))
    var madeWork: String?
    let work = { () throws(ReaderError) -> String in
      if let w = madeWork ?? workDirectory { try Self.makeDirectory(w); madeWork = w; return w }
      let w = (NSTemporaryDirectory() as NSString).appendingPathComponent("v2v-ova-\(UUID().uuidString)")
      try Self.makeDirectory(w)
      madeWork = w
      return w
    }
    let container = try OVAContainer(path: path, workDirectory: work)
    let ovfName: String
    if FileAccess.kind(path) == .file, path.lowercased().hasSuffix(".ovf") {
      ovfName = (path as NSString).lastPathComponent
    } else {
      // Listed only here: a named .ovf in a large directory (a datastore) does not list it.
      let ovfs = container.names.filter { $0.lowercased().hasSuffix(".ovf") }.sorted { $0.split(separator: "/").count < $1.split(separator: "/").count }
      guard let first = ovfs.first else { throw .unreadable(SourceLocation(file: path), "no .ovf descriptor inside") }
      guard ovfs.count == 1 else {
        let hint = FileAccess.kind(path) == .directory ? "; name the .ovf file to read" : ""
        throw .unsupported(
          SourceLocation(file: path),
          "holds \(ovfs.count) OVF descriptors (\(ovfs.map { "'\($0)'" }.joined(separator: ", "))); an OVA holds exactly one\(hint)")
      }
      ovfName = first
    }
    let ovfLabel = Self.label(path, ovfName, container)
    let base = (ovfName as NSString).deletingLastPathComponent
    func member(_ href: String) -> String { base.isEmpty ? href : (base as NSString).appendingPathComponent(href) }

    // Cheap checks first (the manifest's syntax and names, the descriptor, every disk's header and
    // extent); the digests, which read every byte, last.
    let mfName = ((ovfName as NSString).deletingPathExtension) + ".mf"
    let manifest = try container.contains(mfName) ? readManifest(mfName, label: Self.label(path, mfName, container), container: container, member: member) : nil
    let ovfBytes = try container.bytes(ovfName)
    let text = try FileAccess.decodeText(ovfBytes, file: ovfLabel, encoding: XMLParsing.encoding(of: ovfBytes))
    let doc = try XMLParsing.parse(text, file: ovfLabel)
    let envelope = try OVFEnvelope(doc, file: ovfLabel)
    let (vmIn, files) = try OVFMapper(envelope: envelope, file: ovfLabel).map()
    var vm = vmIn
    vm.origin = path
    let reserved = [
      OVAContainer.normalize(ovfName): "the OVF descriptor itself", OVAContainer.normalize(mfName): "the manifest",
      OVAContainer.normalize((ovfName as NSString).deletingPathExtension + ".cert"): "the certificate",
    ]
    for (i, f) in files.enumerated() {
      guard OVAContainer.isSafe(f.href) else { throw .integrity(f.namedBy, "disk path '\(f.href)' escapes the OVA directory") }
      var name = member(f.href)
      if let what = reserved[OVAContainer.normalize(name)] {
        throw .invalidValue(f.namedBy, "the disk's href '\(f.href)' names \(what), not a disk image")
      }
      if !container.contains(name), container.contains(name + ".000000000") { name += ".000000000" }
      if let what = container.nonFileKind(name) {
        throw .unsupported(f.namedBy, "'\(Self.label(path, name, container))' is \(what), not a regular file")
      }
      guard container.contains(name) else { throw .missingFile(f.namedBy, path: Self.label(path, name, container)) }
      try resolve(&vm.disks[i], member: name, file: f, container: container, work: work)
    }
    for i in vm.removableMedia.indices {
      if let href = vm.removableMedia[i].path {
        guard OVAContainer.isSafe(href) else { throw .integrity(SourceLocation(file: ovfLabel, context: "References/File[@href='\(href)']"), "path escapes the OVA directory") }
        vm.removableMedia[i].path = Self.label(path, member(href), container)
      }
    }
    if let (mf, label) = manifest {
      try verify(mf, label: label, ovfName: ovfName, envelope: envelope, container: container, member: member)
    }
    return vm
  }

  private func resolve(
    _ disk: inout Disk, member name: String, file f: OVFMapper.DiskFile, container: OVAContainer,
    work: () throws(ReaderError) -> String
  ) throws(ReaderError) {
    let promised = disk.format
    try resolveSource(&disk, member: name, file: f, container: container, work: work)
    if promised == .vmdk, disk.format != .vmdk {
      throw .unreadable(
        f.namedBy, "'\(disk.source.displayPath)' is not a VMDK image as the OVF's Disk/@format says (probed as \(disk.format.rawValue))")
    }
  }

  private func resolveSource(
    _ disk: inout Disk, member name: String, file f: OVFMapper.DiskFile, container: OVAContainer,
    work: () throws(ReaderError) -> String
  ) throws(ReaderError) {
    let head = try memberHead(name, container: container, namedBy: f.namedBy)
    let gzipMagic = head.starts(with: [0x1f, 0x8b])
    if f.gzip, !gzipMagic {
      throw .unreadable(f.namedBy, "'\(Self.label(container.origin, name, container))' is declared ovf:compression=\"gzip\" but is not gzip data (no 1f 8b magic)")
    }
    if !f.gzip, gzipMagic {
      // Refused rather than decompressed: the descriptor is wrong about this file, so its other claims
      // (format, capacity) cannot be trusted either, and guessing would hide a broken export.
      throw .unsupported(
        f.namedBy,
        "'\(Self.label(container.origin, name, container))' is gzip-compressed (magic 1f 8b) but its References/File has no ovf:compression=\"gzip\"; fix the OVF or decompress the file")
    }
    if f.gzip {
      let out = (try work() as NSString).appendingPathComponent((name as NSString).lastPathComponent.replacingOccurrences(of: ".gz", with: ""))
      try Gunzip.decompress(container: container, member: name, to: out)
      disk.source = .file(path: out)
    } else if let (archive, m) = container.tarMember(name) {
      disk.source = .archiveMember(archive: archive, member: m.name, offset: m.offset, length: m.size)
      let header = ImageHeader.identify(try FileAccess.bytes(archive, offset: m.offset, count: Int(min(m.size, 4096))))
      apply(header, size: m.size, to: &disk)
      return
    } else if let p = container.directoryPath(name) {
      try container.requireInside(p, namedBy: f.namedBy)
      disk.source = .file(path: p)
    }
    let probed = try DiskProbe.probe(disk.source.displayPath, namedBy: f.namedBy)
    disk.format = probed.format
    if disk.capacityBytes == nil { disk.capacityBytes = probed.capacityBytes }
    if probed.format == .vmdk { disk.vmdkVariant = probed.vmdkVariant ?? disk.vmdkVariant }
    disk.chain = probed.chain
  }

  /// The first bytes (up to 4 KiB) of member `name`.
  private func memberHead(_ name: String, container: OVAContainer, namedBy: SourceLocation) throws(ReaderError) -> [UInt8] {
    if let p = container.directoryPath(name) { try container.requireInside(p, namedBy: namedBy) }
    let (path, start, size) = try container.byteRange(name)
    guard size > 0 else { return [] }
    return try FileAccess.bytes(path, offset: start, count: Int(min(size, 4096)))
  }

  private func apply(_ header: ImageHeader, size: UInt64, to disk: inout Disk) {
    switch header.format {
    case .vmdkSparse, .vmdkCOWD, .vmdkDescriptor: disk.format = .vmdk
    case .qcow2: disk.format = .qcow2
    case .vdi: disk.format = .vdi
    case .vhd: disk.format = .vhd
    case .vhdx: disk.format = .vhdx
    case .raw: disk.format = .raw
    }
    if disk.format != .vmdk { disk.vmdkVariant = nil }
    if disk.capacityBytes == nil { disk.capacityBytes = header.format == .raw ? size : header.capacityBytes }
  }

  /// Parses the manifest and checks that every file it lists is a regular file in the OVA (cheap).
  private func readManifest(
    _ name: String, label: String, container: OVAContainer, member: (String) -> String
  ) throws(ReaderError) -> (Manifest, String) {
    let mf = try Manifest(parsing: try FileAccess.decodeText(try container.bytes(name), file: label, encoding: .utf8), file: label)
    for e in mf.entries {
      let at = SourceLocation(file: label, line: e.line, context: e.file)
      guard OVAContainer.isSafe(e.file) else { throw .integrity(at, "manifest names a path outside the OVA") }
      if let what = container.nonFileKind(member(e.file)) {
        throw .integrity(at, "manifest names '\(e.file)', which is \(what) in the OVA, not a regular file")
      }
      guard container.contains(member(e.file)) else { throw .integrity(at, "manifest names '\(e.file)', which is not in the OVA") }
    }
    return (mf, label)
  }

  /// The manifest covers the descriptor and every file the descriptor references, and every digest
  /// matches (each listed file is read in full: sha1sum/sha256sum, about the speed of a disk read).
  private func verify(
    _ mf: Manifest, label: String, ovfName: String, envelope: OVFEnvelope, container: OVAContainer,
    member: (String) -> String
  ) throws(ReaderError) {
    let listed = Set(mf.entries.map { OVAContainer.normalize(member($0.file)) })
    var required = [ovfName]
    for f in envelope.files where !f.href.isEmpty && OVAContainer.isSafe(f.href) {
      var name = member(f.href)
      if !container.contains(name), container.contains(name + ".000000000") { name += ".000000000" }
      if container.contains(name) { required.append(name) }
    }
    for name in required where !listed.contains(OVAContainer.normalize(name)) {
      throw .integrity(
        SourceLocation(file: label),
        "the manifest does not list '\(name)' (the descriptor, or a file it references), so it cannot be verified")
    }
    for e in mf.entries {
      let at = SourceLocation(file: label, line: e.line, context: e.file)
      let actual = try MemberCommand.digest(e.algorithm, container: container, member: member(e.file))
      guard actual == e.digest else {
        throw .integrity(at, "\(e.algorithm.uppercased()) mismatch for '\(e.file)': manifest says \(e.digest), file has \(actual)")
      }
    }
  }

  static func label(_ path: String, _ member: String, _ c: OVAContainer) -> String {
    if case .tar = c.storage { return "\(path)/\(member)" }
    if case .directory(let d) = c.storage { return (d as NSString).appendingPathComponent(member) }
    return member
  }

  static func makeDirectory(_ p: String) throws(ReaderError) {
    do { try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true) } catch {
      throw .unreadable(SourceLocation(file: p), "cannot create work directory: \(error)")
    }
  }
}
