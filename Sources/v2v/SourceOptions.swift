import ArgumentParser
import Foundation
import V2VCore
import V2VModel
import V2VJobs
import V2VReaders

/// The source options `inspect` and `convert` share: `-i FORMAT SOURCE...` and the physical-machine facts.
struct SourceOptions: ParsableArguments {
  @Option(name: .customShort("i"), help: ArgumentHelp("Source format: vmx, ova, xen, libvirtxml, physical.", valueName: "format"))
  var input: String

  @Argument(help: ArgumentHelp("The source: a .vmx, .ova/.ovf/directory, Xen .cfg, domain .xml, or disks (physical).", valueName: "source"))
  var sources: [String]

  @Option(help: "Physical: machine name (default: the first disk's file name).")
  var name: String?

  // `.unconditional`: `--memory -5` is the value -5 (refused by `validate` as not positive), not a missing
  // value followed by an unknown option `-5`.
  @Option(parsing: .unconditional, help: "Physical: memory in MiB (default 2048).")
  var memory: Int?

  @Option(parsing: .unconditional, help: "Physical: number of vCPUs (default 2).")
  var vcpus: Int?

  @Option(help: ArgumentHelp("Physical ssh:// disks: private key to log in with (default: ~/.ssh/id_*, ssh-agent).", valueName: "file"))
  var sshIdentity: String?

  @Option(help: ArgumentHelp("Physical ssh:// disks: known_hosts file with the remote host key (default: ~/.ssh/known_hosts).", valueName: "file"))
  var sshKnownHosts: String?

  /// How to log in to the machine of `ssh://` disks.
  var sshOptions: SSHOptions { SSHOptions(identity: sshIdentity, knownHosts: sshKnownHosts) }

  func validate() throws {
    guard SourceFormat(rawValue: input) != nil else {
      throw ValidationError(
        "unknown input format '\(input)'; use one of: \(SourceFormat.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard !sources.isEmpty else { throw ValidationError("missing SOURCE") }
    if let memory, memory <= 0 { throw ValidationError("--memory \(memory): memory must be a positive number of MiB") }
    if let memory, UInt64(memory).multipliedReportingOverflow(by: 1 << 20).overflow || UInt64(memory) << 20 > UInt64(Int64.max) {
      throw ValidationError("--memory \(memory) MiB is too large: more than \(Int64.max) bytes")
    }
    if sshIdentity != nil || sshKnownHosts != nil, !(input == "physical" && sources.contains(where: SSHDiskURI.isSSH)) {
      throw ValidationError("--ssh-identity and --ssh-known-hosts are for -i physical ssh:// disks")
    }
    do { try RemoteSources.validate(input == "physical" ? sources : [], options: sshOptions) } catch {
      throw ValidationError(error.description)
    }
    if let vcpus, vcpus <= 0 { throw ValidationError("--vcpus \(vcpus): must be at least 1") }
  }

  /// The source as a job's input.
  var inputSpec: InputSpec {
    InputSpec(
      format: SourceFormat(rawValue: input)!, locations: sources,
      physical: PhysicalMachineFacts(name: name, memoryBytes: memory.map { UInt64($0) << 20 }, vcpus: vcpus),
      ssh: sshOptions)
  }

  /// Reads the source; a reader error becomes one `v2v: error:` line and exit code 3 or 4.
  func read(workDirectory: String) throws -> SourceVM {
    let spec = inputSpec
    do {
      if spec.format == .physical {
        do { try SourceDevices.requireReadableDevices(spec.locations) } catch { throw fail(error.description, error.exitClass) }
      }
      var vm = try spec.format.reader(physical: spec.physical, workDirectory: workDirectory).read(spec.locations)
      // ssh:// disks: connect once to learn their size (and fail here, not in a conversion, on a bad key).
      do { try RemoteSources.probeCapacities(&vm.disks, options: spec.ssh, workDirectory: workDirectory) } catch {
        let e = V2VError(error)
        throw fail(e.message, e.exitClass)
      }
      return vm
    } catch let error as ReaderError {
      throw fail(error.description, error.exitClass)
    }
  }
}
