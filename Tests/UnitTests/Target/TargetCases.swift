import Foundation
import V2VProcess
import Testing
import V2VCore
import V2VModel
import V2VTestSupport

/// Source machines and options shared by the planner, domain XML and qemu script tests.
enum TargetCases {
  static let fixedUUID = "6a1d3f4e-2b7c-4e8a-9d10-0123456789ab"
  static let outputDir = "/var/lib/v2v/out"

  /// Plan options plus what a conversion settles later (the osinfo id inspection finds, the guest's clock).
  @dynamicMemberLookup
  struct Options: Sendable {
    var plan: PlanOptions
    var osinfo: String?
    var clock: ClockOffset = .utc
    subscript<T>(dynamicMember kp: WritableKeyPath<PlanOptions, T>) -> T {
      get { plan[keyPath: kp] }
      set { plan[keyPath: kp] = newValue }
    }
  }

  static func options(
    _ name: String? = nil, format: OutputDiskFormat = .raw, mappings: [NetworkMapping] = [],
    fallback: TargetNIC.Connection = .network("default"), osinfo: String? = nil, clock: ClockOffset = .utc
  ) -> Options {
    Options(
      plan: PlanOptions(
        outputName: name, diskFormat: format, networkMappings: mappings, defaultConnection: fallback,
        uuidGenerator: { fixedUUID }), osinfo: osinfo, clock: clock)
  }

  static func disk(_ path: String, _ size: UInt64 = 8 << 30) -> Disk {
    Disk(source: .file(path: path), format: .vmdk, bus: .scsi, capacityBytes: size)
  }

  /// A VMware Debian guest: BIOS, one disk, one NIC on "VM Network".
  static let biosSource = SourceVM(
    name: "debian12-bios", hypervisor: .vmware, memoryBytes: 2 << 30, vcpus: 2, firmware: .bios,
    disks: [disk("/src/debian12-bios.vmdk")],
    nics: [NIC(mac: "00:50:56:aa:bb:01", model: "vmxnet3", network: "VM Network")],
    guestOSHint: "debian12-64", origin: "/src/debian12-bios.vmx")

  /// A VMware Windows guest: UEFI with Secure Boot, two disks, 4 vCPUs as 1×2×2.
  static let uefiSource = SourceVM(
    name: "win2k19", hypervisor: .vmware, memoryBytes: 4 << 30, vcpus: 4,
    cpuTopology: CPUTopology(sockets: 1, cores: 2, threads: 2), firmware: .uefi, secureBoot: true,
    genid: "8f5b3c2a-1d4e-4f60-8a7b-9c0d1e2f3a4b",
    disks: [disk("/src/win2k19.vmdk", 40 << 30), disk("/src/win2k19_1.vmdk", 100 << 30)],
    nics: [NIC(mac: "00:50:56:aa:bb:02", model: "e1000e", network: "VM Network")],
    guestOSHint: "windows2019srv-64", origin: "/src/win2k19.vmx")

  /// A Xen RHEL 5 guest: NICs on a bridge and two networks, CD-ROMs and a floppy.
  static let xenSource = SourceVM(
    name: "rhel5 legacy", hypervisor: .xen, memoryBytes: 1 << 30, vcpus: 1, firmware: .unknown,
    disks: [disk("/src/rhel5.img")],
    removableMedia: [
      RemovableMedium(kind: .cdrom, bus: .ide, path: "/isos/rhel-5.11 & tools.iso"),
      RemovableMedium(kind: .cdrom, bus: .ide),
      RemovableMedium(kind: .floppy, bus: .fdc, path: "/images/drivers.img"),
    ],
    nics: [
      NIC(mac: "00:16:3e:00:00:01", bridge: "xenbr0"), NIC(mac: "00:16:3e:00:00:02", network: "VM Network"),
      NIC(mac: "00:16:3e:00:00:03", network: "Storage"),
    ],
    guestOSHint: "rhel5", origin: "/etc/xen/rhel5.cfg")

  static var xenMappings: [NetworkMapping] {
    [
      NetworkMapping(kind: .bridge, sourceName: "xenbr0", targetName: "br0"),
      NetworkMapping(kind: .network, sourceName: "VM Network", targetName: "default"),
    ]
  }

  /// Plans `source`, then does what the writer and the settler would: disks into ``outputDir``, the
  /// osinfo id and clock set.
  static func plan(_ source: SourceVM, _ options: Options, platform: TargetPlatform = .kvmDefault) throws -> TargetPlan {
    var p = try TargetPlanner.plan(source, options: options.plan, platform: platform)
    for i in p.target.disks.indices { p.target.disks[i].path = outputDir + "/" + p.target.disks[i].path }
    p.target.osinfo = options.osinfo
    p.target.clock = options.clock
    return p
  }
}

/// Golden files under `Fixtures/domain-xml/`, re-recorded with `V2V_RECORD=1`.
enum TargetGolden {
  static let directory = RepoPaths.fixtures + "/domain-xml"

  /// Compares `actual` with `Fixtures/domain-xml/<file>` (or records it).
  static func check(_ actual: String, file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let path = directory + "/" + file
    if ProcessInfo.processInfo.environment["V2V_RECORD"] == "1" {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      try actual.write(toFile: path, atomically: true, encoding: .utf8)
      return
    }
    guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
      Issue.record("missing golden file \(path); run with V2V_RECORD=1", sourceLocation: sourceLocation)
      return
    }
    #expect(
      actual == expected, "\(file) differs from its golden file (V2V_RECORD=1 re-records)",
      sourceLocation: sourceLocation)
  }

  /// Runs `virt-xml-validate FILE domain` on `xml`; returns its output when it fails, nil when valid.
  static func validate(_ xml: String) throws -> String? {
    let tmp = try TempDir(prefix: "v2v-domain-xml")
    let path = tmp.path + "/domain.xml"
    try xml.write(toFile: path, atomically: true, encoding: .utf8)
    let r = try ProcessRunner.run(["virt-xml-validate", path, "domain"], timeout: 60)
    return r.succeeded ? nil : "status \(r.status): \(r.stdout)\(r.stderr)"
  }
}
