#!/bin/sh
# Runs chrooted into the new root (lib/disk-chroot.sh): a physical UEFI server's disk with /boot, an ESP
# and an LVM root; fstab by UUID; grub-efi with only EFI/debian/grubx64.efi.
set -eu
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
step() { echo "customize: $*"; }
uuid() { blkid -s UUID -o value "$1"; }
ROOT_LV=/dev/mapper/physvg-root

step "packages a physical server does not have"
dpkg --purge open-vm-tools xenstore-utils >/dev/null
echo 'root:v2v' | chpasswd
echo v2v-physuefi >/etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\tv2v-physuefi\n' >/etc/hosts
cat >/etc/fstab <<FSTAB
# <file system> <mount point> <type> <options> <dump> <pass>
UUID=$V2V_ROOT_UUID  /          ext4  errors=remount-ro  0  1
UUID=$(uuid "$V2V_PART_2")  /boot      ext4  defaults           0  2
UUID=$V2V_ESP_UUID  /boot/efi  vfat  umask=0077         0  1
UUID=$V2V_SWAP_UUID  none  swap  sw  0  0
FSTAB

step "services"
systemctl enable v2v-marker.service v2v-net-marker.service serial-getty@ttyS0.service
for u in ifupdown-wait-online.service systemd-networkd-wait-online.service; do systemctl mask "$u" >/dev/null 2>&1 || true; done
mkdir -p /etc/systemd/system/networking.service.d
printf '[Service]\nTimeoutStartSec=20s\n' >/etc/systemd/system/networking.service.d/v2v-timeout.conf

step "initramfs (hardware drivers only, LVM)"
update-initramfs -u -k all

step "grub.cfg (grub-install onto the ESP runs afterwards in the appliance: no vfat on the build host)"
mkdir -p /boot/efi
update-grub
cfg=/boot/grub/grub.cfg
# Built on a plain partition (see recipe.sh): the kernel must look for the LV.
sed -i -E "/^\s*linux\s/ s#root=[^ ]+#root=$ROOT_LV#" "$cfg"

step "checks"
failures=0
fail() { echo "customize: CHECK FAILED: $*" >&2; failures=$((failures + 1)); }
grep -E '^\s*linux\s' "$cfg" | grep -q "root=$ROOT_LV ro console=tty0 console=ttyS0,115200" || fail "grub.cfg: $(grep -E '^\s*linux\s' "$cfg")"
for initrd in /boot/initrd.img-*; do
  mods=$(lsinitramfs "$initrd" | grep -E '\.ko(\.[a-z]+)?$' | sed 's#.*/##' | sort)
  if echo "$mods" | grep -q virtio; then fail "$initrd contains virtio"; fi
  for m in ahci nvme sd_mod e1000e ext4 dm-mod; do echo "$mods" | grep -qE "^$m\.ko" || fail "$initrd lacks $m"; done
  lsinitramfs "$initrd" | grep -q 'sbin/lvm$' || fail "$initrd has no lvm"
done
[ "$failures" -eq 0 ] || { echo "customize: $failures check(s) failed" >&2; exit 1; }

step "tidy"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log /root/.bash_history
: >/etc/resolv.conf
