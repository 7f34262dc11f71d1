#!/bin/sh
# Runs chrooted into the new root (/dev /proc /sys bound; lib/disk-chroot.sh) after the overlay/ files
# were unpacked. Replaces initramfs-tools with dracut, makes the tree bootable and checks the result; any
# failure fails the build. The build host sees the disk as $V2V_DISK (a loop device); the VMware guest
# calls it /dev/sda.
set -eu
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
ROOT_DEV=/dev/sda1
HOSTNAME_WANTED=v2v-dracut
# The drivers the image must hold (the VMware virtual hardware; overlay/etc/dracut.conf.d/10-vmware.conf).
WANTED_MODULES="ahci sd_mod mptspi vmw_pvscsi e1000 vmxnet3 ext4"

step() { echo "customize: [$(date +%T)] $*"; }

step "root password (documented: v2v)"
echo 'root:v2v' | chpasswd

step "packages a VMware guest does not have"
dpkg --purge xenstore-utils >/dev/null

# Debian 12 packages dracut; `dracut` conflicts with initramfs-tools, so installing it removes that (the
# kernel's `initramfs-tools | linux-initramfs-tool` dependency is met by dracut). The shared tree cannot
# carry it (every fixture would change), so it comes from the tree's Debian mirror (sources.list written by
# debootstrap; resolv.conf is still the build host's): the build needs the network, as debootstrap does.
# amd64-microcode (non-free-firmware) gives the image an early microcode cpio in front of the compressed
# main archive, as RHEL images have. dracut's postinst (a dpkg trigger) builds /boot/initrd.img-VERSION
# with the configuration from the overlay.
step "dracut in place of initramfs-tools (apt, from the network)"
mirror=$(grep -m1 -oE 'https?://[^ ]+' /etc/apt/sources.list)
echo "deb $mirror bookworm non-free-firmware" >/etc/apt/sources.list.d/v2v-firmware.list
apt_opts="-q -o Acquire::Retries=3 -o Acquire::Languages=none -o APT::Install-Recommends=false"
if ! { apt-get $apt_opts update >/dev/null && apt-get $apt_opts -y install dracut amd64-microcode >/dev/null; }; then
  echo "customize: installing dracut failed (no network to $mirror?)" >&2
  exit 1
fi
rm -f /etc/apt/sources.list.d/v2v-firmware.list
# initramfs-tools-core (mkinitramfs, unmkinitramfs) stays behind as an automatically installed package.
dpkg --purge initramfs-tools-core >/dev/null

step "services"
systemctl enable v2v-marker.service
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

step "grub"
grub-install --target=i386-pc "$V2V_DISK"
update-grub
# grub-mkconfig writes what grub-probe sees for /; the VM must say /dev/sda1.
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
# The conversion's dracut branch is chosen because initramfs-tools' tool is gone.
for p in initramfs-tools initramfs-tools-core xenstore-utils; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then fail "$p is installed"; fi
done
[ ! -e /usr/sbin/update-initramfs ] || fail "update-initramfs exists"
command -v dracut >/dev/null && command -v lsinitrd >/dev/null || fail "dracut or lsinitrd missing"
kernels=$(ls /lib/modules)
[ -n "$kernels" ] || fail "no kernel"
for v in $kernels; do
  initrd=/boot/initrd.img-$v
  [ -f "$initrd" ] || { fail "no $initrd"; continue; }
  listing=$(lsinitrd "$initrd") || { fail "lsinitrd cannot read $initrd"; continue; }
  echo "$listing" | grep -q 'dracut-0' || fail "$initrd was not made by dracut"
  # The early cpio (microcode) comes first, then the compressed main archive.
  echo "$listing" | grep -q '^Early CPIO image' || fail "$initrd has no early cpio"
  echo "$listing" | grep -qE 'kernel/x86/microcode/AuthenticAMD\.bin' || fail "$initrd has no AMD microcode"
  mods=$(echo "$listing" | grep -oE '[^/ ]+\.ko(\.[a-z]+)?$' | sort -u)
  if echo "$mods" | grep -q virtio; then fail "$initrd contains virtio: $(echo "$mods" | grep virtio | tr '\n' ' ')"; fi
  for m in $WANTED_MODULES; do
    echo "$mods" | grep -qE "^$m\.ko" || fail "$initrd lacks $m"
  done
  echo "customize: $initrd ($(wc -c <"$initrd") bytes) modules: $(echo "$mods" | sed -E 's/\.ko.*//' | tr '\n' ' ')"
done
systemctl is-enabled v2v-marker.service >/dev/null || fail "v2v-marker.service not enabled"
[ "$failures" -eq 0 ] || { echo "customize: $failures check(s) failed" >&2; exit 1; }

step "tidy"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log /root/.bash_history
: >/etc/resolv.conf
step "done"
