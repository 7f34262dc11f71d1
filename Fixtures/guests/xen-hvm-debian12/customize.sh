#!/bin/sh
# Runs chrooted into the new root (lib/disk-chroot.sh): a Xen HVM domU, root by device name /dev/sda1.
set -eu
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
ROOT_DEV=/dev/sda1
step() { echo "customize: $*"; }

step "packages a Xen HVM guest does not have"
dpkg --purge open-vm-tools >/dev/null
echo 'root:v2v' | chpasswd
echo v2v-xenhvm >/etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\tv2v-xenhvm\n' >/etc/hosts
printf '/dev/sda1  /  ext4  errors=remount-ro  0  1\n' >/etc/fstab

step "services"
systemctl enable v2v-marker.service serial-getty@ttyS0.service
for u in ifupdown-wait-online.service systemd-networkd-wait-online.service; do systemctl mask "$u" >/dev/null 2>&1 || true; done
mkdir -p /etc/systemd/system/networking.service.d
printf '[Service]\nTimeoutStartSec=20s\n' >/etc/systemd/system/networking.service.d/v2v-timeout.conf

step "initramfs (IDE + Xen front-ends)"
update-initramfs -u -k all

step "grub (BIOS, MBR)"
grub-install --target=i386-pc "$V2V_DISK"
update-grub
cfg=/boot/grub/grub.cfg
sed -i -E "/^\s*linux\s/ s#root=[^ ]+#root=$ROOT_DEV#" "$cfg"

step "checks"
failures=0
fail() { echo "customize: CHECK FAILED: $*" >&2; failures=$((failures + 1)); }
grep -E '^\s*linux\s' "$cfg" | grep -q "root=$ROOT_DEV ro console=tty0 console=ttyS0,115200" || fail "grub.cfg: $(grep -E '^\s*linux\s' "$cfg")"
for initrd in /boot/initrd.img-*; do
  mods=$(lsinitramfs "$initrd" | grep -E '\.ko(\.[a-z]+)?$' | sed 's#.*/##' | sort)
  if echo "$mods" | grep -q virtio; then fail "$initrd contains virtio"; fi
  for m in ata_piix sd_mod xen-blkfront xen-netfront ext4; do echo "$mods" | grep -qE "^$m\.ko" || fail "$initrd lacks $m"; done
done
[ "$failures" -eq 0 ] || { echo "customize: $failures check(s) failed" >&2; exit 1; }

step "tidy"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log /root/.bash_history
: >/etc/resolv.conf
