# Recipe: a Debian 12 VMware ESXi VM with a static network on two vmxnet3 NICs and a data disk:
# ens192 (PCI slot 192) configured by ifupdown, ens224 (slot 224) by systemd-networkd, both with static
# IPv4 and IPv6 addresses; /srv mounted by UUID from a second disk (no nofail). For the network-name and
# mount-table tests (Tests/RealGuestTests/NetworkTests.swift). Sourced by build-fixture.sh (bash).
# Everything in this folder is part of the recipe hash.

# Operating system tree: the shared Debian 12 tree (lib/debian12.sh); customize.sh purges the Xen tools.
. "$FIXTURES_DIR/lib/debian12.sh"

# Guest facts (also written to manifest.json).
GUEST_HOSTNAME=v2v-debnet
GUEST_ROOT_DEVICE=/dev/sda1
GUEST_ROOT_PASSWORD=v2v
GUEST_FIRMWARE=bios
GUEST_MEMORY_MB=1024
GUEST_VCPUS=1

# Disk 1 (lib/disk-chroot.sh): 4 GiB, MBR, one bootable ext4 partition (the OS).
DISK_SIZE_BYTES=$((4 * 1024 * 1024 * 1024))

# Disk 2: 1 GiB, MBR, one ext4 partition with this UUID, mounted on /srv (overlay/etc/fstab names it).
DATA_UUID=5e7a0d15-2c3b-4d8e-9f10-0a1b2c3d4e5f
DATA_VMDK="$NAME-data.vmdk"   # the VMX template names it literally (scsi0:1.fileName)
RECIPE_ENV=(V2V_DATA_UUID="$DATA_UUID")

# The data disk. The machinery packages one disk, so this recipe builds its second disk itself, during
# the layout step (it needs no chroot and no loop device): an ext4 image dd'ed into partition 1 of a
# sparse raw disk, then a monolithicSparse VMDK beside the VMX in the output folder. The OVA holds only
# the OS disk (lib/package-vmware-ova.sh packages disk 1): a VM exported without its data disk.
recipe_data_disk() {
  need_cmd sfdisk mkfs.ext4 dd qemu-img
  local raw="$WORK_DIR/data.raw" part="$WORK_DIR/data-p1.raw" content="$WORK_DIR/data-content"
  truncate -s 1G "$raw"
  sfdisk -q "$raw" <<<'label: dos
start=2048, type=83'
  mkdir -p "$content"
  printf 'v2v data disk (vmware-debian12-net): mounted on /srv by UUID %s\n' "$DATA_UUID" >"$content/V2V-DATA-DISK"
  # 1 GiB - 1 MiB: the partition from sector 2048 to the end.
  truncate -s 1023M "$part"
  mkfs.ext4 -q -F -U "$DATA_UUID" -L v2v-data -O ^metadata_csum_seed,^orphan_file -d "$content" "$part"
  dd if="$part" of="$raw" bs=1M seek=1 conv=notrunc,sparse status=none
  rm -f "$part"
  log "qemu-img: $DATA_VMDK (data disk, monolithicSparse, UUID $DATA_UUID)"
  qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse,adapter_type=lsilogic,hwversion=14,toolsversion=12352 \
    "$raw" "$BUILD_DIR/$DATA_VMDK"
  rm -f "$raw"
  MANIFEST_FIELDS+=("dataVmdk=$DATA_VMDK" "dataUUID=$DATA_UUID" "dataMount=/srv")
}

# Partitions, formats and mounts the loop device $1 at $MNT (and builds the data disk first). grub 2.06
# cannot read ext4 with metadata_csum_seed or orphan_file, which a newer mke2fs may enable.
recipe_layout() {
  recipe_data_disk
  sfdisk -q "$1" <<<'label: dos
start=2048, type=83, bootable'
  local root; root=$(part_node "$1" 1)
  mkfs.ext4 -q -O ^metadata_csum_seed,^orphan_file "$root"
  mount_at "$root" /
}

# Packaging (lib/package-<format>.sh), in this order. The VMX names both disks and both NICs; the OVA's
# OVF lists the OS disk only, and both NICs with their MACs.
PACKAGE_FORMATS=(vmware-vmx vmware-ova)
