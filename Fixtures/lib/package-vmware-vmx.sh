# VMware "VM folder" packaging: NAME.vmx (from the recipe's vmware.vmx.in) + NAME.vmdk (monolithicSparse).
# Identity (uuid.bios, generated MAC) is derived from the fixture name, so it is stable across rebuilds;
# like VMware, the generated MAC is 00:0c:29 followed by the last three bytes of uuid.bios.

vmware_identity() {
  local h; h=$(printf 'v2v-fixture-uuid:%s' "$NAME" | sha256sum | cut -c1-32)
  h="564d${h:4}"   # VMware BIOS UUIDs start with 56 4d
  UUID_BIOS=$(sed -E 's/(..)/\1 /g; s/ $//' <<<"$h" | sed -E 's/^(([0-9a-f]{2} ){7})([0-9a-f]{2}) /\1\3-/')
  local v; v=$(printf 'v2v-fixture-vc:%s' "$NAME" | sha256sum | cut -c1-32)
  VC_UUID=$(sed -E 's/(..)/\1 /g; s/ $//' <<<"$v" | sed -E 's/^(([0-9a-f]{2} ){7})([0-9a-f]{2}) /\1\3-/')
  MAC="00:0c:29:${h:26:2}:${h:28:2}:${h:30:2}"
}

package_vmware_vmx() {
  need_cmd qemu-img
  VM_NAME=$NAME
  VMDK_FILE="$NAME.vmdk"
  VMX_FILE="$NAME.vmx"
  MEMORY_MB=$GUEST_MEMORY_MB
  VCPUS=$GUEST_VCPUS
  vmware_identity
  log "qemu-img: $VMDK_FILE (monolithicSparse)"
  qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse,adapter_type=lsilogic,hwversion=14,toolsversion=12352 \
    "$WORK_DIR/disk.raw" "$BUILD_DIR/$VMDK_FILE"
  render_template "$RECIPE_DIR/vmware.vmx.in" "$BUILD_DIR/$VMX_FILE" VM_NAME VMDK_FILE MEMORY_MB VCPUS UUID_BIOS VC_UUID MAC
  DISK_VIRTUAL_SIZE=$(qemu-img info --output=json "$BUILD_DIR/$VMDK_FILE" | sed -nE 's/^\s*"virtual-size": ([0-9]+),?$/\1/p' | head -1)
  MANIFEST_FIELDS+=("vmx=$VMX_FILE" "vmdk=$VMDK_FILE")
}
