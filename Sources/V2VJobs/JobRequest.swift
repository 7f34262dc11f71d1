import Foundation
import V2VCore
import V2VModel
import V2VReaders

/// Everything one `v2v convert` takes, as data: the source to read, the output to write, the platform to
/// convert for, and the conversion options. `v2v convert` builds one from its arguments; `v2v batch` builds
/// one per machine of its plan.
public struct JobRequest: Sendable {
  /// The source: format and locations (`-i FORMAT SOURCE...`).
  public var input: InputSpec
  /// Where the result goes (`-o`, `-os`, `-oc`).
  public var output: OutputSpec
  /// The conversion itself: platform, root choice, plan options, boot verification, …
  /// (``ConversionRequest/source`` is filled in by the job from ``input``).
  public var options: ConversionRequest
  /// `--accel`: the accelerator, probed when `.auto`.
  public var accelerator: AcceleratorChoice
  /// Where v2v keeps state (embedded libvirt root, accelerator cache).
  public var paths: HostPaths

  /// Creates a request. `options.source` is a placeholder until the job reads ``input``.
  public init(input: InputSpec, output: OutputSpec, options: ConversionRequest? = nil, accelerator: AcceleratorChoice = .auto, paths: HostPaths = .fromEnvironment()) {
    self.input = input
    self.output = output
    self.options = options ?? ConversionRequest(source: SourceVM(name: "-", hypervisor: .unknown, origin: "-"))
    self.accelerator = accelerator
    self.paths = paths
  }
}

/// The source of a job.
public struct InputSpec: Sendable, Equatable {
  /// Its format.
  public var format: SourceFormat
  /// One file or directory, or one device or image per disk (physical).
  public var locations: [String]
  /// Facts a physical machine's disks cannot tell (name, memory, vCPUs).
  public var physical: PhysicalMachineFacts
  /// How to log in to the machine of `ssh://` disks (key and known_hosts files).
  public var ssh: SSHOptions

  /// Creates an input.
  public init(
    format: SourceFormat, locations: [String], physical: PhysicalMachineFacts = PhysicalMachineFacts(),
    ssh: SSHOptions = SSHOptions()
  ) {
    self.format = format
    self.locations = locations
    self.physical = physical
    self.ssh = ssh
  }
}

/// Where a job's output goes.
public enum OutputSpec: Sendable, Equatable {
  /// `-o local -os DIR`.
  case local(directory: String)
  /// `-o qemu -os DIR`.
  case qemu(directory: String)
  /// `-o libvirt [-oc URI] [-os POOL|DIR]`; nil URI: the embedded default.
  case libvirt(uri: String?, storage: String?)
  /// `-o physical -os TARGET[,TARGET…] [--grow] [--force]`: block devices or raw image files, one per disk.
  case physical(targets: [String], grow: Bool, force: Bool)

  /// The output kind.
  public var kind: OutputKind {
    switch self {
    case .local: return .local
    case .qemu: return .qemu
    case .libvirt: return .libvirt
    case .physical: return .physical
    }
  }
}
