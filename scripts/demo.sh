#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what v2v needs, build it, build a real VMware guest
# (Debian 12, debootstrap; cached in ~/.cache/v2v/fixtures), check the host, convert the guest to KVM on the
# embedded libvirt driver, and boot the result to prove it works.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-host.sh
echo "== building v2v"
swift build --product v2v 2>&1 | grep -E "error|warning: |Compiling v2v|Build" || true
V2V="$(swift build --show-bin-path)/v2v"
[ -x "$V2V" ] || { echo "demo: build failed" >&2; exit 1; }

echo "== building the fixture guest (first time: debootstrap, several minutes; then cached)"
dir=$(bash Fixtures/build-fixture.sh vmware-debian12-bios | tail -n 1)
vmx="$dir/vmware-debian12-bios.vmx"

echo "== v2v doctor"
"$V2V" doctor --skip-appliance || true

echo "== v2v inspect -i vmx $vmx"
"$V2V" inspect -i vmx "$vmx"

echo "== v2v convert -i vmx $vmx -o libvirt --verify-boot"
exec "$V2V" convert -i vmx "$vmx" -o libvirt --overwrite --verify-boot "$@"
