# Recipe: a Debian 12 Xen HVM guest: emulated BIOS and IDE disk (the guest calls it /dev/sda, libata), grub
# in the MBR, an initramfs with the emulated IDE driver and the Xen PV front-ends (xen-platform-pci hands the
# disk over to xen-blkfront when the host allows it), console on the emulated serial port. An xm-style config.

. "$FIXTURES_DIR/lib/debian12.sh"

GUEST_HOSTNAME=v2v-xenhvm
GUEST_ROOT_DEVICE=/dev/sda1
GUEST_ROOT_PASSWORD=v2v
GUEST_FIRMWARE=bios
GUEST_MEMORY_MB=1024
GUEST_VCPUS=1
DISK_SIZE_BYTES=$((4 * 1024 * 1024 * 1024))

recipe_layout() {
  sfdisk -q "$1" <<<'label: dos
start=2048, type=83, bootable'
  local root; root=$(part_node "$1" 1)
  mkfs.ext4 -q -O ^metadata_csum_seed,^orphan_file "$root"
  mount_at "$root" /
}

PACKAGE_FORMATS=(xen)
