#!/usr/bin/env bash
# Builds (or reuses from the cache) a real test guest and prints the absolute path of its cache directory
# as the last line of stdout. Progress goes to stderr.
#
# Usage: Fixtures/build-fixture.sh [--rootfs-only] NAME
#   NAME is a folder under Fixtures/guests/ (e.g. vmware-debian12-bios).
# Environment:
#   V2V_FIXTURE_CACHE   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/v2v/fixtures)
#   V2V_DEBIAN_MIRROR   Debian mirror for debootstrap (default http://deb.debian.org/debian)
#   LIBGUESTFS_BACKEND / LIBGUESTFS_BACKEND_SETTINGS   default to direct / force_tcg when unset
# See Fixtures/README.md.
set -euo pipefail

FIXTURES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$FIXTURES_DIR/lib/common.sh"

ROOTFS_ONLY=0
if [ "${1:-}" = "--rootfs-only" ]; then ROOTFS_ONLY=1; shift; fi
[ $# -eq 1 ] || { echo "usage: $0 [--rootfs-only] NAME" >&2; exit 2; }
NAME=$1
case $NAME in (*[!a-z0-9-]*|"") die "bad fixture name: $NAME";; esac
RECIPE_DIR="$FIXTURES_DIR/guests/$NAME"
[ -f "$RECIPE_DIR/recipe.sh" ] || die "no recipe: $RECIPE_DIR/recipe.sh"

CACHE_ROOT=${V2V_FIXTURE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/v2v/fixtures}
mkdir -p "$CACHE_ROOT"
CACHE_ROOT=$(cd "$CACHE_ROOT" && pwd)

# The recipe hash covers the generic machinery and every file of the recipe.
mapfile -t RECIPE_FILES < <(cd "$FIXTURES_DIR" && { echo build-fixture.sh; find lib "guests/$NAME" -type f; })
RECIPE_HASH=$(hash_files "$FIXTURES_DIR" "${RECIPE_FILES[@]}")
OUT_DIR="$CACHE_ROOT/$NAME-$RECIPE_HASH"

TEMP_PATHS=()
CHILD_PIDS=()
CLEANUP_CMDS=()   # commands run (last first) when the build ends: unmount, detach loop devices, …
MANIFEST_FIELDS=()
cleanup() {
  local rc=$? p
  set +e
  for p in "${CHILD_PIDS[@]}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  for ((p = ${#CLEANUP_CMDS[@]} - 1; p >= 0; p--)); do eval "${CLEANUP_CMDS[$p]}" || true; done
  [ ${#TEMP_PATHS[@]} -eq 0 ] || safe_rm "${TEMP_PATHS[@]}"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

is_complete() { [ -f "$1/manifest.json" ]; }

if [ $ROOTFS_ONLY = 0 ] && is_complete "$OUT_DIR"; then
  log "cache hit: $NAME ($RECIPE_HASH)"
  echo "$OUT_DIR"; exit 0
fi

# One build per NAME at a time; a second caller waits and then finds the result.
exec 9>"$CACHE_ROOT/.$NAME.lock"
flock 9
if [ $ROOTFS_ONLY = 0 ] && is_complete "$OUT_DIR"; then
  log "cache hit after waiting: $NAME ($RECIPE_HASH)"
  echo "$OUT_DIR"; exit 0
fi

# shellcheck source=/dev/null
. "$RECIPE_DIR/recipe.sh"
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND-direct}
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS-force_tcg}

START=$SECONDS
# shellcheck source=/dev/null
. "$FIXTURES_DIR/lib/rootfs-$ROOTFS_KIND.sh"
rootfs_prepare
if [ $ROOTFS_ONLY = 1 ]; then echo "$ROOTFS_TAR"; exit 0; fi

log "building $NAME ($RECIPE_HASH) into $OUT_DIR"
BUILD_DIR=$(mktemp -d "$CACHE_ROOT/.$NAME-$RECIPE_HASH.tmp.XXXXXX")
TEMP_PATHS+=("$BUILD_DIR")
chmod 0755 "$BUILD_DIR"
WORK_DIR="$BUILD_DIR/.work"   # scratch (raw disk, staging); removed before the rename
mkdir "$WORK_DIR"

# The disk is built natively on this host: loop device + chroot (lib/disk-chroot.sh).
# shellcheck source=lib/disk-chroot.sh
. "$FIXTURES_DIR/lib/disk-chroot.sh"
disk_build "$WORK_DIR/disk.raw"

for fmt in "${PACKAGE_FORMATS[@]}"; do
  # shellcheck source=/dev/null
  . "$FIXTURES_DIR/lib/package-$fmt.sh"
  "package_${fmt//-/_}"
done

safe_rm "$WORK_DIR"
BUILD_SECONDS=$((SECONDS - START))
write_manifest "$BUILD_DIR/manifest.json"

# Publish atomically, then drop the other (older) builds of this fixture.
mv -T "$BUILD_DIR" "$OUT_DIR"
for old in "$CACHE_ROOT/$NAME-"* "$CACHE_ROOT/.$NAME-"*.tmp.*; do
  [ -e "$old" ] || continue
  [ "$old" = "$OUT_DIR" ] && continue
  base=${old##*/}
  if [[ $base =~ ^$NAME-[0-9a-f]{16}$ || $base =~ ^\.$NAME-[0-9a-f]{16}\.tmp\. ]]; then
    log "removing old cache entry $old"
    safe_rm "$old"
  fi
done
log "done in ${BUILD_SECONDS} s: $OUT_DIR"
echo "$OUT_DIR"
