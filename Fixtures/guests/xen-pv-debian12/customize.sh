#!/bin/sh
# Runs chrooted into the new root (lib/disk-chroot.sh). A Xen PV domU: no grub-install (pygrub reads
# /boot/grub/grub.cfg from the host), root and swap by Xen device name, console hvc0.
set -eu
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
ROOT_DEV=/dev/xvda1
step() { echo "customize: $*"; }

step "packages a Xen guest does not have"
dpkg --purge open-vm-tools >/dev/null
echo 'root:v2v' | chpasswd

step "services"
systemctl enable v2v-marker.service
systemctl enable serial-getty@hvc0.service
for u in ifupdown-wait-online.service systemd-networkd-wait-online.service; do systemctl mask "$u" >/dev/null 2>&1 || true; done
mkdir -p /etc/systemd/system/networking.service.d
printf '[Service]\nTimeoutStartSec=20s\n' >/etc/systemd/system/networking.service.d/v2v-timeout.conf

step "initramfs (MODULES=list: Xen front-ends only)"
update-initramfs -u -k all

step "grub.cfg for pygrub (no grub-install: the MBR stays empty)"
update-grub
cfg=/boot/grub/grub.cfg
sed -i -E "/^\s*linux\s/ s#root=[^ ]+#root=$ROOT_DEV#" "$cfg"

step "checks"
failures=0
fail() { echo "customize: CHECK FAILED: $*" >&2; failures=$((failures + 1)); }
grep -qE "^$ROOT_DEV\s+/\s" /etc/fstab || fail "fstab does not mount $ROOT_DEV on /"
grep -qE "^/dev/xvda2\s+none\s+swap" /etc/fstab || fail "fstab has no xvda2 swap"
grep -E '^\s*linux\s' "$cfg" | grep -q "root=$ROOT_DEV ro console=hvc0" || fail "grub.cfg: $(grep -E '^\s*linux\s' "$cfg")"
code=$(dd if="$V2V_DISK" bs=440 count=1 2>/dev/null | od -An -v -tx1 | tr -d ' \n' | tr -d 0)
[ -z "$code" ] || fail "the MBR has boot code"
for initrd in /boot/initrd.img-*; do
  mods=$(lsinitramfs "$initrd" | grep -E '\.ko(\.[a-z]+)?$' | sed 's#.*/##' | sort)
  for bad in virtio ahci sd_mod ata_piix; do
    if echo "$mods" | grep -q "^$bad"; then fail "$initrd contains $bad"; fi
  done
  for m in xen-blkfront xen-netfront ext4; do echo "$mods" | grep -qE "^$m\.ko" || fail "$initrd lacks $m"; done
done
dpkg -s xenstore-utils >/dev/null 2>&1 || fail "xenstore-utils (the Xen tools to remove) is not installed"
[ "$failures" -eq 0 ] || { echo "customize: $failures check(s) failed" >&2; exit 1; }

step "tidy"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log /root/.bash_history
: >/etc/resolv.conf
