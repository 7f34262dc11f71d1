import ArgumentParser
import Foundation
import V2VReaders

/// `v2v inspect -i FORMAT SOURCE... [--json]`: reads a source description and prints the source model,
/// without starting an appliance.
struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect",
    abstract: "Show what a source machine is (no appliance; fast).",
    discussion: """
      FORMAT is one of: vmx, ova, xen, libvirtxml, physical. The JSON printed by --json is described in
      docs/inspect-json.md; exit codes in docs/exit-codes.md.
      """)

  @OptionGroup var source: SourceOptions

  @Flag(help: "Print one JSON object instead of a table.")
  var json = false

  @Flag(name: .shortAndLong, help: "Log what the reader ignores (unknown keys) to stderr.")
  var verbose = false

  func run() throws {
    CLILog.shared.verbose = verbose
    // Inspect only looks: anything an OVA needed extracted is removed afterwards.
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("v2v-inspect-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: work) }
    let report = InspectReport(try source.read(workDirectory: work))
    Console.out(json ? report.json() : report.table())
  }
}
