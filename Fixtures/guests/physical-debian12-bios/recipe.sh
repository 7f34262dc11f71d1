# Recipe: the disk of a physical Debian 12 server (BIOS): MBR, one ext4 root named by UUID everywhere,
# grub-pc in the MBR, an initramfs for its hardware only (ahci, nvme, sd_mod, e1000e). Packaged as a raw
# image (what `dd` of the disk gives), to be converted through a loop device or directly.

. "$FIXTURES_DIR/lib/debian12.sh"

GUEST_HOSTNAME=v2v-physbios
GUEST_ROOT_DEVICE=UUID
GUEST_ROOT_PASSWORD=v2v
GUEST_FIRMWARE=bios
DISK_SIZE_BYTES=$((4 * 1024 * 1024 * 1024))

recipe_layout() {
  sfdisk -q "$1" <<<'label: dos
start=2048, type=83, bootable'
  local root; root=$(part_node "$1" 1)
  mkfs.ext4 -q -O ^metadata_csum_seed,^orphan_file "$root"
  mount_at "$root" /
}

PACKAGE_FORMATS=(raw)
