import Foundation
import V2VCore
import V2VModel

/// `-o qemu -os DIR`: the disks and `NAME.sh`, a script that boots the guest with qemu directly (no libvirt).
public final class QemuWriter: OutputWriter {
  /// The output directory.
  public let directory: String
  /// The accelerator the host probe chose; the script tries KVM first only when KVM works here.
  public let accelerator: Accelerator
  private let staging = FileStaging()
  public var kind: OutputKind { .qemu }

  /// Creates a writer for `directory`.
  public init(directory: String, accelerator: Accelerator) {
    self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
    self.accelerator = accelerator
  }

  /// `DIR/NAME.sh`.
  public func scriptPath(_ target: TargetVM) -> String { "\(directory)/\(QemuScript.fileName(for: target))" }

  public func plan(_ target: TargetVM, request: OutputRequest) throws -> OutputPlan {
    try staging.plan(target, in: directory, metadata: [scriptPath(target)], request: request)
  }

  public func open(_ plan: OutputPlan) throws -> [DiskDestination] { staging.open(plan) }

  public func finalize(_ target: TargetVM, domainXML: String) throws -> [String] {
    try staging.commitDisks()
    let script = scriptPath(target)
    let text = QemuScript.script(for: target, options: .init(defaultAccelerators: accelerator == .kvm ? "kvm:tcg" : "tcg"))
    try OutputChecks.writeAtomically(text, to: script, mode: 0o755)
    staging.wrote(script)
    staging.done()
    return target.disks.map(\.path) + [script]
  }

  public func rollback() { staging.rollback() }
}
