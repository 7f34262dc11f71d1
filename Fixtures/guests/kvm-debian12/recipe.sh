# Recipe: a Debian 12 VM as born on KVM/libvirt (q35, virtio disk and NIC, qemu-guest-agent), installed so
# that it boots with BIOS and with UEFI firmware alike: GPT with a BIOS boot partition (grub-pc's core.img),
# an EFI system partition holding ONLY EFI/debian/grubx64.efi (its NVRAM entry lived in the libvirt host's
# nvram file: no EFI/BOOT/BOOTX64.EFI) and the ext4 root as the LAST partition. Devices are named the KVM
# way (/dev/vda3 in fstab and on the kernel command line) and the initramfs holds virtio drivers only.
# Packaged as libvirt keeps it: NAME.qcow2 + a domain XML NAME.xml (lib/package-libvirt.sh).

. "$FIXTURES_DIR/lib/debian12.sh"

GUEST_HOSTNAME=v2v-kvm
GUEST_ROOT_DEVICE=/dev/vda3
GUEST_ROOT_PASSWORD=v2v
GUEST_FIRMWARE=bios          # what the domain XML says (libvirt's default); the disk also boots on UEFI
GUEST_MEMORY_MB=1024
GUEST_VCPUS=2
DISK_SIZE_BYTES=$((4 * 1024 * 1024 * 1024))

# Fixed identities: grubx64.efi's embedded config searches the root by this UUID.
ROOT_UUID=3c0d9a4e-5b7f-4e21-8f36-0a9d2e6b7c13
ESP_ID=4B56D3A1
RECIPE_ENV=(V2V_ROOT_UUID=$ROOT_UUID V2V_ESP_UUID=4B56-D3A1)

# The ESP is filled here, on the build host, before the tree is unpacked: this host's kernel cannot mount
# FAT, and grub-install refuses an --efi-directory that is not FAT ("doesn't look like an EFI partition").
# So grubx64.efi is made the way grub-install makes it (grub-mkimage with the tree's own x86_64-efi
# modules and an early config that finds the root by UUID and sets prefix=($root)/boot/grub) and written
# into the FAT file system with mtools. customize.sh copies the modules to /boot/grub/x86_64-efi.
recipe_layout() {
  sfdisk -q "$1" <<<'label: gpt
start=2048, size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name=bios
size=128MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=efi
type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root'
  local esp root
  esp=$(part_node "$1" 2); root=$(part_node "$1" 3)
  mkfs.vfat -F 32 -i "$ESP_ID" "$esp" >/dev/null
  mkfs.ext4 -q -O ^metadata_csum_seed,^orphan_file -U "$ROOT_UUID" "$root"
  mount_at "$root" /
  kvm_fill_esp "$esp"
}

kvm_fill_esp() {
  local esp=$1 g="$WORK_DIR/grub-efi"
  need_cmd grub-mkimage mmd mcopy mdir
  mkdir -p "$g"
  tar -xf "$ROOTFS_TAR" -C "$g" ./usr/lib/grub/x86_64-efi
  printf 'search.fs_uuid %s root hd0,gpt3\nset prefix=($root)'"'"'/boot/grub'"'"'\n' "$ROOT_UUID" >"$g/load.cfg"
  grub-mkimage -d "$g/usr/lib/grub/x86_64-efi" -O x86_64-efi -c "$g/load.cfg" -p /boot/grub \
    -o "$g/grubx64.efi" part_gpt part_msdos ext2 search_fs_uuid
  export MTOOLS_SKIP_CHECK=1
  # (mtools on a block device complains that it has no geometry; harmless)
  { mmd -i "$esp" ::/EFI ::/EFI/debian && mcopy -i "$esp" "$g/grubx64.efi" ::/EFI/debian/grubx64.efi; } 2>&1 |
    { grep -v 'Could not get geometry' || true; } >&2
  local listing; listing=$(mdir -i "$esp" -/ -b ::/ 2>/dev/null)
  log "ESP: $(tr '\n' ' ' <<<"$listing")"
  [ "$listing" = $'::/EFI/\n::/EFI/debian/\n::/EFI/debian/grubx64.efi' ] || die "ESP holds more than EFI/debian/grubx64.efi"
  rm -rf "$g"
}

PACKAGE_FORMATS=(libvirt)
