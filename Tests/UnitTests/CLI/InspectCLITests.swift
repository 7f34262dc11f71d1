import Foundation
import V2VProcess
import Testing
import V2VTestSupport

/// `v2v inspect` through the real built binary: JSON on stdout, one error line on stderr, exit codes.
@Suite("v2v inspect (real binary)", .offPool)
struct InspectCLITests {
  struct Run { var status: Int32; var stdout: String; var stderr: String }

  func v2v(_ args: [String]) throws -> Run {
    let r = try ProcessRunner.run([RepoPaths.v2vBinary] + args)
    return Run(status: r.status, stdout: r.stdout, stderr: r.stderr)
  }

  /// Copies a fixture into a temp dir and runs its setup script.
  func prepare(_ fixture: String, in tmp: TempDir) throws -> String {
    let name = (fixture as NSString).lastPathComponent
    try FileManager.default.copyItem(atPath: RepoPaths.fixtures + "/" + fixture, toPath: tmp.path + "/" + name)
    let setup = RepoPaths.fixtures + "/" + (fixture as NSString).deletingPathExtension + ".setup"
    if FileManager.default.fileExists(atPath: setup) { try Shell.run(["sh", "-e", setup], in: tmp.path) }
    if let s = try? String(contentsOfFile: tmp.path + "/SOURCE", encoding: .utf8) {
      return tmp.path + "/" + s.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    return tmp.path + "/" + name
  }

  @Test(arguments: [("vmx", "vmx/workstation-crlf.vmx"), ("ova", "ovf/vmware-export.ovf"), ("xen", "xen/hvm-ovmf.cfg"), ("libvirtxml", "libvirtxml/kvm-uefi.xml")])
  func jsonMatchesGolden(_ format: String, _ fixture: String) throws {
    let tmp = try TempDir(prefix: "v2v-cli")
    let source = try prepare(fixture, in: tmp)
    let run = try v2v(["inspect", "-i", format, source, "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let obj = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
    for key in ["name", "hypervisor", "memoryBytes", "vcpus", "firmware", "disks", "removableMedia", "nics"] {
      #expect(obj?[key] != nil, "missing key \(key)")
    }
    let golden = try String(contentsOfFile: RepoPaths.fixtures + "/" + (fixture as NSString).deletingPathExtension + ".expected.json", encoding: .utf8)
    let normalized = run.stdout.replacingOccurrences(of: tmp.path, with: "$DIR")
      .replacingOccurrences(of: #"/tmp/v2v-inspect-[0-9A-F-]+"#, with: "$DIR/extracted", options: .regularExpression)
    #expect(normalized.trimmingCharacters(in: .whitespacesAndNewlines) == golden.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  @Test func tableIsReadable() throws {
    let tmp = try TempDir(prefix: "v2v-cli")
    let source = try prepare("xen/pv-pygrub.cfg", in: tmp)
    let run = try v2v(["inspect", "-i", "xen", source])
    #expect(run.status == 0)
    #expect(run.stdout.contains("name:        legacy-pv"))
    #expect(run.stdout.contains("PV boot:     bootloader /usr/bin/pygrub"))
  }

  @Test(arguments: [
    ("vmx", "vmx/bad-negative-memory.vmx", Int32(3)), ("vmx", "vmx/bad-binary.vmx", 3), ("xen", "xen/bad-unbalanced-list.cfg", 3),
    ("libvirtxml", "libvirtxml/bad-xxe.xml", 4), ("ova", "ovf/bad-manifest-lies.ovf", 4), ("ova", "ovf/bad-tar-escape.ovf", 4),
    ("vmx", "vmx/bad-missing-disk.vmx", 3),
  ])
  func badInputGivesOneLineAndExitCode(_ format: String, _ fixture: String, _ code: Int32) throws {
    let tmp = try TempDir(prefix: "v2v-cli")
    let source = try prepare(fixture, in: tmp)
    let run = try v2v(["inspect", "-i", format, source, "--json"])
    #expect(run.status == code, "\(run.stderr)")
    let lines = run.stderr.split(separator: "\n")
    #expect(lines.count == 1)
    #expect(lines.first?.hasPrefix("v2v: error: \(tmp.path)/") == true, "\(run.stderr)")
    #expect(run.stdout.isEmpty)
  }

  /// Usage errors exit with argument-parser's usage code (the same as any other subcommand's), never
  /// with a reader's 3/4. (argument-parser uses EX_USAGE, 64, on Linux; docs/exit-codes.md says 2.)
  @Test func usageErrorsUseTheParsersCode() throws {
    // 64 (EX_USAGE), docs/exit-codes.md: the same code for every subcommand.
    #expect(try v2v(["doctor", "--no-such-option"]).status == 64)
    #expect(try v2v(["inspect", "-i", "hyperv", "x"]).status == 64)
    #expect(try v2v(["inspect", "x"]).status == 64)
  }

  @Test func missingSourceFile() throws {
    let run = try v2v(["inspect", "-i", "vmx", "/nonexistent/guest.vmx"])
    #expect(run.status == 3)
    #expect(run.stderr == "v2v: error: /nonexistent/guest.vmx: no such file\n")
  }
}
