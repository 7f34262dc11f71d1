import Foundation
import Testing
import V2VCore
import V2VModel
import V2VTestSupport

@testable import V2VConverters

@Suite("Kernel choice", .offPool)
struct KernelChoiceTests {
  let virtio: Set<String> = ["virtio_blk", "virtio_pci", "virtio_net"]

  func k(_ v: String, virtio: Bool = true, builtin: Bool = false) -> InstalledKernel {
    let mods: Set<String> = virtio ? self.virtio : ["xen_blkfront"]
    return InstalledKernel(version: v, modules: builtin ? [] : mods, builtin: builtin ? mods : [])
  }

  @Test func prefersTheDefaultWhenItCanDriveVirtio() throws {
    let ks = [k("6.1.0-25-amd64"), k("6.1.0-26-amd64")]
    #expect(try KernelChoiceRule.choose(ks, defaultVersion: "6.1.0-25-amd64").version == "6.1.0-25-amd64")
  }

  @Test func fallsBackToTheNewestCapable() throws {
    let ks = [k("5.10.0-9"), k("5.10.0-10"), k("5.10.0-11", virtio: false)]
    #expect(try KernelChoiceRule.choose(ks, defaultVersion: "5.10.0-11").version == "5.10.0-10")
    #expect(try KernelChoiceRule.choose(ks, defaultVersion: nil).version == "5.10.0-10")
  }

  @Test func builtinDriversCount() throws {
    let ks = [k("5.15.0-91-generic", builtin: true), k("5.15.0-1051-xen", virtio: false)]
    #expect(try KernelChoiceRule.choose(ks, defaultVersion: "5.15.0-1051-xen").version == "5.15.0-91-generic")
  }

  @Test func noCapableKernelIsAnError() {
    #expect(throws: ConversionError.noKernelForBus("virtio-blk", ["4.19.0-6-cloud-xen"])) {
      try KernelChoiceRule.choose([k("4.19.0-6-cloud-xen", virtio: false)], defaultVersion: nil)
    }
  }

  @Test func versionOrderIsNumeric() {
    #expect(KernelVersionOrder.older("5.14.0-70.13.1.el9_0.x86_64", "5.14.0-362.8.1.el9_3.x86_64"))
    #expect(KernelVersionOrder.older("6.1.0-9-amd64", "6.1.0-10-amd64"))
    #expect(!KernelVersionOrder.older("6.1.0-10-amd64", "6.1.0-9-amd64"))
    #expect(KernelVersionOrder.older("4.19.0", "5.4.0"))
  }

  @Test func moduleNamesFromPaths() {
    #expect(InstalledKernel.moduleName(ofPath: "kernel/drivers/block/virtio_blk.ko.xz:") == "virtio_blk")
    #expect(InstalledKernel.moduleName(ofPath: "kernel/drivers/net/xen-netfront.ko.zst") == "xen_netfront")
    #expect(InstalledKernel.moduleName(ofPath: "kernel/drivers/virtio/virtio_pci.ko.gz") == "virtio_pci")
    #expect(InstalledKernel.moduleName(ofPath: "kernel/drivers/virtio/virtio_pci.ko") == "virtio_pci")
    #expect(InstalledKernel.moduleName(ofPath: "modules.order") == nil)
  }

  @Test func inventoryNeedsAnImageAndReadsModulesDep() throws {
    let dir = try TempDir()
    let s = try FakeGuestSession.copyOfFixture("no-virtio-kernel", in: dir)
    let ks = try KernelInventory.scan(s)
    #expect(ks.map(\.version) == ["4.19.0-6-cloud-xen"])
    #expect(ks[0].modules.contains("xen_blkfront"))
    #expect(!ks[0].canBoot(on: .virtioBlk))
  }

  @Test func inventoryWithoutModulesDepListsDriverDirectories() throws {
    let dir = try TempDir()
    let s = FakeGuestSession(root: dir.path)
    s.createsParentDirectories = true  // the test builds its tree through the session
    try s.writeText("/boot/vmlinuz-3.0.1", "")
    try s.writeText("/lib/modules/3.0.1/kernel/drivers/block/virtio_blk.ko", "")
    try s.writeText("/lib/modules/3.0.1/kernel/drivers/virtio/virtio_pci.ko.xz", "")
    let ks = try KernelInventory.scan(s)
    #expect(ks.count == 1 && ks[0].canBoot(on: .virtioBlk) && !ks[0].canDrive(.virtio))
  }

  @Test func defaultFromLinkOrGrubenv() throws {
    let d1 = try TempDir()
    let deb = try FakeGuestSession.copyOfFixture("debian12-vmware", in: d1)
    #expect(try KernelInventory.defaultVersion(deb, among: ["6.1.0-25-amd64", "6.1.0-26-amd64"]) == "6.1.0-26-amd64")
    let rhel = try FakeGuestSession.copyOfFixture("rhel9-vmware", in: d1)
    let versions = ["5.14.0-70.13.1.el9_0.x86_64", "5.14.0-362.8.1.el9_3.x86_64"]
    #expect(try KernelInventory.defaultVersion(rhel, among: versions) == "5.14.0-70.13.1.el9_0.x86_64")
  }
}
