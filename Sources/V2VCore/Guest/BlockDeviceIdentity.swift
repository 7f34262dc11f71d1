/// One block device on the conversion's disks (a whole disk, a partition or an LVM logical volume) with the
/// names an fstab or crypttab line can use for it.
public struct BlockDeviceIdentity: Sendable, Equatable {
  /// The appliance's name (`/dev/sda1`, `/dev/vg0/root`).
  public var device: String
  /// What is on it (`ext4`, `swap`, `crypto_LUKS`, `LVM2_member`), empty when nothing was recognised.
  public var type: String
  /// Filesystem, swap or LUKS UUID.
  public var uuid: String?
  /// Filesystem or swap label.
  public var label: String?
  /// Partition UUID (GPT unique GUID, or the MBR `ID-NN` form).
  public var partUUID: String?
  /// GPT partition name.
  public var partLabel: String?

  /// Creates an identity.
  public init(
    device: String, type: String = "", uuid: String? = nil, label: String? = nil, partUUID: String? = nil,
    partLabel: String? = nil
  ) {
    self.device = device
    self.type = type
    self.uuid = uuid
    self.label = label
    self.partUUID = partUUID
    self.partLabel = partLabel
  }
}
