import ArgumentParser
import Foundation
import Logging
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

  @Option(name: .customShort("i"), help: ArgumentHelp("Source format: vmx, ova, xen, libvirtxml, physical.", valueName: "format"))
  var input: String

  @Argument(help: ArgumentHelp("The source: a .vmx, .ova/.ovf/directory, Xen .cfg, domain .xml, or disks (physical).", valueName: "source"))
  var sources: [String]

  @Flag(help: "Print one JSON object instead of a table.")
  var json = false

  @Option(help: "Physical: machine name (default: the first disk's file name).")
  var name: String?

  @Option(help: "Physical: memory in MiB (default 2048).")
  var memory: Int?

  @Option(help: "Physical: number of vCPUs (default 2).")
  var vcpus: Int?

  @Flag(name: .shortAndLong, help: "Log what the reader ignores (unknown keys) to stderr.")
  var verbose = false

  func validate() throws {
    guard SourceFormat(rawValue: input) != nil else {
      throw ValidationError("unknown input format '\(input)'; use one of: \(SourceFormat.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard !sources.isEmpty else { throw ValidationError("missing SOURCE") }
    if let memory, memory <= 0 { throw ValidationError("--memory must be positive (MiB)") }
    if let vcpus, vcpus <= 0 { throw ValidationError("--vcpus must be at least 1") }
  }

  func run() throws {
    if verbose {
      LoggingSystem.bootstrap { label in
        var h = StreamLogHandler.standardError(label: label)
        h.logLevel = .debug
        return h
      }
    }
    let format = SourceFormat(rawValue: input)!
    let facts = PhysicalMachineFacts(name: name, memoryBytes: memory.map { UInt64($0) << 20 }, vcpus: vcpus)
    // Inspect only looks: anything an OVA needed extracted is removed afterwards.
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("v2v-inspect-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: work) }
    do {
      let vm = try format.reader(physical: facts, workDirectory: work).read(sources)
      let report = InspectReport(vm)
      Console.out(json ? report.json() : report.table())
    } catch {
      throw fail(error.description, error.category == .sourceIntegrity ? .sourceIntegrity : .sourceInvalid)
    }
  }
}
