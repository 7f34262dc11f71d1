#!/usr/bin/env bash
# Benchmark: v2v against virt-v2v (Debian's package) and against `qemu-img convert` of the same disk, in one
# run on the same fixture, printing wall times, ratios, output sizes and appliance starts.
#   Benchmarks/convert-bench.sh [FIXTURE]     (default vmware-debian12-bios; any VMX fixture, one disk or more)
# Needs root (installs virt-v2v and libnbd-bin, which virt-v2v's copy step needs, when missing).
# V2V_SCRATCH_PATH=DIR: use a build made with `swift build --scratch-path DIR` (default .build); V2V_BINARY=FILE:
# that binary, nothing built.
# Prints each tool's stage table (v2v from its --json result, virt-v2v from its [  secs] progress lines).
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:-vmware-debian12-bios}"

bash scripts/setup-host.sh >/dev/null
for p in virt-v2v libnbd-bin; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p" >/dev/null
done
if [ -n "${V2V_BINARY:-}" ]; then
  V2V=$V2V_BINARY
else
  scratch=(--scratch-path "${V2V_SCRATCH_PATH:-.build}")
  swift build "${scratch[@]}" --product v2v >/dev/null 2>&1 || swift build "${scratch[@]}" --product v2v
  V2V="$(swift build "${scratch[@]}" --show-bin-path)/v2v"
fi
dir=$(bash Fixtures/build-fixture.sh "$name" | tail -n 1)
vmx="$dir/$name.vmx"
# Every disk the VMX names (scsi0:0.fileName = "x.vmdk", relative to the VMX), in order.
mapfile -t vmdks < <(sed -nE 's/^[a-z]+[0-9]+:[0-9]+\.fileName *= *"([^"]+\.vmdk)".*/\1/Ip' "$vmx" | while read -r f; do
  case $f in /*) echo "$f" ;; *) echo "$dir/$f" ;; esac
done)
[ ${#vmdks[@]} -gt 0 ] || vmdks=("$dir/$name.vmdk")

work=$(mktemp -d /var/tmp/v2v-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/qemu-img" "$work/v2v" "$work/virt-v2v"
export LIBGUESTFS_BACKEND=direct

now() { date +%s.%N; }
alloc() { du -sk "$1" | awk '{print $1 * 1024}'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }

echo "== qemu-img convert (copy baseline): ${#vmdks[@]} disk(s) -> raw"
t0=$(now)
for i in "${!vmdks[@]}"; do qemu-img convert -p -f vmdk -O raw "${vmdks[$i]}" "$work/qemu-img/disk$i.raw" >/dev/null; done
t1=$(now)
qemu_secs=$(echo "$t1 - $t0" | awk '{print $1 - $3}')
qemu_bytes=$(alloc "$work/qemu-img")

echo "== v2v convert -i vmx -o local"
t0=$(now)
"$V2V" convert -i vmx "$vmx" -o local -os "$work/v2v" --accel tcg --json > "$work/v2v.json"
t1=$(now)
v2v_secs=$(echo "$t1 - $t0" | awk '{print $1 - $3}')
v2v_bytes=$(alloc "$work/v2v")
read -r v2v_copy v2v_starts < <(python3 - "$work/v2v.json" <<'PY'
import json, sys
res = [json.loads(l) for l in open(sys.argv[1]) if '"result"' in l][-1]["result"]
copy = sum(s["seconds"] for s in res["stages"] if s["stage"].startswith("Copying"))
print(f'{copy:.2f} {res["applianceStarts"]}')
PY
)
python3 - "$work/v2v.json" <<'PY'
import json, sys
res = [json.loads(l) for l in open(sys.argv[1]) if '"result"' in l][-1]["result"]
for s in res["stages"]: print(f'   {s["seconds"]:7.1f} s  {s["stage"]}')
PY

echo "== virt-v2v -i vmx -o local (LIBGUESTFS_BACKEND_SETTINGS=force_tcg)"
t0=$(now)
if LIBGUESTFS_BACKEND_SETTINGS=force_tcg virt-v2v -i vmx "$vmx" -o local -os "$work/virt-v2v" -of raw > "$work/virt-v2v.log" 2>&1; then
  t1=$(now)
  vv_secs=$(echo "$t1 - $t0" | awk '{print $1 - $3}')
  vv_bytes=$(alloc "$work/virt-v2v")
  vv_starts=$(grep -c "Setting up the destination\|Opening the source" "$work/virt-v2v.log" || true)
  # Its progress lines ("[  12.3] Inspecting the source"): each stage lasts until the next line's time.
  python3 - "$work/virt-v2v.log" "$vv_secs" <<'PY'
import re, sys
marks = [(float(m.group(1)), m.group(2)) for m in (re.match(r"^\[\s*([0-9.]+)\]\s+(.*)$", l.rstrip()) for l in open(sys.argv[1])) if m]
for (t, what), nxt in zip(marks, marks[1:] + [(float(sys.argv[2]), "")]):
    print(f'   {nxt[0] - t:7.1f} s  {what[:100]}')
PY
else
  echo "   virt-v2v failed: $(tail -n 3 "$work/virt-v2v.log" | tr '\n' ' ')"
  vv_secs=""; vv_bytes=""
fi

echo
echo "== results ($name, $(nproc) cores, TCG)"
printf '%-28s %10s %12s\n' "" "seconds" "output"
printf '%-28s %10.1f %12s\n' "qemu-img convert (copy only)" "$qemu_secs" "$(mib "$qemu_bytes")"
printf '%-28s %10.1f %12s   copy stage %.1f s, appliance starts %s\n' "v2v convert" "$v2v_secs" "$(mib "$v2v_bytes")" "$v2v_copy" "$v2v_starts"
[ -n "$vv_secs" ] && printf '%-28s %10.1f %12s\n' "virt-v2v" "$vv_secs" "$(mib "$vv_bytes")"
echo
awk -v a="$v2v_copy" -v b="$qemu_secs" 'BEGIN { printf "ratio v2v copy stage / qemu-img convert:  %.2f  (target <= 1.0)\n", a / b }'
if [ -n "$vv_secs" ]; then
  awk -v a="$v2v_secs" -v b="$vv_secs" 'BEGIN { printf "ratio v2v / virt-v2v wall time:          %.2f  (target <= 0.25)\n", a / b }'
  awk -v a="$v2v_bytes" -v b="$vv_bytes" 'BEGIN { printf "ratio v2v / virt-v2v output size:        %.2f  (target <= 1.0)\n", a / b }'
fi
