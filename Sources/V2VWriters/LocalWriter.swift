import Foundation
import V2VCore
import V2VModel

/// `-o local -os DIR`: the disks and `NAME.xml` (a libvirt domain to `virsh define` later) in DIR.
public struct LocalWriter: DirectoryOutputWriter {
  /// The output directory.
  public var directory: String
  public var kind: String { "local" }

  /// Creates a writer for `directory`.
  public init(directory: String) { self.directory = directory }

  public func metadataFiles(_ target: TargetVM) -> [String] { ["\(directory)/\(target.name).xml"] }

  public func commit(_ target: TargetVM, domainXML: String, overwrite: Bool) throws -> [String] {
    let xml = metadataFiles(target)[0]
    try OutputChecks.writeAtomically(domainXML, to: xml)
    return target.disks.map(\.path) + [xml]
  }
}
