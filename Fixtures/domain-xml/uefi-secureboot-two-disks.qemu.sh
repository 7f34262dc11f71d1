#!/bin/bash
# Boots win2k19, converted by v2v, with qemu (no libvirt).
#   V2V_ACCEL  accelerators to try in order (default kvm:tcg)
#   V2V_CPU    qemu -cpu value (default max)
#   arguments  are passed on to qemu (e.g. -snapshot, -display gtk)
# Serial console and qemu monitor share this terminal: Ctrl-A X quits, Ctrl-A C toggles the monitor.
set -euo pipefail

vars=/var/lib/v2v/out/win2k19-VARS.fd
if [ ! -f "$vars" ]; then
  cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$vars"
fi

exec qemu-system-x86_64 \
  -name win2k19 \
  -machine q35,accel="${V2V_ACCEL:-kvm:tcg}",smm=on \
  -cpu "${V2V_CPU:-max}" \
  -m 4096 \
  -smp 4,sockets=1,cores=2,threads=2 \
  -uuid 6a1d3f4e-2b7c-4e8a-9d10-0123456789ab \
  -global driver=cfi.pflash01,property=secure,value=on \
  -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.ms.fd \
  -drive "if=pflash,format=raw,unit=1,file=${vars//,/,,}" \
  -drive file=/var/lib/v2v/out/win2k19-sda,format=raw,if=none,id=disk0,discard=unmap -device virtio-blk-pci,drive=disk0,bootindex=1 \
  -drive file=/var/lib/v2v/out/win2k19-sdb,format=raw,if=none,id=disk1,discard=unmap -device virtio-blk-pci,drive=disk1 \
  -netdev user,id=net0 -device virtio-net-pci,netdev=net0,mac=00:50:56:aa:bb:02 \
  -vga none -device virtio-vga \
  -device virtio-rng-pci \
  -device virtio-balloon-pci \
  -serial mon:stdio -nographic \
  "$@"
