import V2VCore
import V2VDrivers
import V2VModel

/// Chooses the kernel the converted guest boots: the guest's default kernel when it can boot from the
/// platform's disk bus, else the newest that can. Only this kernel gets a new initramfs: rebuilding images of kernels that will not
/// boot costs minutes under emulation and changes nothing.
struct KernelChoiceRule: LinuxRule {
  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    let kernels = try KernelInventory.scan(guest.session)
    let defaultVersion = try KernelInventory.defaultVersion(guest.session, among: kernels.map(\.version))
    let bus = guest.diskBus
    let chosen = try Self.choose(kernels, defaultVersion: defaultVersion, bus: bus)
    plan.kernel = chosen
    plan.report.bootKernel = chosen.version
    if let d = defaultVersion, d != chosen.version {
      // grubby (RHEL, Fedora) changes the default entry reliably; elsewhere the menu titles are guesswork.
      if guest.traits.family == .redHat, try guest.hasTool("grubby") {
        plan.run(
          ["grubby", "--set-default", "/boot/vmlinuz-\(chosen.version)"],
          reason: "the default kernel \(d) cannot boot from \(bus.rawValue) disks", summary: "boot \(chosen.version) by default")
      } else {
        plan.warn(
        "the default kernel \(d) cannot boot from \(bus.rawValue) disks; \(chosen.version) was prepared instead: "
          + "choose it in the boot menu or make it the default")
      }
    }
    if let nic = guest.nicModel, !chosen.canDrive(nic) {
      let modules = DriverCatalog.linuxNetworkModules(for: nic).filter { !chosen.provides($0) }
      plan.warn("kernel \(chosen.version) has no \(modules.joined(separator: ", ")) driver: the guest will have no network on \(nic.rawValue) NICs")
    }
  }

  /// The default kernel when it can boot from `bus`, else the newest that can; with no default, the newest
  /// that can. Throws ``ConversionError/noKernelForBus(_:_:)`` when none can: the guest is refused with the
  /// reason rather than converted into one that cannot find its root disk.
  static func choose(_ kernels: [InstalledKernel], defaultVersion: String?, bus: KVMDiskBus = .virtioBlk) throws -> InstalledKernel {
    if let d = defaultVersion, let k = kernels.first(where: { $0.version == d }), k.canBoot(on: bus) { return k }
    let capable = kernels.filter { $0.canBoot(on: bus) }.sorted { KernelVersionOrder.older($0.version, $1.version) }
    guard let newest = capable.last else { throw ConversionError.noKernelForBus(bus.rawValue, kernels.map(\.version)) }
    return newest
  }
}
