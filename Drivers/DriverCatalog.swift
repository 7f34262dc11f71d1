import V2VModel

/// Which drivers a guest needs on the target, and where they come from.
public enum DriverCatalog {
  /// Linux kernel modules a guest needs in its initramfs to boot and reach the network on KVM virtio.
  public static let linuxVirtioModules = ["virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net"]

  /// Modules a Linux kernel must provide (loadable or built in) to find its root disk on virtio-blk:
  /// the PCI transport and the block driver. A kernel lacking one of them cannot boot the converted guest.
  public static let linuxVirtioBootModules = ["virtio_blk", "virtio_pci"]

  /// Modules a Linux kernel should provide to reach the network on virtio-net; their absence is a warning.
  public static let linuxVirtioNetworkModules = ["virtio_net"]
}
