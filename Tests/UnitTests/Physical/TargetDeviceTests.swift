import Foundation
import Testing
import V2VCore
import V2VModel
import V2VTestSupport

/// The safety checks on `-o physical` targets: synthetic sysfs for what uses a device, real files for the rest.
@Suite("V2P: target safety checks", .offPool)
struct TargetDeviceTests {
  @Test("a disk is in use when a partition is mounted (even read-only), swap, or device-mapper sits on it")
  func uses() {
    let m = SourceDevices.parseMountInfo(SourceDeviceTests.mountinfo)
    let s = SourceDeviceTests.sysfs
    let sda = TargetDevices.uses(of: "sda", sysfs: s, mounts: m, swapDevices: [])
    #expect(sda.contains("/dev/sda1 is mounted on /mnt/bindro (ext4, read-only)"), "\(sda)")
    #expect(sda.contains("/dev/mapper/vg-data (device-mapper/LVM) is built on it"), "\(sda)")
    #expect(sda.contains("/dev/mapper/vg-data is mounted on /srv/data (xfs)"), "\(sda)")
    #expect(TargetDevices.uses(of: "sdb", sysfs: s, mounts: m, swapDevices: ["8:17"]) == ["/dev/sdb1 is in use as swap"])
    #expect(TargetDevices.uses(of: "sdc", sysfs: s, mounts: m, swapDevices: []).isEmpty)
  }

  static func kind(_ body: () throws -> Void) -> PhysicalTargetError.Kind? {
    do { try body() } catch let e as PhysicalTargetError { return e.kind } catch { return nil }
    return nil
  }

  @Test("image targets: new file ok; missing directory, a directory, too small, the source itself refused; data only with --force")
  func imageTargets() throws {
    let dir = try TempDir()
    let fresh = try TargetDevices.check(dir.path + "/new.img", needBytes: 1 << 30, force: false, sources: [])
    #expect(!fresh.exists)
    #expect(Self.kind { _ = try TargetDevices.check(dir.path + "/no/such/x.img", needBytes: 1, force: false, sources: []) } == .notADisk)
    #expect(Self.kind { _ = try TargetDevices.check(dir.path, needBytes: 1, force: false, sources: []) } == .notADisk)
    #expect(Self.kind { _ = try TargetDevices.check("/dev/null", needBytes: 1, force: false, sources: []) } == .notADisk)
    let small = dir.path + "/small.img"
    #expect(FileManager.default.createFile(atPath: small, contents: Data(count: 4096)))
    #expect(Self.kind { _ = try TargetDevices.check(small, needBytes: 1 << 20, force: true, sources: []) } == .tooSmall)
    let zeros = dir.path + "/zeros.img"
    #expect(truncate(zeros, 8 << 20) == 0 || FileManager.default.createFile(atPath: zeros, contents: Data(count: 8 << 20)))
    let z = try TargetDevices.check(zeros, needBytes: 4 << 20, force: false, sources: [])
    #expect(z.exists && z.sizeBytes == 8 << 20 && z.signatures.isEmpty)
    let used = dir.path + "/used.img"
    #expect(FileManager.default.createFile(atPath: used, contents: Data(count: 8 << 20)))
    let mk = try Process.run(URL(fileURLWithPath: "/sbin/mkfs.ext4"), arguments: ["-q", "-F", used])
    mk.waitUntilExit()
    #expect(Self.kind { _ = try TargetDevices.check(used, needBytes: 4 << 20, force: false, sources: []) } == .hasData)
    do {
      _ = try TargetDevices.check(used, needBytes: 4 << 20, force: false, sources: [])
    } catch {
      #expect("\(error)".contains("ext4") && "\(error)".contains("--force"), "\(error)")
    }
    #expect(try TargetDevices.check(used, needBytes: 4 << 20, force: true, sources: []).signatures == ["ext4"])
    let source = Disk(source: .file(path: used), format: .raw, bus: .sata)
    #expect(Self.kind { _ = try TargetDevices.check(used, needBytes: 1, force: true, sources: [source]) } == .isSource)
  }
}
