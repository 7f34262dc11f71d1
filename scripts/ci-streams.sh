#!/usr/bin/env bash
# Runs the built test bundle as TWO concurrent streams of about equal cost (`scripts/test.sh all` calls
# this after its build). Most real-guest time is one busy core (a TCG boot, the appliance's guest
# commands), so two streams on a 2-core machine overlap well. Each stream runs its steps in order, each
# step one test process (`v2vPackageTests.xctest --testing-library swift-testing --no-parallel`; a second
# `swift test` would wait on the first one's `.build` lock), tests within a step serial as before.
#
#   scripts/ci-streams.sh          both streams at once (the build must be done)
#   scripts/ci-streams.sh a        stream A alone (or b): same steps, nothing beside it
#   scripts/ci-streams.sh --list   the steps of each stream
#
# Stream A: unit + library, then the Windows suite, Xen and physical, the rig, P2V and the dracut guest (~2400 s cold).
# Stream B: the shared Debian tree (debootstrap, ~230 s), then everything else: convert end to end,
#           convert failures, V2P, and any suite not named in A (~1970 s cold).
# A suite not named in stream A runs in stream B (`--skip`), so a new suite is never left out.
#
# Exits non-zero when a step fails or a test step runs no tests (a filter that matches nothing).
# Environment:
#   V2V_SCRATCH_PATH        the SwiftPM scratch path the tests were built in (default .build)
#   V2V_CI_LOGS             directory for the logs (default: a new /tmp/v2v-ci.XXXXXX); A.log, B.log
#   V2V_STREAM_A, V2V_STREAM_B   replace a stream's steps (testing this script): steps separated by ';',
#                           each `test REGEX` (--filter), `maybe REGEX` (--filter, may match nothing),
#                           `rest REGEX` (--skip) or `sh COMMAND`
set -euo pipefail
cd "$(dirname "$0")/.."

# Test IDs look like `RealGuestTests.XenPhysicalTests/xenPV()` (module.type/function); --filter and
# --skip are regular expressions matched against them.
A_FAST='^(UnitTests|LibraryTests)\.'
A_WINDOWS='^RealGuestTests\.[A-Za-z]*Windows[A-Za-z]*/'
A_REAL='^RealGuestTests\.(XenPhysicalTests|RigTests|PhysicalRemoteTests|DracutTests)/'
# Windows (RealGuestTests.WindowsTests) before Xen: it needs no Debian tree (Fixtures/windows/build.sh),
# so stream A reaches the Xen fixtures after stream B built the tree.
DEFAULT_A="test $A_FAST;test $A_WINDOWS;test $A_REAL"
# The tree first: stream A's Xen fixtures need it too and wait for it (rootfs-debootstrap.sh flocks per
# tree), which they reach only after unit + library (+ Windows, which needs no tree).
DEFAULT_B="sh bash Fixtures/build-fixture.sh --rootfs-only vmware-debian12-bios >/dev/null;rest $A_FAST|$A_WINDOWS|$A_REAL"

STREAM_A=${V2V_STREAM_A:-$DEFAULT_A}
STREAM_B=${V2V_STREAM_B:-$DEFAULT_B}

which=${1:-both}
case "$which" in
  both) streams=(A B) ;;
  a | A) streams=(A) ;;
  b | B) streams=(B) ;;
  --list)
    for s in A B; do
      v=STREAM_$s
      echo "stream $s:"
      IFS=';' read -r -a steps <<<"${!v}"
      for st in "${steps[@]}"; do echo "  $st"; done
    done
    exit 0 ;;
  *) echo "usage: scripts/ci-streams.sh [a|b|--list]" >&2; exit 2 ;;
esac

scratch=${V2V_SCRATCH_PATH:-.build}
bin=$(swift build --scratch-path "$scratch" --show-bin-path)
bundle="$bin/v2vPackageTests.xctest"
[ -x "$bundle" ] || { echo "ci-streams: no test bundle at $bundle (run swift build --build-tests first)" >&2; exit 2; }
# The real binary the tests run: next to the bundle (V2VTestSupport finds it there too; explicit here).
export V2V_BINARY=${V2V_BINARY:-$bin/v2v}
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND:-direct}

logs=${V2V_CI_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/v2v-ci.XXXXXX")}
mkdir -p "$logs"

# One step of a stream; its output on stdout. Appends "label status seconds tests" to $2.
run_step() {
  local step=$1 results=$2 kind arg t0 status count out
  kind=${step%% *}
  arg=${step#* }
  t0=$(date +%s)
  echo "== step: $step"
  set +e
  case "$kind" in
    test | maybe | rest)
      out=$(mktemp "$logs/step.XXXXXX")
      local sel=--filter
      [ "$kind" = rest ] && sel=--skip
      # What `swift test --skip-build --no-parallel --filter X` runs on Linux, without its .build lock.
      # NO_COLOR: plain symbols (the bundle colours its output whenever TERM is set).
      NO_COLOR=1 "$bundle" --testing-library swift-testing --no-parallel "$sel" "$arg" 2>&1 | tee "$out"
      status=${PIPESTATUS[0]}
      # Swift Testing's last line: "✔ Test run with 42 tests in 7 suites passed after 9.1 seconds." A run
      # of no tests says 0 and exits 69; a crash says nothing (count 0, status non-zero).
      count=$(grep -aoE 'Test run with [0-9]+ test' "$out" | tail -1 | grep -oE '[0-9]+' || true)
      count=${count:-0}
      rm -f "$out"
      if [ "$count" = 0 ] && [ "$kind" = maybe ] && { [ "$status" = 0 ] || [ "$status" = 69 ]; }; then
        echo "== no tests match (allowed here): $step"
        status=0
      elif [ "$count" = 0 ]; then
        echo "== step ran NO tests (a filter that matches nothing, or the bundle crashed): $step"
        [ "$status" != 0 ] || status=3
      fi ;;
    sh)
      bash -c "$arg"
      status=$?
      count=- ;;
    *) echo "== bad step: $step"; status=2; count=- ;;
  esac
  set -e
  echo "$status $(( $(date +%s) - t0 )) $count $step" >>"$results"
  echo "== step status $status after $(( $(date +%s) - t0 )) s: $step"
  return 0
}

# Runs stream $1's steps in order (all of them, whatever fails), output to $logs/$1.log.
run_stream() {
  local s=$1 v=STREAM_$1 st
  local results="$logs/$s.steps" t0
  : >"$results"
  t0=$(date +%s)
  IFS=';' read -r -a steps <<<"${!v}"
  for st in "${steps[@]}"; do run_step "$st" "$results"; done
  echo "$(( $(date +%s) - t0 ))" >"$logs/$s.seconds"
}

start=$(date +%s)
echo "== streams: ${streams[*]}; logs in $logs; bundle $bundle"
pids=()
# Each stream in a process group of its own (job control on), so an interrupt stops exactly the two
# streams and what they started in their groups, not whatever called this script.
set -m
for s in "${streams[@]}"; do
  # The full log in $logs/$s.log; the console gets the lines prefixed, without Swift Testing's per-test
  # start lines and source locations.
  ( run_stream "$s" 2>&1 | tee "$logs/$s.log" | grep --line-buffered -avE '^(◇|↳ //)' | sed -u "s/^/[$s] /" ) &
  pids+=($!)
done
set +m
stop_streams() {
  local p
  trap - INT TERM
  echo "ci-streams: interrupted, stopping the streams" >&2
  for p in "${pids[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  exit 130
}
trap stop_streams INT TERM
for p in "${pids[@]}"; do wait "$p" || true; done
trap - INT TERM

failed=0
echo
echo "== streams done in $(( $(date +%s) - start )) s (wall)"
for s in "${streams[@]}"; do
  secs=$(cat "$logs/$s.seconds" 2>/dev/null || echo '?')
  bad=0
  while read -r status step_secs count step; do
    [ "$status" = 0 ] || bad=1
    printf '   [%s] %-6s %5s s  %4s tests  %s\n' "$s" "$([ "$status" = 0 ] && echo ok || echo "FAIL($status)")" "$step_secs" "$count" "$step"
  done <"$logs/$s.steps"
  [ -s "$logs/$s.steps" ] || bad=1
  if [ $bad = 0 ]; then
    echo "== stream $s passed in $secs s (log $logs/$s.log)"
  else
    failed=1
    echo "== stream $s FAILED in $secs s (log $logs/$s.log); failing tests:"
    grep -aE '^✘ Test [^r]' "$logs/$s.log" | head -40 | sed "s/^/   [$s] /" || true
  fi
done
exit $failed
