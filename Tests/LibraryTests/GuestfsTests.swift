import Foundation
import Guestfs
import Testing
import V2VCore
import V2VGuestfs
import V2VTestSupport

/// The libguestfs wrapper against the real library: one appliance start (~20-30 s under TCG) for all of it.
@Suite("libguestfs wrapper", .serialized)
struct GuestfsTests {
  @Test("launches on a scratch disk, partitions, formats, writes and reads a file, reports errors")
  func roundTrip() throws {
    let dir = try TempDir()
    let disk = dir.path + "/scratch.img"
    #expect(FileManager.default.createFile(atPath: disk, contents: nil))
    try FileHandle(forWritingAtPath: disk)!.truncate(atOffset: 64 << 20)

    let g = try Appliance.handle(accelerator: .tcg, smp: 1)
    try g.addDrive(disk, format: "raw")
    try g.launch()
    #expect(try g.listDevices() == ["/dev/sda"])
    try g.partDisk("/dev/sda", tableType: "mbr")
    try g.mkfs("ext4", "/dev/sda1")
    #expect(try g.listFilesystems().contains { $0.device == "/dev/sda1" && $0.type == "ext4" })
    #expect(try g.inspectOS().isEmpty)  // a filesystem with no OS on it (inspect_os unmounts everything)
    try g.mount("/dev/sda1", at: "/")
    try g.mkdirP("/etc/v2v")
    try g.write("/etc/v2v/hello", Array("hello from v2v\n".utf8))
    #expect(try g.readFile("/etc/v2v/hello") == Array("hello from v2v\n".utf8))
    #expect(try g.exists("/etc/v2v/hello"))
    #expect(try g.isDir("/etc/v2v"))
    #expect(try !g.isFile("/etc/v2v/missing"))
    #expect(try g.ls("/etc/v2v") == ["hello"])

    // Errors come back as GuestfsError with libguestfs's message, captured right after the call.
    let err = #expect(throws: GuestfsError.self) { try g.readFile("/no/such/file") }
    #expect(err?.function == "guestfs_read_file")
    #expect(err?.message.contains("No such file") == true, "\(String(describing: err))")

    try g.umountAll()
    try g.shutdown()
  }

  @Test("a missing disk is refused before launch, naming the file")
  func missingDisk() throws {
    let g = try Guestfs()
    let err = #expect(throws: GuestfsError.self) { try g.addDrive("/nonexistent/disk.img", format: "raw") }
    #expect(err?.message.contains("/nonexistent/disk.img") == true)
  }
}
