#!/bin/sh
# Runs chrooted into the new root (/dev /proc /sys bound; lib/disk-chroot.sh) after the overlay/ files
# were unpacked. Makes the tree bootable and checks the result; any failure fails the build. The build
# host sees the disk as $V2V_DISK (a loop device); the VMware guest calls it /dev/sda.
set -eu
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
ROOT_DEV=/dev/sda1
HOSTNAME_WANTED=v2v-debnet

step() { echo "customize: $*"; }

step "root password (documented: v2v)"
echo 'root:v2v' | chpasswd

step "packages a VMware guest does not have"
dpkg --purge xenstore-utils >/dev/null

step "services"
systemctl enable v2v-marker.service v2v-net-marker.service
# ens224 is systemd-networkd's (/etc/systemd/network/20-ens224.network); ens192 is ifupdown's.
systemctl enable systemd-networkd.service
systemctl enable serial-getty@ttyS0.service
# Nothing may wait for the network at boot (the test boots have no useful network).
for u in ifupdown-wait-online.service systemd-networkd-wait-online.service NetworkManager-wait-online.service; do
  systemctl mask "$u" >/dev/null 2>&1 || true
done
mkdir -p /etc/systemd/system/networking.service.d
cat >/etc/systemd/system/networking.service.d/v2v-timeout.conf <<'CONF'
[Service]
TimeoutStartSec=20s
CONF

step "initramfs (MODULES=list)"
update-initramfs -u -k all

step "grub"
grub-install --target=i386-pc "$V2V_DISK"
update-grub
# grub-mkconfig writes what grub-probe sees for /; the VM must say /dev/sda1 whatever the appliance saw.
cfg=/boot/grub/grub.cfg
if grep -E '^\s*linux\s' "$cfg" | grep -vq "root=$ROOT_DEV "; then
  step "grub.cfg names another root device; rewriting it to $ROOT_DEV"
  sed -i -E "/^\s*linux\s/ s#root=[^ ]+#root=$ROOT_DEV#" "$cfg"
fi

step "checks"
failures=0
fail() { echo "customize: CHECK FAILED: $*" >&2; failures=$((failures + 1)); }
grep -qE "^$ROOT_DEV\s+/\s" /etc/fstab || fail "fstab does not mount $ROOT_DEV on /"
linux_lines=$(grep -E '^\s*linux\s' "$cfg" || true)
[ -n "$linux_lines" ] || fail "no linux line in grub.cfg"
while read -r l; do
  [ -n "$l" ] || continue
  case "$l" in
    *"root=$ROOT_DEV "*"console=tty0 console=ttyS0,115200"*) echo "customize: grub.cfg: $l" ;;
    *) fail "grub.cfg linux line: $l" ;;
  esac
done <<LINES
$linux_lines
LINES
grep -qE '^\s*terminal_output\s+serial\s+console' "$cfg" || fail "grub.cfg has no serial terminal"
grep -qE '^\s*set timeout=1$' "$cfg" || fail "grub.cfg timeout is not 1: $(grep -E 'set timeout=' "$cfg" | tr '\n' ' ')"
[ "$(cat /etc/hostname)" = "$HOSTNAME_WANTED" ] || fail "hostname is $(cat /etc/hostname)"
for initrd in /boot/initrd.img-*; do
  mods=$(lsinitramfs "$initrd" | grep -E '\.ko(\.[a-z]+)?$' | sed 's#.*/##' | sort)
  if echo "$mods" | grep -q virtio; then fail "$initrd contains virtio: $(echo "$mods" | grep virtio | tr '\n' ' ')"; fi
  for m in ahci sd_mod mptspi vmw_pvscsi e1000 vmxnet3 ext4; do
    echo "$mods" | grep -qE "^$m\.ko" || fail "$initrd lacks $m"
  done
  echo "customize: $initrd modules: $(echo "$mods" | sed -E 's/\.ko.*//' | tr '\n' ' ')"
done
systemctl is-enabled v2v-marker.service >/dev/null || fail "v2v-marker.service not enabled"
systemctl is-enabled v2v-net-marker.service >/dev/null || fail "v2v-net-marker.service not enabled"
systemctl is-enabled systemd-networkd.service >/dev/null || fail "systemd-networkd.service not enabled"
for u in systemd-networkd-wait-online.service ifupdown-wait-online.service; do
  [ "$(systemctl is-enabled "$u" 2>/dev/null || true)" = masked ] || fail "$u is not masked (nothing may wait for the network)"
done
grep -qE "^UUID=$V2V_DATA_UUID\s+/srv\s+ext4\s+defaults\s" /etc/fstab || fail "fstab does not mount UUID=$V2V_DATA_UUID on /srv (without nofail)"
grep -q nofail /etc/fstab && fail "fstab has nofail"
grep -qE '^iface ens192 inet static' /etc/network/interfaces || fail "ens192 is not static in /etc/network/interfaces"
grep -qx 'Name=ens224' /etc/systemd/network/20-ens224.network || fail "20-ens224.network does not match ens224"
ls /etc/systemd/network/*.link >/dev/null 2>&1 && fail "a .link file exists already: $(ls /etc/systemd/network/*.link)"
[ -d /srv ] || fail "no /srv"
[ -x /usr/local/sbin/v2v-net-marker ] || fail "v2v-net-marker is not executable"
[ "$failures" -eq 0 ] || { echo "customize: $failures check(s) failed" >&2; exit 1; }

step "tidy"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log /root/.bash_history
: >/etc/resolv.conf
step "done"
