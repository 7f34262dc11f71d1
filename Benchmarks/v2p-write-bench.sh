#!/usr/bin/env bash
# Benchmark: the V2P data path (RawStreamer: sparse copy, head last, read-back SHA-256 verification) against
# `qemu-img convert -n` and `dd conv=sparse,fsync` of the same sparse raw source, onto a fresh image file and
# onto a loop device. Prints wall times and ratios.
#   Benchmarks/v2p-write-bench.sh [SIZE_GIB [DATA_MIB]]     (default 2 GiB with ~600 MiB of data)
# Needs root (loop devices). Everything lives in /var/tmp/v2p-bench.* and is removed on exit. The source stays
# in the page cache for every run alike; each tool's run ends with its target's data on disk (fsync).
# The streamer runs through the gated RawStreamerBenchmark test (a debug build: its hot paths are C calls).
set -euo pipefail
cd "$(dirname "$0")/.."
size_gib="${1:-2}"
data_mib="${2:-600}"
scratch=.build-stream

swift build --scratch-path "$scratch" --build-tests >/dev/null 2>&1 || swift build --scratch-path "$scratch" --build-tests

work=$(mktemp -d /var/tmp/v2p-bench.XXXXXX)
loop=""
cleanup() {
  [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

# The source: SIZE_GIB sparse, DATA_MIB of random data in 30 runs spread over the disk (head and end included).
src="$work/src.raw"
truncate -s "${size_gib}G" "$src"
runs=30
per=$(( data_mib / runs ))
step=$(( size_gib * 1024 / runs ))
for i in $(seq 0 $(( runs - 1 ))); do
  at=$(( i * step ))
  [ "$i" = $(( runs - 1 )) ] && at=$(( size_gib * 1024 - per ))
  head -c "$(( per ))M" /dev/urandom | dd of="$src" bs=1M seek="$at" conv=notrunc status=none
done
echo "source: $(du -h --apparent-size "$src" | cut -f1) apparent, $(du -h "$src" | cut -f1) allocated"

# A fresh loop device per run: a new sparse backing file of the same size.
new_loop() {
  [ -n "$loop" ] && losetup -d "$loop"
  rm -f "$work/backing.img"
  truncate -s "${size_gib}G" "$work/backing.img"
  loop=$(losetup -f --show "$work/backing.img")
}

streamer() {  # TARGET FRESH → prints the BENCH line
  V2V_BENCH_SOURCE="$src" V2V_BENCH_TARGET="$1" V2V_BENCH_FRESH="$2" \
    swift test --scratch-path "$scratch" --skip-build --no-parallel --filter RawStreamerBenchmark 2>&1 | grep '^BENCH'
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<< "$2"; }

echo "== onto a fresh image file"
rm -f "$work/dst.img"
line=$(streamer "$work/dst.img" 1); echo "   streamer:        $line"
s_file_w=$(field write "$line"); s_file_t=$(field total "$line")
cmp "$src" "$work/dst.img"
rm -f "$work/dst.img"
t0=$(now); qemu-img convert -f raw -O raw "$src" "$work/dst.img"; sync "$work/dst.img"; t1=$(now)
q_file=$(secs "$t0" "$t1"); echo "   qemu-img convert: ${q_file} s"
rm -f "$work/dst.img"
t0=$(now); dd if="$src" of="$work/dst.img" bs=4M conv=sparse,fsync status=none; t1=$(now)
d_file=$(secs "$t0" "$t1"); echo "   dd sparse,fsync:  ${d_file} s"
rm -f "$work/dst.img"

echo "== onto a loop device"
new_loop
line=$(streamer "$loop" 0); echo "   streamer:        $line"
s_loop_w=$(field write "$line"); s_loop_t=$(field total "$line")
cmp "$src" "$loop"
new_loop
t0=$(now); qemu-img convert -f raw -O raw -n "$src" "$loop"; sync "$loop"; t1=$(now)
q_loop=$(secs "$t0" "$t1"); echo "   qemu-img convert -n: ${q_loop} s"
new_loop
t0=$(now); dd if="$src" of="$loop" bs=4M conv=sparse,fsync status=none; t1=$(now)
d_loop=$(secs "$t0" "$t1"); echo "   dd sparse,fsync:  ${d_loop} s"

echo "== ratios (streamer write phase / total with read-back verification, against each tool)"
echo "   file: streamer ${s_file_w} s / ${s_file_t} s; vs qemu-img $(ratio "$s_file_w" "$q_file") / $(ratio "$s_file_t" "$q_file"); vs dd $(ratio "$s_file_w" "$d_file") / $(ratio "$s_file_t" "$d_file")"
echo "   loop: streamer ${s_loop_w} s / ${s_loop_t} s; vs qemu-img $(ratio "$s_loop_w" "$q_loop") / $(ratio "$s_loop_t" "$q_loop"); vs dd $(ratio "$s_loop_w" "$d_loop") / $(ratio "$s_loop_t" "$d_loop")"
