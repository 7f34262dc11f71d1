# Recipe: the disk of a physical Debian 12 server (UEFI) as the Debian installer lays it out with LVM: GPT,
# an EFI system partition, a separate ext4 /boot, an LVM PV holding root and swap; fstab by UUID; grub-efi
# installed with ONLY EFI/debian/grubx64.efi (its NVRAM entry stayed in the old machine: no
# EFI/BOOT/BOOTX64.EFI); an initramfs for its hardware only. Packaged as a raw image.

. "$FIXTURES_DIR/lib/debian12.sh"

GUEST_HOSTNAME=v2v-physuefi
GUEST_ROOT_DEVICE=/dev/mapper/physvg-root
GUEST_ROOT_PASSWORD=v2v
GUEST_FIRMWARE=uefi
DISK_SIZE_BYTES=$((4 * 1024 * 1024 * 1024))
VG_NAME=physvg

ROOT_UUID=6b1c2c55-3a0e-4f0e-9d57-8a7c1f2e0b01
SWAP_UUID=6b1c2c55-3a0e-4f0e-9d57-8a7c1f2e0b02
ESP_ID=7E5A1C0D
RECIPE_ENV=(V2V_ROOT_UUID=$ROOT_UUID V2V_SWAP_UUID=$SWAP_UUID V2V_ESP_UUID=7E5A-1C0D)

# Built on this host with the root on partition 3 as plain ext4 and the ESP formatted but not mounted (this
# host's kernel has neither device-mapper nor vfat); then recipe_guestfish_after makes partition 3 an LVM
# PV with root and swap LVs, unpacks the root tree and runs grub-install onto the ESP.
recipe_layout() {
  sfdisk -q "$1" <<<'label: gpt
start=2048, size=256MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=EFI
size=512MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=boot
type=E6D6D379-F507-44C2-A23C-238F2A3DF928, name=lvm'
  local esp boot root
  esp=$(part_node "$1" 1); boot=$(part_node "$1" 2); root=$(part_node "$1" 3)
  mkfs.vfat -F 32 -n EFI -i "$ESP_ID" "$esp" >/dev/null
  mkfs.ext4 -q -O ^metadata_csum_seed,^orphan_file "$boot"
  mkfs.ext4 -q -O ^metadata_csum_seed,^orphan_file -U "$ROOT_UUID" "$root"
  mount_at "$root" /
  mount_at "$boot" /boot
}

recipe_guestfish_after() {
  cat <<GF
wipefs /dev/sda3
pvcreate /dev/sda3
vgcreate $VG_NAME /dev/sda3
lvcreate swap $VG_NAME 256
lvcreate-free root $VG_NAME 100
mkfs ext4 /dev/$VG_NAME/root features:^metadata_csum_seed,^orphan_file
set-uuid /dev/$VG_NAME/root $ROOT_UUID
mkswap /dev/$VG_NAME/swap uuid:$SWAP_UUID
mount /dev/$VG_NAME/root /
tar-in "$ROOT_TREE_TAR" / xattrs:true
mount /dev/sda2 /boot
mkdir-p /boot/efi
mount /dev/sda1 /boot/efi
sh "grub-install --target=x86_64-efi --efi-directory=/boot/efi --bootloader-id=debian --no-nvram /dev/sda"
sh "test -f /boot/efi/EFI/debian/grubx64.efi && test ! -e /boot/efi/EFI/BOOT && echo 'ESP: only EFI/debian' && ls -R /boot/efi"
-fstrim /
-fstrim /boot
GF
}

PACKAGE_FORMATS=(raw)
