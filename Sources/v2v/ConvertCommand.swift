import ArgumentParser
import Foundation
import V2VCore
import V2VJobs
import V2VModel

/// `v2v convert`: reads a source, converts the guest for KVM, writes the output, optionally proves it boots.
struct ConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Convert a machine to run on KVM (libvirt, local files, or a qemu script).",
    discussion: """
      Examples:
        v2v convert -i vmx guest.vmx -o libvirt --verify-boot
        v2v convert -i ova guest.ova -o local -os /var/tmp/out -of qcow2
        v2v convert -i xen guest.cfg -o qemu -os /var/tmp/out --dry-run
        v2v convert -i libvirtxml dom.xml -o physical -os /dev/sdb --grow --verify-boot
      The source is never written. Exit codes: docs/exit-codes.md.
      """)

  @OptionGroup var source: SourceOptions

  @Option(name: .customShort("o"), help: "Output: local, libvirt, qemu, or physical (V2P: a disk or raw image).")
  var output: OutputKind = .libvirt

  @Option(
    name: .customLong("os", withSingleDash: true),
    help: "Output storage: a directory (local, qemu; libvirt), a libvirt storage pool name, or for physical the target block device or raw image file (one per disk, comma-separated).")
  var outputStorage: String?

  @Option(name: .customLong("oc", withSingleDash: true), help: "libvirt URI (default: embedded qemu:///embed).")
  var outputConnection: String?

  @Option(name: .customLong("on", withSingleDash: true), help: "Output name (default: the source's name).")
  var outputName: String?

  @Option(name: .customLong("of", withSingleDash: true), help: "Output disk format: raw or qcow2.")
  var outputFormat: OutputDiskFormat = .raw

  @Option(name: .customLong("oa", withSingleDash: true), help: "Output allocation: sparse or preallocated.")
  var outputAllocation: DiskAllocation = .sparse

  @Option(help: "Map networks: NAME (all NICs) or IN:OUT (source network IN to libvirt network OUT). Repeatable.")
  var network: [String] = []

  @Option(help: "Map to bridges: NAME (all NICs) or IN:OUT. Repeatable.")
  var bridge: [String] = []

  @Option(help: "Disk bus of the converted guest: virtio-blk (disks /dev/vdX) or virtio-scsi (disks /dev/sdX).")
  var blockDriver: BlockDriver = .virtioBlk

  @Option(help: "Firmware of the target: bios or uefi (default: the source's). The guest must be able to boot with it.")
  var firmware: FirmwareChoice?

  @Flag(help: "Physical: grow the last partition (and its filesystem, or LVM PV and root LV) to fill a larger target.")
  var grow = false

  @Flag(help: "Physical: overwrite a target that holds a partition table or filesystem. Never overrides a target in use or too small.")
  var force = false

  @Option(help: "Windows: the virtio-win drivers, an ISO or a directory in its layout (default: $VIRTIO_WIN, then /usr/share/virtio-win).")
  var virtioWin: String?

  @Flag(help: "Windows: when a virtio disk or network driver is missing, run the guest on SATA disks and an e1000e NIC instead of refusing.")
  var allowEmulated = false

  @Option(
    help: """
      Linux: pin (default) keeps each NIC's old interface name (ens192, eth0) on its MAC address so the guest's \
      network configuration applies unchanged; leave changes nothing and warns.
      """)
  var nicNames: LinuxOptions.NICNames = .pin

  @Option(help: "Linux: the NIC with source MAC OLD has MAC NEW on the target (V2P onto a machine's own NICs): OLD:NEW or OLD=NEW. Repeatable.")
  var mac: [String] = []

  @Option(
    help: """
      Linux: an fstab, crypttab or swap entry whose device is on none of the converted disks: warn (default), \
      nofail (add the nofail option so the boot goes on) or comment (comment the entry out).
      """)
  var missingMounts: LinuxOptions.MissingMounts = .warn

  @Option(help: "Which OS to convert when the disks hold several: single (default), first, or a device like /dev/sda2.")
  var root: String = "single"

  @Option(help: "Accelerator: auto (probe KVM, fall back to TCG), kvm or tcg.")
  var accel: AcceleratorChoice = .auto

  @Flag(help: "Inspect the guest and list every change, writing nothing.")
  var dryRun = false

  @Flag(help: "Boot the converted guest (virtio) and check that the OS comes up.")
  var verifyBoot = false

  @Option(help: "Seconds the --verify-boot test boot may take.")
  var bootTimeout: Double = 420

  @Option(
    help: """
      What proves a boot: console (marker, login prompt, systemd target on ttyS0), filesystem (the booted OS \
      mounted its root read-write, read back from a throw-away overlay), or auto (console when the guest has one).
      """)
  var bootEvidence: BootEvidence = .auto

  @Flag(help: "Replace an existing output (files, libvirt domain) of the same name.")
  var overwrite = false

  @Option(help: "Directory for temporary overlays (default: $TMPDIR).")
  var workDir: String?

  @Flag(help: "Machine-readable output: one JSON object per line.")
  var json = false

  @Flag(name: .shortAndLong, help: "Show every change and command.")
  var verbose = false

  @Flag(name: .shortAndLong, help: "Print only errors and the result.")
  var quiet = false

  func validate() throws {
    if output != .libvirt && outputStorage == nil {
      throw ValidationError(output == .physical ? "-o physical needs -os /dev/sdX or -os IMAGE" : "-o \(output.rawValue) needs -os DIR")
    }
    if output == .physical {
      if outputFormat != .raw { throw ValidationError("-o physical writes raw disks; -of \(outputFormat.rawValue) does not apply") }
      if blockDriver != .virtioBlk { throw ValidationError("--block-driver is for KVM outputs; -o physical converts for hardware (AHCI, NVMe, SAS, virtio)") }
      if outputStorage!.split(separator: ",", omittingEmptySubsequences: false).contains(where: { $0.isEmpty }) {
        throw ValidationError("-os '\(outputStorage!)': an empty target in the list")
      }
    } else if grow || force {
      throw ValidationError("\(grow ? "--grow" : "--force") is only for -o physical")
    }
    if outputConnection != nil && output != .libvirt { throw ValidationError("-oc is only for -o libvirt") }
    if let v = virtioWin, v.isEmpty { throw ValidationError("--virtio-win: an empty path") }
    var olds = Set<String>()
    for m in mac {
      guard let pair = LinuxOptions.parseMACMapping(m) else {
        throw ValidationError("--mac '\(m)': use OLD:NEW or OLD=NEW, two MAC addresses (00:50:56:aa:bb:cc:52:54:00:12:34:56)")
      }
      guard olds.insert(pair.old).inserted else { throw ValidationError("--mac: \(pair.old) is mapped twice") }
    }
    guard RootChoice(argument: root) != nil else { throw ValidationError("--root: use single, first or a /dev/ path") }
    if bootTimeout <= 0 { throw ValidationError("--boot-timeout must be positive") }
    if quiet && verbose { throw ValidationError("-q and -v contradict each other; choose one") }
    if dryRun && verifyBoot { throw ValidationError("--dry-run writes nothing, so --verify-boot has nothing to boot; choose one") }
    for (option, values, kind) in [("--network", network, NetworkMapping.Kind.network), ("--bridge", bridge, .bridge)] {
      for v in values { try Self.checkMapping(option, v, kind) }
    }
  }

  /// A `--network`/`--bridge` value is NAME or IN:OUT with exactly one `:` (so `a:b:c` is ambiguous), and
  /// OUT must be a name the target can have: a libvirt network name has no `/`; a Linux bridge name is at
  /// most 15 bytes without `/`, `:` or white space. Checked here, before any work starts.
  static func checkMapping(_ option: String, _ value: String, _ kind: NetworkMapping.Kind) throws {
    let colons = value.filter { $0 == ":" }.count
    guard colons <= 1 else {
      throw ValidationError("\(option) '\(value)': use NAME or IN:OUT with one ':' (this has \(colons), so it is ambiguous)")
    }
    let mapping: NetworkMapping
    do { mapping = try NetworkMapping.parse(value, kind: kind) } catch { throw ValidationError("\(error)") }
    let out = mapping.targetName
    switch kind {
    case .network:
      if out.contains("/") { throw ValidationError("\(option) '\(value)': a libvirt network name cannot contain '/'") }
    case .bridge:
      if out.utf8.count > 15 || out.contains(where: { $0 == "/" || $0.isWhitespace }) {
        throw ValidationError("\(option) '\(value)': '\(out)' is not a valid bridge name (at most 15 bytes, no '/', ':' or spaces)")
      }
    }
  }

  func run() throws {
    JobRegistry.shared.installSignalHandlers { sig, notes in
      for n in notes { Console.err("v2v: \(n)") }
      Console.err("v2v: error: interrupted (\(sig == SIGINT ? "SIGINT" : "SIGTERM")); partial output removed, source untouched")
    }
    let sink: EventSink = json ? JSONReporter() : HumanReporter(verbose: verbose, quiet: quiet)
    let started = Date()
    let job = ConversionJob(try jobRequest())
    CLILog.shared.route(to: sink, job: job.id)
    let result: ConversionResult
    do {
      result = try job.run(events: sink)
    } catch {
      throw fail(error.message, error.exitClass)
    }
    if let r = sink as? JSONReporter { r.result(result) } else { Summary.print(result, seconds: Date().timeIntervalSince(started)) }
    if let boot = result.boot, !boot.passed { throw V2VExit.bootFailed.exit }
  }

  /// The job this command line asks for.
  func jobRequest() throws -> JobRequest {
    var request = ConversionRequest(source: SourceVM(name: "-", hypervisor: .unknown, origin: "-"))
    request.platform =
      output == .physical
      ? .physical(PhysicalPlatform(firmware: firmware?.firmware))
      : .kvm(KVMPlatform(diskBus: blockDriver.bus, firmware: firmware?.firmware))
    request.rootChoice = RootChoice(argument: root)!
    request.dryRun = dryRun
    request.verifyBoot = verifyBoot
    request.bootTimeout = bootTimeout
    request.bootEvidence = bootEvidence
    request.overwrite = overwrite
    request.workDirectory = workDir ?? NSTemporaryDirectory()
    request.verbose = verbose
    request.windows = WindowsOptions(virtioWin: virtioWin, allowEmulated: allowEmulated)
    var macMap: [String: String] = [:]
    for m in mac { if let p = LinuxOptions.parseMACMapping(m) { macMap[p.old] = p.new } }
    request.linux = LinuxOptions(nicNames: nicNames, macMap: macMap, missingMounts: missingMounts)
    do {
      request.plan = PlanOptions(
        outputName: outputName, diskFormat: outputFormat, allocation: outputAllocation,
        networkMappings: try network.map { try NetworkMapping.parse($0, kind: .network) }
          + bridge.map { try NetworkMapping.parse($0, kind: .bridge) })
    } catch {
      throw fail("\(error)", .usage)
    }
    let out: OutputSpec
    switch output {
    case .local: out = .local(directory: outputStorage!)
    case .qemu: out = .qemu(directory: outputStorage!)
    case .libvirt: out = .libvirt(uri: outputConnection, storage: outputStorage)
    case .physical:
      out = .physical(targets: outputStorage!.split(separator: ",").map(String.init), grow: grow, force: force)
    }
    return JobRequest(input: source.inputSpec, output: out, options: request, accelerator: accel)
  }
}

/// `--block-driver`: the disk bus of the converted guest (virt-v2v's option and values).
enum BlockDriver: String, ExpressibleByArgument, CaseIterable {
  case virtioBlk = "virtio-blk"
  case virtioSCSI = "virtio-scsi"

  var bus: KVMDiskBus { self == .virtioBlk ? .virtioBlk : .virtioSCSI }
}

/// `--firmware`.
enum FirmwareChoice: String, ExpressibleByArgument, CaseIterable {
  case bios, uefi

  var firmware: Firmware { self == .bios ? .bios : .uefi }
}

/// `-o` values.
extension OutputKind: ExpressibleByArgument {}

extension OutputDiskFormat: ExpressibleByArgument {}
extension DiskAllocation: ExpressibleByArgument {}
extension BootEvidence: ExpressibleByArgument {}
extension LinuxOptions.NICNames: ExpressibleByArgument {}
extension LinuxOptions.MissingMounts: ExpressibleByArgument {}
