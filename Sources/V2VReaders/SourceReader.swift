import V2VModel

/// Reads one kind of source description into the source model.
///
/// Lives here rather than in V2VCore so readers depend only on the model (core consumes readers, not the
/// reverse). Every reader throws only `ReaderError`.
public protocol SourceReader: Sendable {
  /// Reads the source at `locations`: most formats take exactly one file or directory; the physical
  /// reader takes one device or image per disk.
  func read(_ locations: [String]) throws(ReaderError) -> SourceVM
}

extension SourceReader {
  /// Reads a source given by a single location.
  public func read(_ location: String) throws(ReaderError) -> SourceVM {
    try read([location])
  }
}

/// The source kinds `-i` accepts, each with its reader.
public enum SourceFormat: String, Sendable, CaseIterable {
  /// A VMware `.vmx` file.
  case vmx
  /// An OVA (tar or zip), a directory holding an OVF, or an `.ovf` file.
  case ova
  /// A Xen xl or xm configuration file.
  case xen
  /// A libvirt domain XML file.
  case libvirtxml
  /// Local block devices or raw images of a physical machine's disks.
  case physical

  /// The reader for this format; `physical` takes the machine facts the disks cannot tell, `ova` a
  /// directory for the files it must extract (a fresh temporary directory when nil).
  public func reader(
    physical: PhysicalMachineFacts = PhysicalMachineFacts(), workDirectory: String? = nil
  ) -> any SourceReader {
    switch self {
    case .vmx: return VMXReader()
    case .ova: return OVAReader(workDirectory: workDirectory)
    case .xen: return XenReader()
    case .libvirtxml: return LibvirtXMLReader()
    case .physical: return PhysicalReader(facts: physical)
    }
  }
}

/// Checks shared by the reader mappings.
enum Require {
  /// Exactly one location, or a usage-like `unreadable` error.
  static func single(_ locations: [String], format: String) throws(ReaderError) -> String {
    guard locations.count == 1, let only = locations.first else {
      throw .unreadable(
        SourceLocation(file: locations.joined(separator: " ")),
        "\(format) takes exactly one source file, got \(locations.count)")
    }
    return only
  }
}
