# Shared helpers for build-fixture.sh. Sourced; expects `set -euo pipefail` from the caller.

log() { printf '[fixture %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_cmd() {
  local c missing=()
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
  [ ${#missing[@]} -eq 0 ] || die "missing commands: ${missing[*]} (run scripts/setup-host.sh)"
}

sha16() { sha256sum | cut -c1-16; }

# Hash of a list of files (relative to $1), path names included, order independent.
hash_files() {
  local base=$1; shift
  ( cd "$base" && printf '%s\n' "$@" | LC_ALL=C sort -u | while IFS= read -r f; do
      printf '%s  %s\n' "$(sha256sum <"$f" | cut -c1-64)" "$f"
    done ) | sha16
}

# Substitutes @KEY@ placeholders in a template with values from the named shell variables.
# Usage: render_template TEMPLATE OUT VAR...   (placeholder @VAR@ gets ${VAR})
render_template() {
  local tpl=$1 out=$2; shift 2
  local content v
  content=$(<"$tpl")
  for v in "$@"; do content=${content//@$v@/${!v}}; done
  if grep -q '@[A-Z0-9_]*@' <<<"$content"; then
    die "template $tpl has unfilled placeholders: $(grep -o '@[A-Z0-9_]*@' <<<"$content" | sort -u | tr '\n' ' ')"
  fi
  printf '%s\n' "$content" >"$out"
}

json_str() {  # minimal JSON string escaping for the values we write
  local s=$1
  s=${s//\\/\\\\}; s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# rm -rf that first unmounts anything still mounted below the path (a failed debootstrap can leave
# proc/sys mounted in its tree) and refuses to delete through a mount.
safe_rm() {
  local p m
  for p in "$@"; do
    [ -e "$p" ] || continue
    p=$(readlink -f "$p")
    while IFS= read -r m; do
      [ -n "$m" ] && umount -l "$m" 2>/dev/null || true
    done < <(awk -v p="$p/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r)
    if awk -v p="$p/" 'index($2, p) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
      log "warning: not removing $p: something is still mounted below it"
      continue
    fi
    rm -rf "$p"
  done
}

# manifest.json: the facts a test needs about the built guest. File names are relative to the
# directory holding manifest.json. MANIFEST_FIELDS holds key=value pairs added by the packagers.
write_manifest() {
  local out=$1 kv
  {
    printf '{\n'
    printf '  "name": %s,\n' "$(json_str "$NAME")"
    printf '  "recipeHash": %s,\n' "$(json_str "$RECIPE_HASH")"
    printf '  "hostname": %s,\n' "$(json_str "$GUEST_HOSTNAME")"
    printf '  "marker": "V2V-BOOT-MARKER",\n'
    printf '  "rootDevice": %s,\n' "$(json_str "$GUEST_ROOT_DEVICE")"
    printf '  "rootPassword": %s,\n' "$(json_str "$GUEST_ROOT_PASSWORD")"
    printf '  "firmware": %s,\n' "$(json_str "$GUEST_FIRMWARE")"
    for kv in "${MANIFEST_FIELDS[@]}"; do
      printf '  %s: %s,\n' "$(json_str "${kv%%=*}")" "$(json_str "${kv#*=}")"
    done
    printf '  "diskVirtualSizeBytes": %s,\n' "${DISK_VIRTUAL_SIZE:-$DISK_SIZE_BYTES}"
    printf '  "buildSeconds": %s\n' "$BUILD_SECONDS"
    printf '}\n'
  } >"$out"
}

# Runs a long command in the background (output to LOG) and waits for it, so that an interrupted build
# can stop it: the EXIT trap of build-fixture.sh sends SIGTERM to every pid in CHILD_PIDS.
run_logged() {
  local logf=$1; shift
  "$@" >"$logf" 2>&1 </dev/null &
  local pid=$!
  CHILD_PIDS+=("$pid")
  local rc=0
  wait "$pid" || rc=$?
  CHILD_PIDS=("${CHILD_PIDS[@]/$pid}")
  return $rc
}
