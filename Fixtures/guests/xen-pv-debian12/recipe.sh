# Recipe: a Debian 12 Xen PV guest as a Xen host runs it: disks named xvdX, console hvc0, an initramfs with
# only the Xen front-end drivers, booted by pygrub (which reads grub.cfg from the host side), so NOTHING is
# in the MBR's boot code. Packaged twice: one partitioned disk (xl.cfg, pygrub), and the same partitions as
# separate images named xvda1/xvda2 (the xen-tools style, kernel and ramdisk named in the config).

. "$FIXTURES_DIR/lib/debian12.sh"

GUEST_HOSTNAME=v2v-xenpv
GUEST_ROOT_DEVICE=/dev/xvda1
GUEST_ROOT_PASSWORD=v2v
GUEST_FIRMWARE=bios
GUEST_MEMORY_MB=1024
GUEST_VCPUS=1

# 4 GiB, MBR: xvda1 ext4 root (3.5 GiB), xvda2 swap.
DISK_SIZE_BYTES=$((4 * 1024 * 1024 * 1024))

recipe_layout() {
  sfdisk -q "$1" <<<'label: dos
start=2048, size=3584MiB, type=83
type=82'
  local root swap
  root=$(part_node "$1" 1); swap=$(part_node "$1" 2)
  mkfs.ext4 -q -O ^metadata_csum_seed,^orphan_file "$root"
  mkswap -q "$swap"
  mount_at "$root" /
}

PACKAGE_FORMATS=(xen)
