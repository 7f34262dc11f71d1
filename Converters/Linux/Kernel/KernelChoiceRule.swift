import V2VCore

/// Chooses the kernel the converted guest boots: the guest's default kernel when it can drive virtio, else
/// the newest that can. Only this kernel gets a new initramfs: rebuilding images of kernels that will not
/// boot costs minutes under emulation and changes nothing.
struct KernelChoiceRule: LinuxRule {
  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {
    let kernels = try KernelInventory.scan(guest.session)
    let defaultVersion = try KernelInventory.defaultVersion(guest.session, among: kernels.map(\.version))
    let chosen = try Self.choose(kernels, defaultVersion: defaultVersion)
    plan.kernel = chosen
    plan.report.bootKernel = chosen.version
    if let d = defaultVersion, d != chosen.version {
      // grubby (RHEL, Fedora) changes the default entry reliably; elsewhere the menu titles are guesswork.
      if guest.traits.family == .redHat, try guest.hasTool("grubby") {
        plan.run(
          ["grubby", "--set-default", "/boot/vmlinuz-\(chosen.version)"],
          reason: "the default kernel \(d) cannot drive virtio", summary: "boot \(chosen.version) by default")
      } else {
        plan.warn(
        "the default kernel \(d) cannot drive virtio; \(chosen.version) was prepared instead: "
          + "choose it in the boot menu or make it the default")
      }
    }
    if !chosen.hasVirtioNetwork {
      plan.warn("kernel \(chosen.version) has no virtio_net driver: the guest will have no network on virtio")
    }
  }

  /// The default kernel when it can boot on virtio, else the newest that can; with no default, the newest
  /// that can. Throws ``ConversionError/noVirtioKernel(_:)`` when none can.
  static func choose(_ kernels: [InstalledKernel], defaultVersion: String?) throws -> InstalledKernel {
    if let d = defaultVersion, let k = kernels.first(where: { $0.version == d }), k.canBootOnVirtio { return k }
    let capable = kernels.filter(\.canBootOnVirtio).sorted { KernelVersionOrder.older($0.version, $1.version) }
    guard let newest = capable.last else { throw ConversionError.noVirtioKernel(kernels.map(\.version)) }
    return newest
  }
}
