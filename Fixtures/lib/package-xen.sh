# Xen packaging, as a Xen host keeps a domU:
#   NAME.img + NAME.cfg                   the partitioned disk, an xl.cfg booting it with pygrub (disk list in
#                                         the positional form, a vif with a MAC)
#   NAME-xvda1.img, NAME-xvda2.img        the same partitions as separate images (xen-tools style), and
#   NAME-partitions.cfg                   an xm-style config naming them xvda1/xvda2, with the kernel and
#   NAME-vmlinuz, NAME-initrd.img         ramdisk (the host's copies) named in the config
# Templates: the recipe's xen.cfg.in and (optional: the partition-style packaging) xen-partitions.cfg.in.
# The MAC (00:16:3e = Xen) derives from NAME.

package_xen() {
  need_cmd partx dd mount
  local disk="$WORK_DIR/disk.raw" h
  h=$(printf 'v2v-fixture-mac:%s' "$NAME" | sha256sum)
  VM_NAME=$NAME
  MAC="00:16:3e:${h:0:2}:${h:2:2}:${h:4:2}"
  MEMORY_MB=$GUEST_MEMORY_MB
  VCPUS=$GUEST_VCPUS
  IMG="$NAME.img"
  MANIFEST_FIELDS+=("xenConfig=$NAME.cfg" "image=$IMG" "mac=$MAC")
  if [ -f "$RECIPE_DIR/xen-partitions.cfg.in" ]; then package_xen_partitions; fi
  mv "$disk" "$BUILD_DIR/$IMG"
  render_template "$RECIPE_DIR/xen.cfg.in" "$BUILD_DIR/$NAME.cfg" VM_NAME IMG MAC MEMORY_MB VCPUS
}

package_xen_partitions() {
  local disk="$WORK_DIR/disk.raw" n start sectors
  while read -r n start sectors; do
    log "partition $n: $sectors sectors at $start -> $NAME-xvda$n.img"
    dd if="$disk" of="$BUILD_DIR/$NAME-xvda$n.img" bs=512 skip="$start" count="$sectors" conv=sparse status=none
  done < <(partx -g -o NR,START,SECTORS "$disk")
  # The host's copies of the guest's kernel and initramfs (what `kernel =` / `ramdisk =` name).
  local m="$WORK_DIR/xvda1"
  mkdir -p "$m"
  mount -o loop,ro "$BUILD_DIR/$NAME-xvda1.img" "$m"
  CLEANUP_CMDS+=("umount $m 2>/dev/null")
  KERNEL=$(cd "$m/boot" && ls vmlinuz-* | sort -V | tail -1)
  VERSION=${KERNEL#vmlinuz-}
  cp "$m/boot/$KERNEL" "$BUILD_DIR/$NAME-vmlinuz"
  cp "$m/boot/initrd.img-$VERSION" "$BUILD_DIR/$NAME-initrd.img"
  umount "$m"
  render_template "$RECIPE_DIR/xen-partitions.cfg.in" "$BUILD_DIR/$NAME-partitions.cfg" VM_NAME MAC MEMORY_MB VCPUS
  MANIFEST_FIELDS+=("xenPartitionsConfig=$NAME-partitions.cfg")
}
