# libvirt packaging, as a KVM host keeps a guest: NAME.qcow2 (qcow2, compat 1.1) and the domain XML NAME.xml
# (from the recipe's libvirt.xml.in; what `virsh dumpxml` prints, minus the runtime parts). The XML names the
# disk by its ABSOLUTE path in the final cache directory ($OUT_DIR, where build-fixture.sh renames the build
# to): a moved cache makes it stale. Identity is derived from NAME, so it is stable across rebuilds: the
# domain UUID, and a MAC with libvirt's 52:54:00 prefix.
# Placeholders: VM_NAME UUID MEMORY_KIB VCPUS DISK_PATH MAC.

package_libvirt() {
  need_cmd qemu-img
  local h
  h=$(printf 'v2v-fixture-libvirt:%s' "$NAME" | sha256sum | cut -c1-32)
  VM_NAME=$NAME
  UUID="${h:0:8}-${h:8:4}-4${h:13:3}-a${h:17:3}-${h:20:12}"
  MAC="52:54:00:${h:0:2}:${h:2:2}:${h:4:2}"
  MEMORY_KIB=$((GUEST_MEMORY_MB * 1024))
  VCPUS=$GUEST_VCPUS
  local qcow2="$NAME.qcow2" xml="$NAME.xml"
  DISK_PATH="$OUT_DIR/$qcow2"
  log "qemu-img: $qcow2 (qcow2, compat 1.1)"
  qemu-img convert -f raw -O qcow2 -o compat=1.1 "$WORK_DIR/disk.raw" "$BUILD_DIR/$qcow2"
  render_template "$RECIPE_DIR/libvirt.xml.in" "$BUILD_DIR/$xml" VM_NAME UUID MEMORY_KIB VCPUS DISK_PATH MAC
  if command -v xmllint >/dev/null; then xmllint --noout "$BUILD_DIR/$xml" || die "$xml is not well-formed XML"; fi
  DISK_VIRTUAL_SIZE=$(qemu-img info --output=json "$BUILD_DIR/$qcow2" | sed -nE 's/^\s*"virtual-size": ([0-9]+),?$/\1/p' | head -1)
  MANIFEST_FIELDS+=("image=$qcow2" "libvirtXML=$xml" "mac=$MAC")
}
