# VMware-style OVA: a ustar archive holding, in this order, NAME.ovf (from the recipe's vmware.ovf.in),
# NAME.mf (SHA256 lines in VMware's "SHA256(file)= hex" form) and NAME-disk1.vmdk (streamOptimized).

package_vmware_ova() {
  need_cmd qemu-img tar sha256sum
  VM_NAME=$NAME
  MEMORY_MB=$GUEST_MEMORY_MB
  VCPUS=$GUEST_VCPUS
  local stage="$WORK_DIR/ova"
  mkdir -p "$stage"
  local ovf="$NAME.ovf" mf="$NAME.mf"
  DISK_FILE="$NAME-disk1.vmdk"
  log "qemu-img: $DISK_FILE (streamOptimized)"
  qemu-img convert -f raw -O vmdk -o subformat=streamOptimized,adapter_type=lsilogic,hwversion=14,toolsversion=12352 \
    "$WORK_DIR/disk.raw" "$stage/$DISK_FILE"
  DISK_FILE_SIZE=$(stat -c %s "$stage/$DISK_FILE")
  DISK_CAPACITY_GIB=$((DISK_SIZE_BYTES / 1024 / 1024 / 1024))
  [ $((DISK_CAPACITY_GIB * 1024 * 1024 * 1024)) -eq "$DISK_SIZE_BYTES" ] || die "disk size must be whole GiB for the OVF"
  # Bytes the guest actually uses (what VMware reports as populatedSize).
  DISK_POPULATED_SIZE=$(( $(stat -c %b "$WORK_DIR/disk.raw") * $(stat -c %B "$WORK_DIR/disk.raw") ))
  EXPORT_TIME=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
  render_template "$RECIPE_DIR/vmware.ovf.in" "$stage/$ovf" VM_NAME MEMORY_MB VCPUS DISK_FILE DISK_FILE_SIZE \
    DISK_CAPACITY_GIB DISK_POPULATED_SIZE EXPORT_TIME
  if command -v xmllint >/dev/null; then xmllint --noout "$stage/$ovf" || die "OVF is not well-formed XML"; fi
  ( cd "$stage" && for f in "$ovf" "$DISK_FILE"; do
      printf 'SHA256(%s)= %s\n' "$f" "$(sha256sum <"$f" | cut -c1-64)"
    done ) >"$stage/$mf"
  OVA_FILE="$NAME.ova"
  tar --format=ustar --owner=0 --group=0 --numeric-owner --mode=0644 -C "$stage" \
    -cf "$BUILD_DIR/$OVA_FILE" "$ovf" "$mf" "$DISK_FILE"
  rm -rf "$stage"
  MANIFEST_FIELDS+=("ova=$OVA_FILE")
}
