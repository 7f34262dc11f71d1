#!/usr/bin/env bash
# `v2v batch` throughput: N real conversions at concurrency 1, then at concurrency 2, in one run.
#
# Prints machines/hour for each concurrency and their ratio (the goal on a 2-core host: c=2 >= 1.5 x c=1),
# and the peak memory of one conversion: the RSS of a `v2v convert` child plus all its descendants (the
# libguestfs appliance's qemu, qemu-img, nbdkit…), sampled from /proc every 0.2 s; the report's numbers are
# the largest such sum over every conversion (and over the whole batch, for the concurrency-2 run).
#
# The machines are the phony-Windows fixture's Server 2019 VMX (Fixtures/windows/build.sh), each copied into
# its own source folder (so perSourceHost does not limit), converted with its fake virtio-win tree to
# `-o local` qcow2: a full conversion (appliance, inspection, 57 registry/file changes, copy) that cannot boot.
#
# Usage: Benchmarks/batch-throughput.sh
# Environment: N (machines, default 4), V2V_BINARY (default .build/debug/v2v, else .build-batch/debug/v2v),
#   KEEP=1 keeps the work folder. Run it on an otherwise idle host: it prints the load before each run.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-4}
V2V=${V2V_BINARY:-}
if [ -z "$V2V" ]; then
  for c in "$REPO/.build/debug/v2v" "$REPO/.build-batch/debug/v2v"; do [ -x "$c" ] && { V2V=$c; break; }; done
fi
[ -n "$V2V" ] && [ -x "$V2V" ] || { echo "batch-throughput: no v2v binary (build it, or set V2V_BINARY)" >&2; exit 2; }

FIX=$(bash "$REPO/Fixtures/windows/build.sh" 2>/dev/null | tail -1)
[ -f "$FIX/win2019.vmx" ] || { echo "batch-throughput: Fixtures/windows/build.sh gave no fixture" >&2; exit 2; }

WORK=$(mktemp -d /tmp/v2v-batch-bench.XXXXXX)
SAMPLER=""
cleanup() {
  [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] && echo "kept: $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT

for i in $(seq 1 "$N"); do
  mkdir -p "$WORK/src/ds$i"
  cp "$FIX/win2019.vmx" "$FIX/win2019.vmdk" "$WORK/src/ds$i/"
done

# Samples /proc every 0.2 s while the batch runs: per `v2v convert` process, the largest RSS sum of it and its
# descendants; and the largest sum over all of them at one instant. Writes "PID PEAK_KIB" lines, then "ALL KIB".
sampler() {
  python3 - "$1" "$2" <<'PY'
import os, sys, time
batch, out = int(sys.argv[1]), sys.argv[2]
peak, total_peak = {}, 0
def procs():
    table = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                stat = f.read()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            rss = 0
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
            table[int(p)] = (ppid, rss)
        except (OSError, ValueError):
            pass
    return table
while os.path.exists(f"/proc/{batch}"):
    t = procs()
    kids = {}
    for pid, (ppid, _) in t.items():
        kids.setdefault(ppid, []).append(pid)
    def tree(pid):
        s, stack = 0, [pid]
        while stack:
            q = stack.pop()
            s += t.get(q, (0, 0))[1]
            stack.extend(kids.get(q, []))
        return s
    now_total = 0
    for child in kids.get(batch, []):
        v = tree(child)
        now_total += v
        peak[child] = max(peak.get(child, 0), v)
    total_peak = max(total_peak, now_total)
    time.sleep(0.2)
with open(out, "w") as f:
    for pid, v in peak.items():
        f.write(f"{pid} {v}\n")
    f.write(f"ALL {total_peak}\n")
PY
}

declare -A MPH WALL PEAK ALL
for c in 1 2; do
  out="$WORK/out-c$c"
  mkdir -p "$out"
  plan="$WORK/bench-c$c.yaml"
  {
    echo "defaults: {output: local, outputStorage: $out, outputFormat: qcow2, virtioWin: $FIX/virtio-win}"
    echo "concurrency: $c"
    echo "retries: 0"
    echo "machines:"
    for i in $(seq 1 "$N"); do echo "  - {name: win$i, input: vmx, source: $WORK/src/ds$i/win2019.vmx}"; done
  } > "$plan"
  echo "== concurrency $c: $N machines; load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores" >&2
  start=$(date +%s.%N)
  "$V2V" batch run "$plan" -q > "$WORK/run-c$c.out" 2> "$WORK/run-c$c.err" &
  batch=$!
  sampler "$batch" "$WORK/mem-c$c.txt" &
  SAMPLER=$!
  rc=0
  wait "$batch" || rc=$?
  end=$(date +%s.%N)
  wait "$SAMPLER" || true
  SAMPLER=""
  if [ "$rc" != 0 ]; then
    echo "batch-throughput: concurrency $c: v2v batch run exited $rc" >&2
    cat "$WORK/run-c$c.out" "$WORK/run-c$c.err" >&2
    exit 1
  fi
  WALL[$c]=$(python3 -c "print(f'{$end - $start:.1f}')")
  MPH[$c]=$(python3 -c "print(f'{$N * 3600 / ($end - $start):.1f}')")
  PEAK[$c]=$(awk '$1 != "ALL" { if ($2 > m) m = $2 } END { printf "%.0f", m / 1024 }' "$WORK/mem-c$c.txt")
  ALL[$c]=$(awk '$1 == "ALL" { printf "%.0f", $2 / 1024 }' "$WORK/mem-c$c.txt")
  per=$("$V2V" batch report "$plan" --csv 2>/dev/null | awk -F, 'NR > 1 && $1 != "" { printf "%s%s=%ss", sep, $1, $9; sep = " " }')
  echo "   wall ${WALL[$c]} s; per machine: $per" >&2
  echo "   report: $("$V2V" batch report "$plan" 2>/dev/null | grep '^throughput')" >&2
done

ratio=$(python3 -c "print(f'{${MPH[2]} / ${MPH[1]}:.2f}')")
goal=$(python3 -c "print('met' if ${MPH[2]} >= 1.5 * ${MPH[1]} else 'NOT met')")
echo "batch-throughput: $N phony Windows Server 2019 conversions (-o local qcow2), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "  concurrency 1: ${WALL[1]} s wall, ${MPH[1]} machines/hour; peak per conversion ${PEAK[1]} MiB RSS (v2v convert + appliance qemu + helpers)"
echo "  concurrency 2: ${WALL[2]} s wall, ${MPH[2]} machines/hour; peak per conversion ${PEAK[2]} MiB RSS; both at once ${ALL[2]} MiB"
echo "  ratio c2/c1: $ratio (goal >= 1.5: $goal)"
