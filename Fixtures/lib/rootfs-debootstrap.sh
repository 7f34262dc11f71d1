# The operating system tree, made by debootstrap and cached as an uncompressed tar (numeric owners, xattrs)
# under $CACHE_ROOT/_rootfs/. Key: suite, variant, arch and the sorted package list (not the mirror).
# Sets ROOTFS_TAR.

rootfs_prepare() {
  local pkgs key name tmp
  pkgs=$(printf '%s\n' "${DEBIAN_PACKAGES[@]}" | LC_ALL=C sort -u | paste -sd, -)
  key=$(printf 'debootstrap-v1 suite=%s variant=%s arch=%s include=%s\n' \
          "$DEBIAN_SUITE" "$DEBIAN_VARIANT" "$DEBIAN_ARCH" "$pkgs" | sha16)
  name="debian-$DEBIAN_SUITE-$DEBIAN_ARCH-$key"
  ROOTFS_TAR="$CACHE_ROOT/_rootfs/$name.tar"
  mkdir -p "$CACHE_ROOT/_rootfs"

  # One debootstrap per key at a time, even across fixtures.
  exec 8>"$CACHE_ROOT/_rootfs/.$name.lock"
  flock 8
  if [ -s "$ROOTFS_TAR" ]; then
    log "rootfs cache hit: $ROOTFS_TAR"
    exec 8>&-
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "debootstrap needs root (the cached tree $ROOTFS_TAR does not exist yet)"
  need_cmd debootstrap tar

  local mirror=${V2V_DEBIAN_MIRROR:-http://deb.debian.org/debian}
  tmp=$(mktemp -d "$CACHE_ROOT/_rootfs/.$name.tmp.XXXXXX")
  TEMP_PATHS+=("$tmp")
  chmod 0755 "$tmp/"
  mkdir "$tmp/tree"; chmod 0755 "$tmp/tree"
  log "debootstrap $DEBIAN_SUITE ($DEBIAN_VARIANT, $DEBIAN_ARCH) from $mirror: $pkgs"
  local t0=$SECONDS
  if ! run_logged "$tmp/debootstrap.log" debootstrap --variant="$DEBIAN_VARIANT" --arch="$DEBIAN_ARCH" \
        --include="$pkgs" "$DEBIAN_SUITE" "$tmp/tree" "$mirror"; then
    tail -n 30 "$tmp/debootstrap.log" >&2
    die "debootstrap failed (log above)"
  fi
  log "debootstrap took $((SECONDS - t0)) s"
  # Downloaded packages and apt lists are not part of an installed system.
  rm -rf "$tmp/tree/var/cache/apt/archives/"*.deb "$tmp/tree/var/lib/apt/lists/"* "$tmp/tree/debootstrap"
  # debootstrap writes the build host's name and resolv.conf; the recipe replaces them.
  tar --numeric-owner --xattrs --xattrs-include='*' -C "$tmp/tree" -cf "$tmp/rootfs.tar" .
  mv "$tmp/rootfs.tar" "$ROOTFS_TAR"
  rm -rf "$tmp"
  log "rootfs cached: $ROOTFS_TAR ($(du -h "$ROOTFS_TAR" | cut -f1))"
  exec 8>&-
}
