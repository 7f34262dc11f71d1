#!/bin/sh
# Runs chrooted into the new root (lib/disk-chroot.sh) after the overlay/ files were unpacked: a KVM guest
# (virtio only) that boots with BIOS (grub-pc, core.img in the BIOS boot partition) and with UEFI (the ESP
# was filled by recipe.sh; this copies the x86_64-efi modules grubx64.efi loads from /boot/grub). The build
# host sees the disk as $V2V_DISK (a loop device); the guest calls it /dev/vda.
set -eu
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
ROOT_DEV=/dev/vda3
HOSTNAME_WANTED=v2v-kvm
step() { echo "customize: $*"; }

step "root password (documented: v2v)"
echo 'root:v2v' | chpasswd

step "packages a KVM guest does not have (a plain-partition install has no lvm2 either)"
dpkg --purge open-vm-tools xenstore-utils lvm2 >/dev/null

# The shared tree has no KVM agents (adding them there would change every fixture). Installed from the
# tree's Debian mirror (sources.list written by debootstrap; resolv.conf is still the build host's): the
# build needs the network, as debootstrap does. spice-vdagent is left out: it pulls in GTK 3 (~100 MB).
step "qemu-guest-agent (apt, from the network)"
apt_opts="-q -o Acquire::Retries=3 -o Acquire::Languages=none -o APT::Install-Recommends=false"
if ! { apt-get $apt_opts update >/dev/null && apt-get $apt_opts -y install qemu-guest-agent >/dev/null; }; then
  echo "customize: installing qemu-guest-agent failed (no network to $(grep -m1 -o 'http[^ ]*' /etc/apt/sources.list)?)" >&2
  exit 1
fi

step "services"
systemctl enable v2v-marker.service serial-getty@ttyS0.service
# Nothing may wait for the network at boot (the test boots have no useful network).
for u in ifupdown-wait-online.service systemd-networkd-wait-online.service NetworkManager-wait-online.service; do
  systemctl mask "$u" >/dev/null 2>&1 || true
done
mkdir -p /etc/systemd/system/networking.service.d
printf '[Service]\nTimeoutStartSec=20s\n' >/etc/systemd/system/networking.service.d/v2v-timeout.conf

step "initramfs (MODULES=list: virtio only)"
update-initramfs -u -k all

step "grub (BIOS: core.img in the BIOS boot partition; UEFI: modules for EFI/debian/grubx64.efi)"
mkdir -p /boot/efi
grub-install --target=i386-pc "$V2V_DISK"
# What grub-install --target=x86_64-efi copies next to grub.cfg (it cannot run here: no FAT mount).
mkdir -p /boot/grub/x86_64-efi
cp /usr/lib/grub/x86_64-efi/*.mod /usr/lib/grub/x86_64-efi/*.lst /boot/grub/x86_64-efi/
update-grub
cfg=/boot/grub/grub.cfg
# grub-mkconfig names what it sees for / (the loop partition); the VM says /dev/vda3.
sed -i -E "/^\s*linux\s/ s#root=[^ ]+#root=$ROOT_DEV#" "$cfg"

step "checks"
failures=0
fail() { echo "customize: CHECK FAILED: $*" >&2; failures=$((failures + 1)); }
grep -qE "^$ROOT_DEV\s+/\s+ext4\s" /etc/fstab || fail "fstab does not mount $ROOT_DEV on /"
grep -qE "^/dev/vda2\s+/boot/efi\s+vfat\s" /etc/fstab || fail "fstab does not mount /dev/vda2 on /boot/efi"
linux_lines=$(grep -E '^\s*linux\s' "$cfg" || true)
[ -n "$linux_lines" ] || fail "no linux line in grub.cfg"
while read -r l; do
  [ -n "$l" ] || continue
  case "$l" in
    *tty0*) fail "grub.cfg linux line names tty0: $l" ;;
    *"root=$ROOT_DEV ro console=ttyS0,115200") echo "customize: grub.cfg: $l" ;;
    *) fail "grub.cfg linux line: $l" ;;
  esac
done <<LINES
$linux_lines
LINES
grep -q "search .*--fs-uuid .*$V2V_ROOT_UUID" "$cfg" || fail "grub.cfg does not search the root by UUID $V2V_ROOT_UUID"
grep -qE '^\s*terminal_output\s+serial' "$cfg" || fail "grub.cfg has no serial terminal"
grep -qE '^\s*set timeout=1$' "$cfg" || fail "grub.cfg timeout is not 1"
[ "$(blkid -s UUID -o value "$V2V_PART_3")" = "$V2V_ROOT_UUID" ] || fail "root UUID is not $V2V_ROOT_UUID"
[ "$(blkid -s UUID -o value "$V2V_PART_2")" = "$V2V_ESP_UUID" ] || fail "ESP id is not $V2V_ESP_UUID"
# core.img went into the BIOS boot partition (it starts with non-zero bytes) and boot.img into the MBR.
[ -n "$(head -c 512 "$V2V_PART_1" | tr -d '\0')" ] || fail "BIOS boot partition is empty (no core.img)"
[ -n "$(head -c 440 "$V2V_DISK" | tr -d '\0')" ] || fail "no boot code in the protective MBR"
[ -f /boot/grub/i386-pc/normal.mod ] && [ -f /boot/grub/x86_64-efi/normal.mod ] || fail "grub modules missing for a firmware"
[ "$(cat /etc/hostname)" = "$HOSTNAME_WANTED" ] || fail "hostname is $(cat /etc/hostname)"
for initrd in /boot/initrd.img-*; do
  mods=$(lsinitramfs "$initrd" | grep -E '\.ko(\.[a-z]+)?$' | sed 's#.*/##' | sort)
  for m in ahci sd_mod ata_piix nvme e1000e; do
    if echo "$mods" | grep -qE "^$m\.ko"; then fail "$initrd contains $m"; fi
  done
  for m in virtio_pci virtio_blk virtio_scsi virtio_net ext4; do
    echo "$mods" | grep -qE "^$m\.ko" || fail "$initrd lacks $m"
  done
  echo "customize: $initrd modules: $(echo "$mods" | sed -E 's/\.ko.*//' | tr '\n' ' ')"
done
for p in open-vm-tools xenstore-utils lvm2; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then fail "$p is installed"; fi
done
dpkg-query -W -f='${Status}' qemu-guest-agent | grep -q 'install ok installed' || fail "qemu-guest-agent not installed"
# Debian's unit is static: udev starts it when the virtio port org.qemu.guest_agent.0 appears.
grep -rqs 'org.qemu.guest_agent.0' /lib/udev/rules.d /usr/lib/udev/rules.d || fail "no udev rule starts qemu-guest-agent"
systemctl is-enabled v2v-marker.service >/dev/null || fail "v2v-marker.service not enabled"
systemctl is-enabled serial-getty@ttyS0.service >/dev/null || fail "no getty on ttyS0"
[ "$failures" -eq 0 ] || { echo "customize: $failures check(s) failed" >&2; exit 1; }

step "tidy"
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log /root/.bash_history
: >/etc/resolv.conf
step "done"
