# Builds the raw disk on this host, natively (no appliance, no TCG): a loop device over the image, the
# recipe's layout (`recipe_layout LOOPDEV`: partitions, filesystems, everything mounted under $MNT), the
# cached OS tree, the recipe's overlay/ files, then its customize.sh chrooted into the tree with /dev, /proc
# and /sys bound. update-initramfs and grub-install take seconds here instead of minutes in a TCG appliance.
# Needs root and loop devices. This host has no udev: partition nodes (`/dev/loop0p1`) and LVM's nodes are
# made by hand (`part_node`, DM_DISABLE_UDEV=1).
#
# The customize script gets V2V_DISK (the loop device: the disk grub-install writes to), V2V_PART_<n> (its
# partition nodes) and the recipe's RECIPE_ENV (NAME=value words) in its environment.
#
# This host's kernel has no device-mapper, so LVM cannot be built here. A recipe that needs it builds the
# root on a plain partition, then defines `recipe_guestfish_after`: the root tree is tarred
# ($ROOT_TREE_TAR), and one libguestfs appliance (which has device-mapper) runs the guestfish commands that
# function prints (make the volumes, unpack the tree). Only that copy runs under TCG.

export DM_DISABLE_UDEV=1

# The node of partition N of loop device DEV (made from sysfs when udev is absent). Prints its path.
part_node() {
  local dev=$1 n=$2 base sys node
  base=${dev##*/}
  sys=/sys/class/block/$base/${base}p$n
  local tries=0
  while [ ! -r "$sys/dev" ] && [ $tries -lt 20 ]; do
    # sfdisk's re-read can race the loop driver; ask again.
    partx -a "$dev" 2>/dev/null || true
    sleep 0.2; tries=$((tries + 1))
  done
  [ -r "$sys/dev" ] || die "no partition $n on $dev (sysfs $sys)"
  node=/dev/${base}p$n
  local want; want=$(cat "$sys/dev")
  if [ ! -b "$node" ] || [ "$(stat -c '%t:%T' "$node" | { IFS=: read -r a b; echo "$((16#$a)):$((16#$b))"; })" != "$want" ]; then
    rm -f "$node"
    mknod "$node" b "${want%%:*}" "${want##*:}"
  fi
  echo "$node"
}

# Mounts DEV at $MNT/PATH and remembers to unmount it.
mount_at() {
  local dev=$1 path=$2
  mkdir -p "$MNT$path"
  mount "$dev" "$MNT$path"
  MOUNTS+=("$MNT$path")
}

# Unmounts everything below $MNT (deepest first), deactivates the recipe's volume group, detaches the loop.
disk_chroot_release() {
  local i
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount "${MOUNTS[$i]}" 2>/dev/null || umount -l "${MOUNTS[$i]}" 2>/dev/null || true; done
  MOUNTS=()
  [ -z "${VG_NAME:-}" ] || vgchange -an "$VG_NAME" >/dev/null 2>&1 || true
  if [ -n "${LOOP:-}" ]; then
    losetup -d "$LOOP" 2>/dev/null || true
    rm -f "$LOOP"p[0-9]*   # the partition nodes part_node made
  fi
  LOOP=
}

disk_build() {
  local disk=$1
  need_cmd losetup sfdisk mkfs.ext4 tar chroot mount umount truncate
  [ "$(id -u)" = 0 ] || die "building a fixture disk needs root (loop devices, mount, chroot)"
  truncate -s "$DISK_SIZE_BYTES" "$disk"
  MOUNTS=()
  MNT="$WORK_DIR/root"
  mkdir -p "$MNT"
  LOOP=$(losetup -f --show -P "$disk")
  CLEANUP_CMDS+=(disk_chroot_release)
  log "loop device $LOOP over $disk"

  local t0=$SECONDS
  recipe_layout "$LOOP"
  log "layout: $(findmnt -rn -o TARGET,SOURCE,FSTYPE | awk -v m="$MNT" 'index($1, m) == 1 { sub(m, "", $1); print ($1 == "" ? "/" : $1) "=" $2 "(" $3 ")" }' | tr '\n' ' ')"

  tar --numeric-owner --xattrs --xattrs-include='*' -xpf "$ROOTFS_TAR" -C "$MNT"
  # The files every fixture has (lib/overlay: the boot marker), then the recipe's own.
  local o
  for o in "$FIXTURES_DIR/lib/overlay" "$RECIPE_DIR/overlay"; do
    [ -d "$o" ] || continue
    ( cd "$o" && find . \( -type f -o -type l \) -print0 | LC_ALL=C sort -z |
        tar --null --no-recursion -T - --owner=0 --group=0 --numeric-owner --mode=go-w -cf - ) |
      tar --numeric-owner -xpf - -C "$MNT"
  done
  cp "$RECIPE_DIR/customize.sh" "$MNT/root/v2v-customize.sh"
  chmod 0755 "$MNT/root/v2v-customize.sh"

  local d
  for d in dev proc sys; do mount --bind "/$d" "$MNT/$d"; MOUNTS+=("$MNT/$d"); done
  local env=(V2V_DISK="$LOOP" "${RECIPE_ENV[@]}")
  local n=1
  while [ -e "/sys/class/block/${LOOP##*/}/${LOOP##*/}p$n" ]; do env+=("V2V_PART_$n=$(part_node "$LOOP" $n)"); n=$((n + 1)); done
  log "customize (chroot)"
  if ! run_logged "$WORK_DIR/customize.log" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${env[@]}" chroot "$MNT" /root/v2v-customize.sh; then
    tail -n 40 "$WORK_DIR/customize.log" >&2
    die "customize.sh failed (log above)"
  fi
  sed 's/^/  | /' "$WORK_DIR/customize.log" >&2
  rm -f "$MNT/root/v2v-customize.sh"
  cp "$MNT/boot/grub/grub.cfg" "$WORK_DIR/grub.cfg"
  # Zero what the tree does not use so that the image stays sparse when copied.
  for d in "${MOUNTS[@]}"; do case $d in "$MNT/dev"|"$MNT/proc"|"$MNT/sys") ;; *) fstrim "$d" 2>/dev/null || true;; esac; done
  if declare -F recipe_guestfish_after >/dev/null; then
    ROOT_TREE_TAR="$WORK_DIR/root-tree.tar"
    for d in sys proc dev; do umount "$MNT/$d"; done
    tar --one-file-system --numeric-owner --xattrs --xattrs-include='*' -C "$MNT" -cf "$ROOT_TREE_TAR" .
    disk_chroot_release
    need_cmd guestfish
    { echo "add-drive \"$disk\" format:raw"; echo run; recipe_guestfish_after; echo umount-all; echo shutdown; } >"$WORK_DIR/after.guestfish"
    log "guestfish: $(grep -cv '^#' "$WORK_DIR/after.guestfish") commands (${LIBGUESTFS_BACKEND_SETTINGS:-no settings})"
    if ! run_logged "$WORK_DIR/after.log" guestfish --no-progress-bars -f "$WORK_DIR/after.guestfish"; then
      tail -n 40 "$WORK_DIR/after.log" >&2
      die "guestfish failed (log above)"
    fi
    rm -f "$ROOT_TREE_TAR"
  fi
  disk_chroot_release
  log "disk built in $((SECONDS - t0)) s"
  grep -E '^\s*linux\s' "$WORK_DIR/grub.cfg" | sed 's/^\s*/  grub.cfg: /' >&2
}
