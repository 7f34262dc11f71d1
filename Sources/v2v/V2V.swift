import ArgumentParser
import Foundation

/// The `v2v` command: moves machines between hardware and hypervisors.
@main
struct V2V: ParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "v2v",
    abstract: "Convert machines between hardware and hypervisors (VMware, Xen, physical -> KVM; VM -> physical).",
    discussion: """
      Start with `v2v doctor` to check this host, `v2v inspect` to see what a source contains, and
      `v2v convert` to convert it. Exit codes are listed in docs/exit-codes.md.
      """,
    version: version,
    subcommands: [DoctorCommand.self, InspectCommand.self, ConvertCommand.self]
  )
}
