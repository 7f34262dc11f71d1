# Builds the raw disk in ONE libguestfs appliance session: the recipe's layout (partition, mkfs, mount
# at /), the cached OS tree, the recipe's overlay/ files, then the recipe's customize.sh run inside the
# guest (chroot). Uses $ROOTFS_TAR, $RECIPE_DIR, $WORK_DIR, $DISK_SIZE_BYTES and recipe_guestfish_layout.

disk_build() {
  local disk=$1
  need_cmd guestfish truncate tar
  truncate -s "$DISK_SIZE_BYTES" "$disk"

  # overlay/: regular files and symlinks only (directories already exist or are created by tar),
  # owned by root; the executable bit comes from git.
  local overlay="$WORK_DIR/overlay.tar"
  ( cd "$RECIPE_DIR/overlay" && find . \( -type f -o -type l \) -print0 | LC_ALL=C sort -z |
      tar --null --no-recursion -T - --owner=0 --group=0 --numeric-owner --mode=go-w -cf "$overlay" )

  local script="$WORK_DIR/build.guestfish"
  {
    echo "add-drive \"$disk\" format:raw discard:enable"
    echo "run"
    recipe_guestfish_layout
    echo "tar-in \"$ROOTFS_TAR\" / xattrs:true"
    echo "tar-in \"$overlay\" /"
    echo "upload \"$RECIPE_DIR/customize.sh\" /root/v2v-customize.sh"
    echo "chmod 0755 /root/v2v-customize.sh"
    echo "sh /root/v2v-customize.sh"
    echo "rm /root/v2v-customize.sh"
    echo "download /boot/grub/grub.cfg \"$WORK_DIR/grub.cfg\""
    echo "-fstrim /"
    echo "umount-all"
    echo "shutdown"
  } >"$script"

  log "guestfish: building the disk (backend ${LIBGUESTFS_BACKEND:-default}, ${LIBGUESTFS_BACKEND_SETTINGS:-no settings})"
  local t0=$SECONDS
  export LIBGUESTFS_MEMSIZE=${LIBGUESTFS_MEMSIZE:-1024}
  if ! run_logged "$WORK_DIR/guestfish.log" guestfish --no-progress-bars -f "$script"; then
    tail -n 40 "$WORK_DIR/guestfish.log" >&2
    die "guestfish build failed (log above)"
  fi
  sed 's/^/  | /' "$WORK_DIR/guestfish.log" >&2
  log "guestfish took $((SECONDS - t0)) s"
  grep -E '^\s*linux\s' "$WORK_DIR/grub.cfg" | sed 's/^\s*/  grub.cfg: /' >&2
}
