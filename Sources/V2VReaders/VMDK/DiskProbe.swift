import Foundation
import V2VModel

/// What probing a disk image found.
struct ProbedImage: Equatable {
  /// Image format (of the newest layer).
  var format: DiskFormat
  /// Virtual size, when the image states it (raw: the file or device size).
  var capacityBytes: UInt64?
  /// The VMDK `createType` of the newest layer.
  var vmdkVariant: String?
  /// The snapshot chain newest first ending at the base, or empty for a single image.
  var chain: [String]
  /// Whether the path is a block device.
  var isBlockDevice: Bool
}

/// The I/O edge that looks at a disk a source names: checks it exists, identifies its format, follows
/// VMDK `parentFileNameHint` and qcow2 backing chains so the current state is what gets converted.
enum DiskProbe {
  /// Longest snapshot chain followed.
  static let maxChain = 64

  /// Probes the image at `path`, which the source named at `namedBy`.
  static func probe(_ path: String, namedBy: SourceLocation) throws(ReaderError) -> ProbedImage {
    var chain: [String] = []
    var current = path
    var currentBy = namedBy
    var first: ProbedImage?
    let root = ((FileAccess.realPath(path) ?? path) as NSString).deletingLastPathComponent
    while true {
      guard !chain.contains(current) else {
        throw .invalidValue(currentBy, "snapshot chain loops back to '\(current)'")
      }
      guard chain.count < maxChain else {
        throw .invalidValue(currentBy, "snapshot chain longer than \(maxChain) images")
      }
      chain.append(current)
      let (layer, parent) = try probeOne(current, namedBy: currentBy, root: root)
      if let child = first, child.format == .vmdk, layer.format != .vmdk {
        throw .unreadable(currentBy, "parent '\(current)' is not a VMDK image (no VMDK header or descriptor; probed as \(layer.format.rawValue))")
      }
      if first == nil { first = layer }
      guard let parent else { break }
      currentBy = SourceLocation(file: current, context: "parentFileNameHint")
      current = FileAccess.resolve(parent, relativeTo: current)
      try FileAccess.requireInside(current, root: root, namedBy: currentBy)
    }
    var result = first!
    result.chain = chain.count > 1 ? chain : []
    return result
  }

  /// One layer: its facts and its parent's name, if any.
  private static func probeOne(_ path: String, namedBy: SourceLocation, root: String) throws(ReaderError)
    -> (ProbedImage, String?)
  {
    let kind = FileAccess.kind(path)
    switch kind {
    case .missing: throw .missingFile(namedBy, path: path)
    case .directory: throw .invalidValue(namedBy, "disk '\(path)' is a directory")
    default: break
    }
    try FileAccess.requireReadableType(path, namedBy: namedBy)
    let isBlock = kind == .blockDevice
    let head = try FileAccess.bytes(path, count: 4096)
    let size = FileAccess.size(path)
    var header = ImageHeader.identify(head)
    if header.format == .raw, let size, size >= 512 {
      let tail = try FileAccess.bytes(path, offset: size - 512, count: 512)
      if ImageHeader.identify(tail).format == .vhd { header = ImageHeader.identify(tail) }
    }
    switch header.format {
    case .raw:
      return (ProbedImage(format: .raw, capacityBytes: size, chain: [], isBlockDevice: isBlock), nil)
    case .qcow2:
      var parent: String?
      if let (off, len) = header.backingFileName {
        let nameBytes = try FileAccess.bytes(path, offset: off, count: len)
        guard nameBytes.count == len else {
          throw .unreadable(namedBy, "qcow2 header of '\(path)' puts its backing file name (\(len) bytes at offset \(off)) past the end of the image")
        }
        parent = String(decoding: nameBytes, as: UTF8.self)
      }
      let p = ProbedImage(format: .qcow2, capacityBytes: header.capacityBytes, chain: [], isBlockDevice: isBlock)
      return (p, parent)
    case .vdi, .vhd, .vhdx:
      let f: DiskFormat = header.format == .vdi ? .vdi : header.format == .vhd ? .vhd : .vhdx
      return (ProbedImage(format: f, capacityBytes: header.capacityBytes, chain: [], isBlockDevice: isBlock), nil)
    case .vmdkCOWD:
      let p = ProbedImage(
        format: .vmdk, capacityBytes: header.capacityBytes, vmdkVariant: "vmfsSparse", chain: [],
        isBlockDevice: isBlock)
      return (p, nil)
    case .vmdkSparse:
      var variant = "monolithicSparse"
      var parent: String?
      if let (off, len) = header.embeddedDescriptor {
        let bytes = try FileAccess.bytes(path, offset: off, count: len)
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        let d = try VMDKDescriptor.parse(text, file: path)
        variant = d.createType
        if d.hasParent { parent = d.parentFileNameHint }
      }
      let p = ProbedImage(
        format: .vmdk, capacityBytes: header.capacityBytes, vmdkVariant: variant, chain: [],
        isBlockDevice: isBlock)
      return (p, parent)
    case .vmdkDescriptor:
      var bytes = try FileAccess.bytes(path, count: 1 << 16)
      // A descriptor longer than what was read is cut at its last whole line (never inside a character).
      if bytes.count == 1 << 16, let nl = bytes.lastIndex(of: 10) { bytes = Array(bytes[...nl]) }
      let text = try FileAccess.decodeText(bytes, file: path, encoding: VMDKDescriptor.encoding(of: bytes))
      let d = try VMDKDescriptor.parse(text, file: path)
      for e in d.extents {
        guard let f = e.file else { continue }
        let extentPath = FileAccess.resolve(f, relativeTo: path)
        if FileAccess.kind(extentPath) == .missing {
          throw .missingFile(SourceLocation(file: path, line: e.line, context: "extent"), path: extentPath)
        }
        try FileAccess.requireInside(extentPath, root: root, namedBy: SourceLocation(file: path, line: e.line, context: "extent"))
        try FileAccess.requireReadableType(extentPath, namedBy: SourceLocation(file: path, line: e.line, context: "extent"))
      }
      let p = ProbedImage(
        format: .vmdk, capacityBytes: d.capacityBytes, vmdkVariant: d.createType, chain: [],
        isBlockDevice: isBlock)
      return (p, d.hasParent ? d.parentFileNameHint : nil)
    }
  }
}
