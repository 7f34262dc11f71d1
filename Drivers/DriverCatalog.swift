import V2VModel

/// Which drivers a guest needs on the target, and where they come from.
public enum DriverCatalog {
  /// Linux kernel modules a guest needs in its initramfs to boot and reach the network on KVM virtio.
  public static let linuxVirtioModules = ["virtio_pci", "virtio_blk", "virtio_scsi", "virtio_net"]
}
