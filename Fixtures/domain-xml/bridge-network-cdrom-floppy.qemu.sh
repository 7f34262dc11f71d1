#!/bin/bash
# Boots rhel5 legacy, converted by v2v, with qemu (no libvirt).
#   V2V_ACCEL  accelerators to try in order (default kvm:tcg)
#   V2V_CPU    qemu -cpu value (default max)
#   arguments  are passed on to qemu (e.g. -snapshot, -display gtk)
# Serial console and qemu monitor share this terminal: Ctrl-A X quits, Ctrl-A C toggles the monitor.
set -euo pipefail

exec qemu-system-x86_64 \
  -name 'rhel5 legacy' \
  -machine q35,accel="${V2V_ACCEL:-kvm:tcg}" \
  -cpu "${V2V_CPU:-max}" \
  -m 1024 \
  -smp 1 \
  -uuid 6a1d3f4e-2b7c-4e8a-9d10-0123456789ab \
  -drive 'file=/var/lib/v2v/out/rhel5 legacy-sda,format=raw,if=none,id=disk0,discard=unmap' -device virtio-blk-pci,drive=disk0,bootindex=1 \
  -drive 'if=none,id=cd0,media=cdrom,readonly=on,format=raw,file=/isos/rhel-5.11 & tools.iso' -device ide-cd,drive=cd0,bus=ide.0 \
  -drive if=none,id=cd1,media=cdrom,readonly=on -device ide-cd,drive=cd1,bus=ide.1 \
  -device isa-fdc,id=fdc0 \
  -drive if=none,id=fd0,format=raw,file=/images/drivers.img -device floppy,unit=0,drive=fd0 \
  -netdev user,id=net0 -device virtio-net-pci,netdev=net0,mac=00:16:3e:00:00:01 \
  -netdev user,id=net1 -device virtio-net-pci,netdev=net1,mac=00:16:3e:00:00:02 \
  -netdev user,id=net2 -device virtio-net-pci,netdev=net2,mac=00:16:3e:00:00:03 \
  -vga std \
  -device virtio-rng-pci \
  -device virtio-balloon-pci \
  -serial mon:stdio -nographic \
  "$@"
