#!/usr/bin/env bash
# Installs the Debian packages v2v needs on a fresh Debian 12 machine. Idempotent: skips what is present.
# Usage: scripts/setup-host.sh   (as root, or with sudo available)
set -euo pipefail

PACKAGES=(
  # libguestfs: the appliance that opens guests, its headers, and the tools around it
  libguestfs-tools libguestfs-dev
  # libvirt: headers, the QEMU driver (used in-process via qemu:///embed), the libvirt-qemu user
  libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system libvirt-clients
  # XML and Windows registry hives
  libxml2-dev libxml2-utils libhivex-dev libhivex-bin
  # disks: qemu-img, nbdkit, nbdcopy
  qemu-utils qemu-system-x86 nbdkit libnbd-bin
  # building fixture guests and the kernel libguestfs boots its appliance with
  debootstrap linux-image-amd64 ovmf
  # fixture disks are built natively on loop devices: partition tables, filesystems (ext4, FAT for ESPs)
  fdisk util-linux e2fsprogs dosfstools
  # an ESP filled without mounting FAT (this host's kernel may lack vfat): grub-mkimage, mtools
  grub-common mtools
  # small tools used by scripts and tests
  pkg-config file xz-utils zstd rsync
  # fixture setups and the unit tests: zip (Fixtures/ovf/virtualbox-zip.setup), cpio (initramfs script tests)
  zip cpio
  # remote P2V (-i physical ssh://): the ssh client, and sshd for the tests' own server on 127.0.0.1
  openssh-client openssh-server
  # virtio-win ISOs (Windows guests' drivers) are listed and read without mounting: xorriso -osirrox
  xorriso
  # OpenSSL's libcrypto headers: SHA-256 of the image -o physical writes, checked by reading the target back
  libssl-dev
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-host: all ${#PACKAGES[@]} packages present"
else
  echo "setup-host: installing ${#missing[@]} packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # apt lists may be absent on a fresh machine; refresh them at most once a day.
  stamp=/var/lib/apt/periodic/update-success-stamp
  if [ ! -d /var/lib/apt/lists ] || [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
    $SUDO apt-get update -q
  fi
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# libguestfs needs a readable kernel in /boot to build its appliance (Debian ships it 0600).
for k in /boot/vmlinuz-*; do
  [ -e "$k" ] || continue
  [ -r "$k" ] && [ "$(stat -c %a "$k")" != 600 ] || $SUDO chmod 0644 "$k"
done

# The embedded libvirt QEMU driver drops privileges to libvirt-qemu; make sure the user exists.
if ! getent passwd libvirt-qemu >/dev/null; then
  echo "setup-host: warning: user libvirt-qemu missing (libvirt-daemon-system should create it)" >&2
fi
kubernetes-validate --version >/dev/null 2>&1 || pip install -q kubernetes-validate  # validates `v2v batch emit kubernetes` manifests offline in the tests (PyPI)
