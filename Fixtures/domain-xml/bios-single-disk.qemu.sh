#!/bin/bash
# Boots debian12-bios, converted by v2v, with qemu (no libvirt).
#   V2V_ACCEL  accelerators to try in order (default kvm:tcg)
#   V2V_CPU    qemu -cpu value (default max)
#   arguments  are passed on to qemu (e.g. -snapshot, -display gtk)
# Serial console and qemu monitor share this terminal: Ctrl-A X quits, Ctrl-A C toggles the monitor.
set -euo pipefail

exec qemu-system-x86_64 \
  -name debian12-bios \
  -machine q35,accel="${V2V_ACCEL:-kvm:tcg}" \
  -cpu "${V2V_CPU:-max}" \
  -m 2048 \
  -smp 2 \
  -uuid 6a1d3f4e-2b7c-4e8a-9d10-0123456789ab \
  -drive file=/var/lib/v2v/out/debian12-bios-sda,format=raw,if=none,id=disk0,discard=unmap -device virtio-blk-pci,drive=disk0,bootindex=1 \
  -netdev user,id=net0 -device virtio-net-pci,netdev=net0,mac=00:50:56:aa:bb:01 \
  -vga none -device virtio-vga \
  -device virtio-rng-pci \
  -device virtio-balloon-pci \
  -serial mon:stdio -nographic \
  "$@"
