import ArgumentParser
import Foundation
import V2VCore
import V2VModel
import V2VGuestfs
import V2VWriters

/// `v2v doctor`: checks this host before a long job.
struct DoctorCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract: "Check that this host can convert machines: appliance, accelerator, libvirt, tools, space.",
    discussion: "Each check prints one line; a required check that fails makes the exit code 7.")

  @Option(help: "Accelerator to check: auto (probe KVM for real, fall back to TCG), kvm or tcg.")
  var accel: AcceleratorChoice = .auto

  @Option(name: [.customLong("oc")], help: "libvirt URI to check (default: the embedded qemu:///embed driver).")
  var libvirtURI: String?

  @Option(help: "Directory conversions write to (checked for free space).")
  var workDir: String = FileManager.default.currentDirectoryPath

  @Flag(help: "Skip launching the libguestfs appliance (~30 s under TCG).")
  var skipAppliance = false

  @Flag(help: "One JSON object on stdout instead of text.")
  var json = false

  func run() throws {
    let paths = HostPaths.fromEnvironment()
    let verdict = VerdictBox()
    var checks: [any HostCheck] = [
      AcceleratorCheck(probe: AcceleratorProbe(cacheDirectory: paths.cacheDirectory), choice: accel) { verdict.value = $0 },
      ApplianceKernelCheck(),
    ]
    if !skipAppliance { checks.append(ApplianceCheck { verdict.value?.accelerator ?? .tcg }) }
    checks += [
      LibvirtCheck(uri: libvirtURI ?? paths.defaultLibvirtURI),
      ToolCheck(program: "qemu-img", package: "qemu-utils"),
      ToolCheck(program: "qemu-system-x86_64", package: "qemu-system-x86"),
      ToolCheck(program: "nbdkit", package: "nbdkit", required: false),
      FreeSpaceCheck(directory: workDir),
    ]
    let rows = Doctor(checks: checks).run { row in
      guard !json else { return }
      let mark = ["pass": " ok ", "warn": "warn", "fail": "FAIL"][row.result.status.rawValue]!
      var line = "[\(mark)] \(row.name): \(row.result.detail)"
      if let fix = row.result.fix { line += "\n       fix: \(fix)" }
      Console.out(line)
    }
    let healthy = Doctor.healthy(rows)
    if json {
      struct Report: Encodable {
        let ok: Bool
        let accelerator: String?
        let checks: [Doctor.Row]
      }
      let enc = JSONEncoder()
      enc.outputFormatting = [.sortedKeys]
      let data = try enc.encode(Report(ok: healthy, accelerator: verdict.value?.accelerator.rawValue, checks: rows))
      Console.out(String(decoding: data, as: UTF8.self))
    } else {
      Console.out(healthy ? "host ready" : "host NOT ready: fix the failed checks above")
    }
    if !healthy { throw V2VExit.hostNotReady.exit }
  }
}

extension AcceleratorChoice: ExpressibleByArgument {}

/// Carries the accelerator verdict from the accelerator check to the appliance check.
final class VerdictBox {
  var value: AcceleratorProbe.Verdict?
}
