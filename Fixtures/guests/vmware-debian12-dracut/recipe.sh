# Recipe: a Debian 12 VM on VMware ESXi (BIOS, LSI Logic SCSI, vmxnet3) whose initramfs is made by dracut
# (as on RHEL, Fedora and SUSE) instead of initramfs-tools, holding only the VMware storage drivers.
# Sourced by build-fixture.sh (bash). Everything in this folder is part of the recipe hash.
# Derived from vmware-debian12-bios (same disk layout, console, marker); see Fixtures/README.md.

# Operating system tree: the shared Debian 12 tree (lib/debian12.sh); customize.sh swaps initramfs-tools for
# dracut (apt, from the network) and purges the Xen tools.
. "$FIXTURES_DIR/lib/debian12.sh"

# Guest facts (also written to manifest.json).
GUEST_HOSTNAME=v2v-dracut
GUEST_ROOT_DEVICE=/dev/sda1
GUEST_ROOT_PASSWORD=v2v
GUEST_FIRMWARE=bios
GUEST_MEMORY_MB=1024
GUEST_VCPUS=1

# Disk (lib/disk-chroot.sh): 4 GiB, MBR, one bootable ext4 partition.
DISK_SIZE_BYTES=$((4 * 1024 * 1024 * 1024))

# Partitions, formats and mounts the loop device $1 at $MNT. grub 2.06 cannot read ext4 with
# metadata_csum_seed or orphan_file, which a newer mke2fs may enable.
recipe_layout() {
  sfdisk -q "$1" <<<'label: dos
start=2048, type=83, bootable'
  local root; root=$(part_node "$1" 1)
  mkfs.ext4 -q -O ^metadata_csum_seed,^orphan_file "$root"
  mount_at "$root" /
}

# Packaging (lib/package-<format>.sh): the VMware VM folder only (the OVA path is covered by
# vmware-debian12-bios).
PACKAGE_FORMATS=(vmware-vmx)
