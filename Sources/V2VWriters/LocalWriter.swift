import Foundation
import V2VCore
import V2VModel

/// `-o local -os DIR`: the disks and `NAME.xml` (a libvirt domain to `virsh define` later) in DIR.
public final class LocalWriter: OutputWriter {
  /// The output directory.
  public let directory: String
  private let staging = FileStaging()
  public var kind: OutputKind { .local }

  /// Creates a writer for `directory`.
  public init(directory: String) { self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path }

  /// `DIR/NAME.xml`.
  public func xmlPath(_ target: TargetVM) -> String { "\(directory)/\(target.name).xml" }

  public func plan(_ target: TargetVM, request: OutputRequest) throws -> OutputPlan {
    try staging.plan(target, in: directory, metadata: [xmlPath(target)], request: request)
  }

  public func open(_ plan: OutputPlan) throws -> [DiskDestination] { staging.open(plan) }

  public func finalize(_ target: TargetVM, domainXML: String) throws -> [String] {
    try staging.commitDisks()
    let xml = xmlPath(target)
    try OutputChecks.writeAtomically(domainXML, to: xml)
    staging.wrote(xml)
    staging.done()
    return target.disks.map(\.path) + [xml]
  }

  public func rollback() { staging.rollback() }
}
