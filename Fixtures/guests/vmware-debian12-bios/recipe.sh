# Recipe: a Debian 12 VM as it looks when it was installed on VMware ESXi (BIOS, LSI Logic SCSI, vmxnet3).
# Sourced by build-fixture.sh (bash). Everything in this folder is part of the recipe hash.

# Operating system tree (lib/rootfs-debootstrap.sh); cached separately, keyed by these values.
ROOTFS_KIND=debootstrap
DEBIAN_SUITE=bookworm
DEBIAN_VARIANT=minbase
DEBIAN_ARCH=amd64
DEBIAN_PACKAGES=(
  linux-image-amd64 grub-pc systemd-sysv initramfs-tools udev kmod
  open-vm-tools
  ifupdown iproute2 isc-dhcp-client
)

# Guest facts (also written to manifest.json).
GUEST_HOSTNAME=v2v-debian12
GUEST_ROOT_DEVICE=/dev/sda1
GUEST_ROOT_PASSWORD=v2v
GUEST_FIRMWARE=bios
GUEST_MEMORY_MB=1024
GUEST_VCPUS=1

# Disk (lib/disk-guestfs.sh). The appliance sees the only disk as /dev/sda.
DISK_SIZE_BYTES=$((4 * 1024 * 1024 * 1024))

# guestfish commands that partition, format and mount the disk at / (the tree is unpacked there next).
# grub 2.06 cannot read ext4 with metadata_csum_seed or orphan_file, which the appliance's mke2fs enables.
recipe_guestfish_layout() {
  cat <<'GF'
part-disk /dev/sda mbr
part-set-bootable /dev/sda 1 true
mkfs ext4 /dev/sda1 features:^metadata_csum_seed,^orphan_file
mount /dev/sda1 /
GF
}

# Packaging (lib/package-<format>.sh), in this order.
PACKAGE_FORMATS=(vmware-vmx vmware-ova)
