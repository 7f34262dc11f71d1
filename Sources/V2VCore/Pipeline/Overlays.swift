import Foundation
import V2VModel
import V2VProcess

/// Copy-on-write overlays over the source disks: the conversion writes only to these; the source is opened
/// read-only as their backing file and never written.
public enum Overlays {
  /// The backing file name and format qemu opens for a source disk. Archive members (an uncompressed disk
  /// inside an OVA) are read in place through qemu's raw driver with an offset and size.
  public static func backing(for disk: Disk) -> (file: String, format: String) {
    switch disk.source {
    case .file(let p), .block(let p):
      return (URL(fileURLWithPath: p).standardizedFileURL.path, disk.format.rawValue)
    case .archiveMember(let archive, _, let offset, let length):
      let file = URL(fileURLWithPath: archive).standardizedFileURL.path
      // The format driver on top, reading a raw byte-range slice of the archive (`-F` must name that format).
      // qemu wants the slice a multiple of 512; tar pads each member with zeros to 512, so rounding up stays
      // inside the member's own blocks.
      let padded = (length + 511) / 512 * 512
      let slice = #"{"driver":"raw","offset":\#(offset),"size":\#(padded),"file":{"driver":"file","filename":\#(jsonString(file))}}"#
      let json = #"{"driver":"\#(disk.format.rawValue)","file":\#(slice)}"#
      return ("json:" + json, disk.format.rawValue)
    case .remote(let uri): return (uri, disk.format.rawValue)
    }
  }

  /// Creates one qcow2 overlay per disk in `directory` (`overlay-sda.qcow2`, …).
  public static func create(for disks: [Disk], in directory: String) throws -> [OverlayDisk] {
    try disks.enumerated().map { i, d in
      let (file, format) = backing(for: d)
      return try create(over: file, format: format, at: "\(directory)/overlay-sd\(DeviceNames.letters(i)).qcow2", displayPath: d.source.displayPath)
    }
  }

  /// Creates a qcow2 overlay at `path` whose backing file is `file` (opened read-only by whoever uses the
  /// overlay, never written) with `qemu-img create`: the one way v2v makes overlays, for the conversion and
  /// for the test boot's read-back.
  public static func create(over file: String, format: String, at path: String, displayPath: String? = nil) throws -> OverlayDisk {
    let r = try ProcessRunner.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", format, "-b", file, path], timeout: 120)
    guard r.succeeded else {
      throw SourceDiskError(path: displayPath ?? file, message: r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
    }
    JobScope.current?.removeOnCancel(path)
    return OverlayDisk(path: path)
  }

  /// Enlarges an overlay's virtual size (`qemu-img resize`): the source behind it is not touched, and the new
  /// space reads as zeroes.
  public static func resize(_ path: String, to bytes: UInt64) throws {
    let r = try ProcessRunner.run(["qemu-img", "resize", "-q", "-f", "qcow2", path, String(bytes)], timeout: 120)
    guard r.succeeded else { throw SourceDiskError(path: path, message: "resize: " + r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) }
  }

  /// Virtual size of an image in bytes (`qemu-img info`).
  public static func virtualSize(_ path: String) throws -> UInt64 {
    let r = try ProcessRunner.run(["qemu-img", "info", "--output=json", path], timeout: 60)
    guard r.succeeded, let data = r.stdout.data(using: .utf8),
      let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any],
      let size = (obj["virtual-size"] as? NSNumber)?.uint64Value
    else { throw SourceDiskError(path: path, message: r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) }
    return size
  }

  static func jsonString(_ s: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
    let text = String(decoding: data, as: UTF8.self)
    return String(text.dropFirst().dropLast())
  }
}

/// qemu could not open a source disk.
public struct SourceDiskError: Error, CustomStringConvertible {
  /// The disk.
  public var path: String
  /// qemu's words.
  public var message: String
  public var description: String { "\(path): cannot open disk: \(message)" }
}
