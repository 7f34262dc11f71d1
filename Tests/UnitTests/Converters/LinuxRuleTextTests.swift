import Foundation
import Testing
import V2VTestSupport
import V2VCore
import V2VModel

@testable import V2VConverters

@Suite("Linux rule text helpers and registry", .offPool)
struct LinuxRuleTextTests {
  @Test func consoleRewrites() {
    #expect(ConsoleRewriter.kernelCommandLines("quiet console=hvc0 x") == "quiet console=tty0 console=ttyS0 x")
    #expect(ConsoleRewriter.kernelCommandLines("console=tty0 console=hvc0\nb console=hvc0") == "console=tty0 console=ttyS0\nb console=tty0 console=ttyS0")
    #expect(ConsoleRewriter.kernelCommandLines("console=xvc0,115200") == "console=tty0 console=ttyS0,115200")
    #expect(ConsoleRewriter.kernelCommandLines("console=hvc01") == "console=hvc01")
    #expect(ConsoleRewriter.terminalNames("co:2345:respawn:/sbin/agetty xvc0 9600 vt100-nav\n") == "co:2345:respawn:/sbin/agetty ttyS0 9600 vt100-nav\n")
    #expect(ConsoleRewriter.hasSerialConsole("GRUB_CMDLINE_LINUX=\"console=ttyS0,115200\""))
    #expect(!ConsoleRewriter.hasSerialConsole("GRUB_CMDLINE_LINUX=\"quiet console=tty0\""))
  }

  @Test func initramfsModulesAppendOnlyMissing() {
    let old = "# comment\nvirtio_blk\nmptspi\n"
    #expect(InitramfsRule.appendingModules(["virtio_pci", "virtio_blk"], to: old) == old + "# Added by v2v: virtio drivers for KVM\nvirtio_pci\n")
    #expect(InitramfsRule.appendingModules(["virtio_blk"], to: old) == old)
    #expect(InitramfsRule.appendingModules(["virtio_net"], to: "mptspi") == "mptspi\n# Added by v2v: virtio drivers for KVM\nvirtio_net\n")
  }

  @Test func dpkgStatusParsing() {
    let status = "Package: a\nStatus: install ok installed\n\nPackage: b\nStatus: deinstall ok config-files\n\nPackage: c\nVersion: 1\nStatus: install ok installed"
    #expect(PackageInventory.dpkgInstalled(status) == ["a", "c"])
  }

  @Test func toolPackagesByPatternAndSource() {
    let installed: Set<String> = ["vmware-tools-core", "virtualbox-guest-x11", "xenstore-utils", "bash", "open-vm-tools"]
    #expect(HypervisorTools.toRemove(installed: installed, source: .vmware) == ["open-vm-tools", "virtualbox-guest-x11", "vmware-tools-core"])
    #expect(HypervisorTools.toRemove(installed: installed, source: .xen).contains("xenstore-utils"))
  }

  @Test func xorgDriverLinesOnly() {
    #expect(XorgDriverRule.replacingDrivers("  Driver  \"vmware\"\n  Identifier \"vmware\"") == "  Driver  \"modesetting\"\n  Identifier \"vmware\"")
    #expect(XorgDriverRule.replacingDrivers("Driver \"vmwarefb\"") == "Driver \"vmwarefb\"")
  }

  @Test func selinuxMode() {
    #expect(SELinuxRelabelRule.mode("# x\nSELINUX=Enforcing\n") == "enforcing")
    #expect(SELinuxRelabelRule.mode("SELINUX=disabled") == "disabled")
    #expect(SELinuxRelabelRule.mode("") == nil)
  }

  @Test func hardwareInterfaceNames() {
    #expect(NetworkNamingWarningRule.isHardwareName("ens192"))
    #expect(NetworkNamingWarningRule.isHardwareName("eth0:1"))
    #expect(!NetworkNamingWarningRule.isHardwareName("lo"))
    #expect(!NetworkNamingWarningRule.isHardwareName("br0"))
    #expect(!NetworkNamingWarningRule.isHardwareName("ethernet"))
  }

  @Test func registryPicksOrRefuses() throws {
    let reg = ConverterRegistry()
    func insp(_ type: String, _ distro: String) -> GuestInspection {
      GuestInspection(
        root: "/dev/sda2", osType: OSType(libguestfs: type), distro: Distro(distro), majorVersion: 1, minorVersion: 0,
        productName: "", arch: .x86_64, hostname: "h", packageFormat: .unknown, packageManagement: "", mountpoints: [:])
    }
    #expect(try reg.converter(for: insp("linux", "debian")) is LinuxConverter)
    #expect(try reg.converter(for: insp("linux", "fedora")) is LinuxConverter)
    #expect(try reg.converter(for: insp("windows", "windows")) is WindowsConverter)
    #expect(throws: ConversionError.self) { try reg.converter(for: insp("freebsd", "freebsd")) }
    #expect(throws: ConversionError.self) { try reg.converter(for: insp("linux", "archlinux")) }
    #expect(!LinuxConverter().handles(insp("linux", "gentoo")))
  }
}
