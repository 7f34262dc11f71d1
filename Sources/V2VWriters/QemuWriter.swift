import Foundation
import V2VCore
import V2VModel

/// `-o qemu -os DIR`: the disks and `NAME.sh`, a script that boots the guest with qemu directly (no libvirt).
public struct QemuWriter: DirectoryOutputWriter {
  /// The output directory.
  public var directory: String
  /// The accelerator the host probe chose; the script tries KVM first only when KVM works here.
  public var accelerator: Accelerator
  public var kind: String { "qemu" }

  /// Creates a writer for `directory`.
  public init(directory: String, accelerator: Accelerator) {
    self.directory = directory
    self.accelerator = accelerator
  }

  public func metadataFiles(_ target: TargetVM) -> [String] { ["\(directory)/\(QemuScript.fileName(for: target))"] }

  public func commit(_ target: TargetVM, domainXML: String, overwrite: Bool) throws -> [String] {
    let script = metadataFiles(target)[0]
    try OutputChecks.writeAtomically(QemuScript.script(for: target, options: .init(defaultAccelerators: accelerator == .kvm ? "kvm:tcg" : "tcg")), to: script, mode: 0o755)
    return target.disks.map(\.path) + [script]
  }
}
