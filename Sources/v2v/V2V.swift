import ArgumentParser
import Foundation
import V2VReaders

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
    subcommands: [DoctorCommand.self, InspectCommand.self, ConvertCommand.self, BatchCommand.self]
  )

  /// Parses and runs, with every error as ONE `v2v: error: …` line (argument-parser's own usage errors
  /// print three or four lines: the error, the usage, a help hint); `--help` and `--version` unchanged.
  static func main() {
    CLILog.bootstrap()
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let code as ExitCode {
      // `fail()` printed its line already.
      Foundation.exit(code.rawValue)
    } catch {
      let code = exitCode(for: error)
      if code == .success { exit(withError: error) }  // --help, --version
      Console.err("v2v: error: " + usageLine(message(for: error)))
      Foundation.exit(code.rawValue)
    }
  }

  /// argument-parser's message as one line: its first non-empty line, without an `Error: ` prefix.
  static func usageLine(_ message: String) -> String {
    var line = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty } ?? "invalid arguments"
    if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
    return OneLine.escape(line)
  }
}
