# The ONE operating system tree every Debian 12 fixture starts from (lib/rootfs-debootstrap.sh caches it,
# keyed by this list): the union of what the fixtures need. A recipe removes what its guest would not have
# (customize.sh: `dpkg --purge`, no network needed), so one debootstrap serves VMware, Xen and physical
# guests alike.
ROOTFS_KIND=debootstrap
DEBIAN_SUITE=bookworm
DEBIAN_VARIANT=minbase
DEBIAN_ARCH=amd64
DEBIAN_PACKAGES=(
  linux-image-amd64 systemd-sysv initramfs-tools udev kmod
  grub-pc grub-efi-amd64-bin lvm2 dosfstools
  open-vm-tools xenstore-utils
  ifupdown iproute2 isc-dhcp-client
)
