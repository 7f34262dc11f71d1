import Foundation
import Testing
import V2VTestSupport

/// Issue 8: every reader refuses what it cannot read, never hangs, never reads outside the source. Each
/// bad input goes through the real `v2v` binary and must give ONE line `v2v: error: …` naming the file and
/// the problem, exit 3 (invalid) or 4 (integrity), within seconds.
@Suite("hostile inputs (real binary)", .offPool)
struct HostileInputTests {
  /// Runs `v2v ARGS` with a short timeout: a hang fails the test instead of blocking the run.
  func v2v(_ args: [String]) throws -> V2VRun { try V2VRun.run(args, timeout: 30) }

  /// The run failed with `code` and one error line containing every string of `mentions`.
  func expectRefused(_ run: V2VRun, _ code: Int32, mentions: [String], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    #expect(run.status == code, "\(run.stderr)", sourceLocation: sourceLocation)
    let lines = run.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(run.stderr)", sourceLocation: sourceLocation)
    #expect(lines.first?.hasPrefix("v2v: error: ") == true, "\(run.stderr)", sourceLocation: sourceLocation)
    for m in mentions { #expect(run.stderr.contains(m), "'\(m)' not in: \(run.stderr)", sourceLocation: sourceLocation) }
  }

  func write(_ text: String, to path: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }

  func mkfifo(_ path: String) throws {
    guard Foundation.mkfifo(path, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
  }

  func hostile(_ name: String) -> String { RepoPaths.fixtures + "/hostile/" + name }

  // MARK: 1. Hangs: refused by type, nothing opened.

  @Test func fifoAsPhysicalDiskIsRefused() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try mkfifo(tmp.path + "/p")
    expectRefused(try v2v(["inspect", "-i", "physical", tmp.path + "/p"]), 3, mentions: ["p", "FIFO"])
  }

  @Test func fifoInConvertDryRunIsRefused() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try mkfifo(tmp.path + "/p")
    let run = try v2v(["convert", "--dry-run", "-i", "physical", tmp.path + "/p", "-o", "local", "-os", tmp.path])
    expectRefused(run, 3, mentions: ["FIFO"])
  }

  @Test(arguments: [("/dev/null", "character device"), ("/dev/zero", "character device"), ("/proc/self/status", "/proc")])
  func nonFilesAsPhysicalDiskAreRefused(_ path: String, _ what: String) throws {
    expectRefused(try v2v(["inspect", "-i", "physical", path]), 3, mentions: [path, what])
  }

  @Test func directoryAsPhysicalDiskIsRefused() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    expectRefused(try v2v(["inspect", "-i", "physical", tmp.path]), 3, mentions: [tmp.path, "directory"])
  }

  @Test func socketAsPhysicalDiskIsRefused() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    let sock = tmp.path + "/s"
    try Shell.run(["python3", "-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", sock], in: tmp.path)
    expectRefused(try v2v(["inspect", "-i", "physical", sock]), 3, mentions: [sock, "socket"])
  }

  @Test(arguments: ["vmx", "xen", "libvirtxml", "ova"])
  func fifoAsDescriptionIsRefused(_ format: String) throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try mkfifo(tmp.path + "/guest")
    expectRefused(try v2v(["inspect", "-i", format, tmp.path + "/guest"]), 3, mentions: [tmp.path + "/guest", "FIFO"])
  }

  @Test func characterDeviceAsDescriptionIsRefused() throws {
    expectRefused(try v2v(["inspect", "-i", "xen", "/dev/zero"]), 3, mentions: ["/dev/zero", "character device"])
  }

  @Test func fifoAsVMXDiskIsRefused() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try mkfifo(tmp.path + "/disk.vmdk")
    try write("displayName = \"x\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"disk.vmdk\"\n", to: tmp.path + "/g.vmx")
    expectRefused(try v2v(["inspect", "-i", "vmx", tmp.path + "/g.vmx"]), 3, mentions: ["g.vmx", "disk.vmdk", "FIFO"])
  }

  @Test func fifoAsVMDKExtentIsRefused() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try mkfifo(tmp.path + "/disk-flat.vmdk")
    try write("# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\nRW 2048 FLAT \"disk-flat.vmdk\" 0\n", to: tmp.path + "/disk.vmdk")
    try write("displayName = \"x\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"disk.vmdk\"\n", to: tmp.path + "/g.vmx")
    expectRefused(try v2v(["inspect", "-i", "vmx", tmp.path + "/g.vmx"]), 3, mentions: ["disk.vmdk:3", "disk-flat.vmdk", "FIFO"])
  }

  // MARK: 2. Integer overflow: checked, an invalid value naming the key.

  @Test(arguments: [
    ("vmx", "memsize-overflow.vmx", "memsize", "9007199254740993"),
    ("xen", "memory-overflow.cfg", "memory", "17592186044416"),
    ("ova", "capacity-overflow.ovf", "@capacity", "17179869184"),
    ("ova", "units-overflow.ovf", "@capacity", "10^60"),
    ("libvirtxml", "memory-overflow.xml", "/domain/memory", "16 EiB"),
  ])
  func overflowingSizesAreRefused(_ format: String, _ fixture: String, _ key: String, _ value: String) throws {
    expectRefused(try v2v(["inspect", "-i", format, hostile(fixture)]), 3, mentions: [fixture, key, value, "too large"])
  }

  @Test(arguments: [
    ("RW 36028797018963968 FLAT \"huge-flat.vmdk\" 0\n", "huge.vmdk:3", "36028797018963968 sectors"),
    ("RW 18014398509481983 FLAT \"huge-flat.vmdk\" 0\nRW 18014398509481983 FLAT \"huge-flat.vmdk\" 0\n", "huge.vmdk:4", "sum of the extents"),
  ])
  func overflowingVMDKExtentsAreRefused(_ extents: String, _ at: String, _ what: String) throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try write("", to: tmp.path + "/huge-flat.vmdk")
    try write("# Disk DescriptorFile\ncreateType=\"twoGbMaxExtentFlat\"\n" + extents, to: tmp.path + "/huge.vmdk")
    try write("displayName = \"x\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"huge.vmdk\"\n", to: tmp.path + "/g.vmx")
    expectRefused(try v2v(["inspect", "-i", "vmx", tmp.path + "/g.vmx"]), 3, mentions: [at, what, "too large"])
  }

  @Test func overflowingPhysicalMemoryIsAUsageError() throws {
    let run = try v2v(["inspect", "-i", "physical", "--memory", "9007199254740993", "/dev/null"])
    #expect(run.status == 64, "\(run.stderr)")
    #expect(run.stderr.contains("--memory 9007199254740993 MiB is too large"), "\(run.stderr)")
  }

  @Test func largeButPossibleLibvirtUnitsAreAccepted() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    for (unit, bytes) in [("EiB", "1152921504606846976"), ("E", "1152921504606846976"), ("EB", "1000000000000000000"),
                          ("PiB", "1125899906842624"), ("P", "1125899906842624"), ("PB", "1000000000000000")] {
      try write("<domain type='kvm'><name>x</name><memory unit='\(unit)'>1</memory><vcpu>1</vcpu></domain>", to: tmp.path + "/d.xml")
      let run = try v2v(["inspect", "-i", "libvirtxml", tmp.path + "/d.xml", "--json"])
      #expect(run.status == 0, "\(unit): \(run.stderr)")
      #expect(run.stdout.contains("\"memoryBytes\" : \(bytes)") || run.stdout.contains("\"memoryBytes\":\(bytes)"), "\(unit): \(run.stdout)")
    }
  }

  // MARK: 3. Nothing read outside the source.

  @Test(arguments: [true, false])
  func ovfHrefSymlinkOutsideIsRefused(_ viaDirectory: Bool) throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try FileManager.default.copyItem(atPath: hostile("symlink-href.ovf"), toPath: tmp.path + "/vm.ovf")
    try FileManager.default.createSymbolicLink(atPath: tmp.path + "/disk1.img", withDestinationPath: "/etc/passwd")
    let run = try v2v(["inspect", "-i", "ova", viaDirectory ? tmp.path : tmp.path + "/vm.ovf"])
    expectRefused(run, 4, mentions: ["vm.ovf", "disk1.img", "symlink", "/etc/passwd", "outside"])
  }

  @Test func ovfManifestThroughSymlinkOutsideIsRefused() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try FileManager.default.copyItem(atPath: hostile("symlink-href.ovf"), toPath: tmp.path + "/vm.ovf")
    try write("SHA256(disk1.img)= " + String(repeating: "0", count: 64) + "\n", to: tmp.path + "/vm.mf")
    try FileManager.default.createSymbolicLink(atPath: tmp.path + "/disk1.img", withDestinationPath: "/etc/passwd")
    expectRefused(try v2v(["inspect", "-i", "ova", tmp.path]), 4, mentions: ["disk1.img", "/etc/passwd", "outside"])
  }

  @Test func vmdkExtentSymlinkOutsideIsRefused() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try FileManager.default.createSymbolicLink(atPath: tmp.path + "/disk-flat.vmdk", withDestinationPath: "/etc/passwd")
    try write("# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\nRW 1 FLAT \"disk-flat.vmdk\" 0\n", to: tmp.path + "/disk.vmdk")
    try write("displayName = \"x\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"disk.vmdk\"\n", to: tmp.path + "/g.vmx")
    expectRefused(try v2v(["inspect", "-i", "vmx", tmp.path + "/g.vmx"]), 4, mentions: ["disk.vmdk:3", "disk-flat.vmdk", "symlink", "/etc/passwd"])
  }

  @Test func vmdkParentOutsideIsRefused() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try FileManager.default.createDirectory(atPath: tmp.path + "/vm", withIntermediateDirectories: true)
    try Shell.run(["qemu-img", "create", "-q", "-f", "vmdk", tmp.path + "/base.vmdk", "1M"], in: tmp.path)
    try write("# Disk DescriptorFile\nCID=1\nparentCID=2\ncreateType=\"monolithicFlat\"\nparentFileNameHint=\"../base.vmdk\"\nRW 2048 FLAT \"d-flat.vmdk\" 0\n", to: tmp.path + "/vm/d.vmdk")
    try write("", to: tmp.path + "/vm/d-flat.vmdk")
    try write("displayName = \"x\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"d.vmdk\"\n", to: tmp.path + "/vm/g.vmx")
    expectRefused(try v2v(["inspect", "-i", "vmx", tmp.path + "/vm/g.vmx"]), 4, mentions: ["parentFileNameHint", "base.vmdk", "outside"])
  }

  // MARK: 3b. A disk that is not the format its descriptor says.

  @Test(arguments: [false, true])
  func textFileWhereOVFPromisesVMDKIsRefused(_ inTar: Bool) throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try FileManager.default.copyItem(atPath: hostile("not-a-vmdk.ovf"), toPath: tmp.path + "/vm.ovf")
    try write("just some text, not a disk\n", to: tmp.path + "/disk1.vmdk")
    var source = tmp.path + "/vm.ovf"
    if inTar {
      try Shell.run(["tar", "--format=ustar", "-cf", "vm.ova", "vm.ovf", "disk1.vmdk"], in: tmp.path)
      source = tmp.path + "/vm.ova"
    }
    expectRefused(try v2v(["inspect", "-i", "ova", source]), 3, mentions: ["vm.ovf", "disk1.vmdk", "not a VMDK image", "raw"])
  }

  @Test func vmdkParentThatIsNoDiskIsRefused() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try write("root:x:0:0:root:/root:/bin/bash\n", to: tmp.path + "/notes.txt")
    try write("# Disk DescriptorFile\nCID=1\nparentCID=2\ncreateType=\"monolithicFlat\"\nparentFileNameHint=\"notes.txt\"\nRW 2048 FLAT \"d-flat.vmdk\" 0\n", to: tmp.path + "/d.vmdk")
    try write("", to: tmp.path + "/d-flat.vmdk")
    try write("displayName = \"x\"\nscsi0:0.present = \"TRUE\"\nscsi0:0.fileName = \"d.vmdk\"\n", to: tmp.path + "/g.vmx")
    expectRefused(try v2v(["inspect", "-i", "vmx", tmp.path + "/g.vmx"]), 3, mentions: ["d.vmdk", "parentFileNameHint", "notes.txt", "not a VMDK image"])
  }

  // MARK: 4. libvirt XML buses and block disks.

  @Test func unknownLibvirtBusIsRefusedNotVirtio() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try FileManager.default.copyItem(atPath: hostile("floppybus.xml"), toPath: tmp.path + "/d.xml")
    try Shell.run(["truncate", "-s", "1M", "img.raw"], in: tmp.path)
    expectRefused(try v2v(["inspect", "-i", "libvirtxml", tmp.path + "/d.xml"]), 3, mentions: ["d.xml", "target/@bus", "unknown disk bus 'floppybus'"])
  }

  @Test func libvirtBlockDiskStaysABlockSource() throws {
    let tmp = try TempDir(prefix: "v2v-hostile")
    try Shell.run(["truncate", "-s", "1M", "img.raw"], in: tmp.path)
    try write("<domain type='kvm'><name>x</name><memory>1024</memory><vcpu>1</vcpu><devices><disk type='block' device='disk'><source dev='\(tmp.path)/img.raw'/><target dev='sda' bus='sata'/></disk></devices></domain>", to: tmp.path + "/d.xml")
    let run = try v2v(["inspect", "-i", "libvirtxml", tmp.path + "/d.xml", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let obj = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
    let disk = (obj?["disks"] as? [[String: Any]])?.first
    let source = disk?["source"] as? [String: Any]
    #expect(source?["type"] as? String == "block", "\(run.stdout)")
    #expect(source?["path"] as? String == tmp.path + "/img.raw")
  }
}
