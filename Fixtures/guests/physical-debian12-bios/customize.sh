#!/bin/sh
# Runs chrooted into the new root (lib/disk-chroot.sh): a physical BIOS server's disk, root by UUID.
set -eu
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
step() { echo "customize: $*"; }
ROOT_UUID=$(blkid -s UUID -o value "$V2V_PART_1")

step "packages a physical server does not have"
dpkg --purge open-vm-tools xenstore-utils >/dev/null
echo 'root:v2v' | chpasswd
echo v2v-physbios >/etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\tv2v-physbios\n' >/etc/hosts
printf '# <file system> <mount point> <type> <options> <dump> <pass>\nUUID=%s  /  ext4  errors=remount-ro  0  1\n' "$ROOT_UUID" >/etc/fstab

step "services"
systemctl enable v2v-marker.service v2v-net-marker.service serial-getty@ttyS0.service
for u in ifupdown-wait-online.service systemd-networkd-wait-online.service; do systemctl mask "$u" >/dev/null 2>&1 || true; done
mkdir -p /etc/systemd/system/networking.service.d
printf '[Service]\nTimeoutStartSec=20s\n' >/etc/systemd/system/networking.service.d/v2v-timeout.conf

step "initramfs (hardware drivers only)"
update-initramfs -u -k all

step "grub (BIOS, MBR)"
grub-install --target=i386-pc "$V2V_DISK"
update-grub
cfg=/boot/grub/grub.cfg
# Without udev there is no /dev/disk/by-uuid in this chroot, so grub-mkconfig named the loop device.
sed -i -E "/^\s*linux\s/ s#root=[^ ]+#root=UUID=$ROOT_UUID#" "$cfg"

step "checks"
failures=0
fail() { echo "customize: CHECK FAILED: $*" >&2; failures=$((failures + 1)); }
grep -E '^\s*linux\s' "$cfg" | grep -q "root=UUID=$ROOT_UUID ro console=tty0 console=ttyS0,115200" || fail "grub.cfg: $(grep -E '^\s*linux\s' "$cfg")"
for initrd in /boot/initrd.img-*; do
  mods=$(lsinitramfs "$initrd" | grep -E '\.ko(\.[a-z]+)?$' | sed 's#.*/##' | sort)
  if echo "$mods" | grep -q virtio; then fail "$initrd contains virtio"; fi
  for m in ahci nvme sd_mod e1000e ext4; do echo "$mods" | grep -qE "^$m\.ko" || fail "$initrd lacks $m"; done
done
[ "$failures" -eq 0 ] || { echo "customize: $failures check(s) failed" >&2; exit 1; }

step "tidy"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log /root/.bash_history
: >/etc/resolv.conf
