import Foundation
import V2VCore
import V2VModel

/// The human summary printed after a conversion.
enum Summary {
  static func print(_ r: ConversionResult, seconds: Double) {
    let guest = r.guest?.displayName ?? "guest"
    let verb = r.dryRun ? "Dry run of" : "Converted"
    Console.out("")
    Console.out(String(format: "%@ '%@' (%@) in %.1f s, %d appliance start%@", verb, r.name, guest, seconds, r.applianceStarts, r.applianceStarts == 1 ? "" : "s"))
    Console.out("  target: \(r.platform.summary)")
    if let k = r.conversion.bootKernel { Console.out("  boot kernel: \(k)") }
    let changes = r.conversion.changes
    Console.out("  \(r.dryRun ? "changes it would make" : "changes made"): \(changes.count)")
    for c in changes {
      Console.out("    - \(c.summary)  [\(c.reason)]")
      // A dry run shows exactly what a typed operation would do (each registry value).
      if r.dryRun, case .operation(let op) = c.kind, op.detail.contains("\n") {
        for line in op.detail.split(separator: "\n") { Console.out("        \(line)") }
      }
    }
    if !r.warnings.isEmpty {
      Console.out("  warnings: \(r.warnings.count)")
      for w in r.warnings { Console.out("    ! \(w)") }
    }
    if !r.dryRun {
      Console.out("  output (\(r.output.rawValue)), \(ByteFormat.human(r.outputBytes)) allocated:")
      for a in r.artifacts { Console.out("    \(a)") }
      for w in r.writes {
        Console.out(
          String(
            format: "  written: %@: %@ of data, %@ zeroed (%@), %.1f s; read back in %.1f s: sha256 %@ %@", w.target,
            ByteFormat.human(w.dataBytesWritten), ByteFormat.human(w.zeroedBytes), w.zeroMethod, w.writeSeconds,
            w.verifySeconds, w.sha256, w.verified ? "(verified: the target holds exactly what was meant)" : "(NOT VERIFIED)"))
      }
    }
    if let b = r.boot {
      let verdict = b.passed ? "PASSED" : "FAILED"
      Console.out(String(format: "  boot verification: %@ in %.1f s (%@): %@", verdict, b.seconds, b.outcome.rawValue, b.evidence))
    }
    let slow = r.stages.sorted { $0.seconds > $1.seconds }.prefix(4)
      .map { String(format: "%@ %.1f s", $0.stage, $0.seconds) }.joined(separator: "; ")
    Console.out("  slowest stages: \(slow)")
  }
}
