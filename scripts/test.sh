#!/usr/bin/env bash
# Runs v2v's tests on this machine, installing what a fresh Debian 12 needs first (not for `unit`).
#   scripts/test.sh          all tiers: unit, library (real libguestfs/libvirt/libxml2), real guests (build, convert, boot),
#                            as two concurrent test processes (scripts/ci-streams.sh; docs/hacking.md, Tests)
#   scripts/test.sh unit     the fast tier only (pure Swift, seconds; checks its few host tools, installs nothing)
#   scripts/test.sh library  unit + the C-library wrappers
set -euo pipefail
cd "$(dirname "$0")/.."
tier="${1:-all}"

# The unit tier needs only the toolchain, the C libraries' headers (the package builds them all) and a few
# host programs the tests and fixture setups run: check those and name what is missing, without apt. The
# other tiers install what a fresh Debian 12 needs.
check_unit_host() {
  local missing=() t
  # program:package (Debian 12)
  for t in swift:swift.org-toolchain bash:bash sh:dash pkg-config:pkg-config qemu-img:qemu-utils \
    virt-xml-validate:libxml2-utils tar:tar gzip:gzip zip:zip python3:python3 cpio:cpio \
    sha256sum:coreutils sha1sum:coreutils truncate:coreutils head:coreutils; do
    command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t%%:*} (${t#*:})")
  done
  if command -v pkg-config >/dev/null 2>&1; then
    for t in libguestfs:libguestfs-dev libvirt:libvirt-dev libxml-2.0:libxml2-dev hivex:libhivex-dev; do
      pkg-config --exists "${t%%:*}" || missing+=("pkg-config ${t%%:*} (${t#*:})")
    done
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh unit: missing on this host: ${missing[*]}" >&2
    echo "test.sh unit: install them (or run scripts/setup-host.sh)" >&2
    exit 2
  fi
  echo "== host: the unit tier's tools are present"
}

if [ "$tier" = unit ]; then check_unit_host; else bash scripts/setup-host.sh; fi
# libguestfs and qemu: nested KVM is unusable on many build hosts; v2v probes for itself, the fixture
# builder's guestfish reads these.
export LIBGUESTFS_BACKEND=direct

# V2V_SCRATCH_PATH: build somewhere else than .build (a second checkout's or engineer's build beside this one).
scratch=(--scratch-path "${V2V_SCRATCH_PATH:-.build}")
export V2V_SCRATCH_PATH=${V2V_SCRATCH_PATH:-.build}

start=$(date +%s)
echo "== build ($(swift --version 2>&1 | head -1))"
swift build --build-tests "${scratch[@]}" 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\] (Compiling|Emitting|Wrapping|Write|Linking|Planning|Merging)' || true
swift build --build-tests "${scratch[@]}" >/dev/null  # fail here (with status) if the build failed

case "$tier" in
  unit) filter=(--filter UnitTests) ;;
  library) filter=(--filter 'UnitTests|LibraryTests') ;;
  all) filter=() ;;
  *) echo "usage: scripts/test.sh [unit|library|all]" >&2; exit 2 ;;
esac
echo "== test ($tier), build took $(( $(date +%s) - start )) s"
set +e
if [ "$tier" = all ]; then
  # Two concurrent streams of the test bundle, each serial inside (scripts/ci-streams.sh says which runs where).
  bash scripts/ci-streams.sh
  status=$?
else
  swift test "${scratch[@]}" --skip-build --no-parallel "${filter[@]}" 2>&1 | grep --line-buffered -vE '^(◇|↳ //)'
  status=${PIPESTATUS[0]}
fi
set -e
echo "== done in $(( $(date +%s) - start )) s (status $status)"
exit "$status"
