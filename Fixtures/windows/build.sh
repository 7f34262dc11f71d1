#!/usr/bin/env bash
# Builds (or reuses from the cache) the phony-Windows fixture and prints the absolute path of its cache
# directory as the LAST line of stdout. Progress goes to stderr. See Fixtures/windows/README.md.
#
#   win2019.vmx + win2019.vmdk   "Windows Server 2019 Standard" (monolithicSparse, lsisas1068, vmxnet3)
#   win10.ova                    "Windows 10 Pro" (OVF + .mf + streamOptimized VMDK)
#   bitlocker.vmx + bitlocker.vmdk   one partition that blkid calls TYPE="BitLocker"
#   virtio-win/ + virtio-win.iso     a fake virtio-win driver tree (make-virtio-win.sh) and its ISO
#   manifest.json
#
# Usage: Fixtures/windows/build.sh
# Environment: V2V_FIXTURE_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/v2v/fixtures),
#   LIBGUESTFS_BACKEND / LIBGUESTFS_BACKEND_SETTINGS (default direct / force_tcg when unset).
# The cache key is the sha256 of every file under Fixtures/windows/ (paths + contents, first 16 hex).
# Nothing here touches Fixtures/lib/* or build-fixture.sh (they are only sourced).
set -euo pipefail

WIN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIXTURES_DIR=$(dirname "$WIN_DIR")
# shellcheck source=../lib/common.sh
. "$FIXTURES_DIR/lib/common.sh"
# shellcheck source=../lib/package-vmware-vmx.sh
. "$FIXTURES_DIR/lib/package-vmware-vmx.sh"   # for vmware_identity only

[ $# -eq 0 ] || { echo "usage: $0" >&2; exit 2; }
NAME=windows

CACHE_ROOT=${V2V_FIXTURE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/v2v/fixtures}
mkdir -p "$CACHE_ROOT"
CACHE_ROOT=$(cd "$CACHE_ROOT" && pwd)

mapfile -t RECIPE_FILES < <(cd "$WIN_DIR" && find . -type f | sed 's|^\./||')
RECIPE_HASH=$(hash_files "$WIN_DIR" "${RECIPE_FILES[@]}")
OUT_DIR="$CACHE_ROOT/$NAME-$RECIPE_HASH"

TEMP_PATHS=()
CHILD_PIDS=()
cleanup() {
  local rc=$? p
  set +e
  for p in "${CHILD_PIDS[@]}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ ${#TEMP_PATHS[@]} -eq 0 ] || safe_rm "${TEMP_PATHS[@]}"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

is_complete() { [ -f "$1/manifest.json" ]; }

if is_complete "$OUT_DIR"; then
  log "cache hit: $NAME ($RECIPE_HASH)"
  echo "$OUT_DIR"; exit 0
fi
exec 9>"$CACHE_ROOT/.$NAME.lock"
flock 9
if is_complete "$OUT_DIR"; then
  log "cache hit after waiting: $NAME ($RECIPE_HASH)"
  echo "$OUT_DIR"; exit 0
fi

need_cmd python3 hivexregedit hivexget guestfish qemu-img sfdisk blkid xorriso tar sha256sum iconv file
export LIBGUESTFS_BACKEND=${LIBGUESTFS_BACKEND-direct}
export LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS-force_tcg}

START=$SECONDS
log "building $NAME ($RECIPE_HASH) into $OUT_DIR"
BUILD_DIR=$(mktemp -d "$CACHE_ROOT/.$NAME-$RECIPE_HASH.tmp.XXXXXX")
TEMP_PATHS+=("$BUILD_DIR")
chmod 0755 "$BUILD_DIR"
WORK_DIR="$BUILD_DIR/.work"
mkdir "$WORK_DIR"

MIB=$((1024 * 1024))
WIN_DISK_BYTES=$((512 * MIB))
BL_DISK_BYTES=$((128 * MIB))
PART_START_SECTOR=2048
PART_OFFSET=$((PART_START_SECTOR * 512))

# The two Windows guests. Disk signatures must differ: libguestfs maps MountedDevices' \DosDevices\C:
# to a disk by its signature (and all disks are in one appliance here).
declare -A G_PRODUCT G_BUILD G_VARIANT G_EDITION G_HOST G_DOMAIN G_CS G_RTU G_SIG G_USER
G_PRODUCT[win2019]="Windows Server 2019 Standard"; G_PRODUCT[win10]="Windows 10 Pro"
G_BUILD[win2019]=17763;            G_BUILD[win10]=19045
G_VARIANT[win2019]=Server;         G_VARIANT[win10]=Client
G_EDITION[win2019]=ServerStandard; G_EDITION[win10]=Professional
G_HOST[win2019]=WIN2019-WEB;       G_HOST[win10]=WIN10-DESK
G_DOMAIN[win2019]=corp.example.com; G_DOMAIN[win10]=""
G_CS[win2019]=ControlSet002;       G_CS[win10]=ControlSet001
G_RTU[win2019]=false;              G_RTU[win10]=true
G_SIG[win2019]=0x1a2b3c4d;         G_SIG[win10]=0x5e6f7a8b
G_USER[win2019]=Administrator;     G_USER[win10]=user
BL_SIG=0x0b17c0de

# --- hives (host) ------------------------------------------------------------------------------------
make_hives() {  # make_hives GUEST DIR
  local g=$1 dir=$2 h
  for h in SYSTEM SOFTWARE SAM SECURITY DEFAULT; do
    python3 "$WIN_DIR/empty-hive.py" "$dir/$h"
  done
  hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SOFTWARE' "$dir/SOFTWARE" "$WIN_DIR/software-common.reg"
  hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SOFTWARE' "$dir/SOFTWARE" "$WIN_DIR/$g-software.reg"
  local CS COMPUTERNAME DOMAIN sets=(ControlSet001)
  [ "$g" = win2019 ] && sets=(ControlSet001 ControlSet002)
  for CS in "${sets[@]}"; do
    COMPUTERNAME=${G_HOST[$g]}
    # win2019's ControlSet001 is the older set: a different (earlier) name, so writes there are visible.
    [ "$g" = win2019 ] && [ "$CS" = ControlSet001 ] && COMPUTERNAME=WIN2019-OLD
    DOMAIN=${G_DOMAIN[$g]}
    render_template "$WIN_DIR/controlset.reg.in" "$WORK_DIR/$g-$CS.reg" CS COMPUTERNAME DOMAIN
    hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$dir/SYSTEM" "$WORK_DIR/$g-$CS.reg"
  done
  hivexregedit --merge --prefix 'HKEY_LOCAL_MACHINE\SYSTEM' "$dir/SYSTEM" "$WIN_DIR/$g-system.reg"
  # Read back what inspection and the converter rely on.
  local cur; cur=$(hivexget "$dir/SYSTEM" 'Select' Current)
  [ "ControlSet$(printf %03d "$cur")" = "${G_CS[$g]}" ] || die "$g: Select\\Current is $cur"
  [ "$(hivexget "$dir/SYSTEM" "${G_CS[$g]}\\Services\\Tcpip\\Parameters" Hostname)" = "${G_HOST[$g]}" ] \
    || die "$g: hostname not in the hive"
  [ "$(hivexget "$dir/SOFTWARE" 'Microsoft\Windows NT\CurrentVersion' ProductName)" = "${G_PRODUCT[$g]}" ] \
    || die "$g: ProductName not in the hive"
}

# --- file tree (host), uploaded as one tar ---------------------------------------------------------
make_tree() {  # make_tree GUEST DIR
  local g=$1 root=$2
  local sys32="$root/Windows/System32"
  mkdir -p "$sys32/config" "$sys32/drivers/etc" "$sys32/DriverStore/FileRepository" "$root/Windows/INF" \
    "$root/Windows/Temp" "$root/Program Files/VMware/VMware Tools/VMware VGAuth" "$root/Program Files (x86)" \
    "$root/Program Files/Common Files" "$root/ProgramData/Microsoft/Windows" "$root/Users/Public" \
    "$root/Users/${G_USER[$g]}/Desktop" "$root/Users/Default"
  make_hives "$g" "$sys32/config"
  python3 "$WIN_DIR/winfiles.py" pe64 "$sys32/cmd.exe" "FAKE cmd.exe ${G_PRODUCT[$g]}"
  python3 "$WIN_DIR/winfiles.py" pe64 "$sys32/vm3dservice.exe" "FAKE vm3dservice.exe"
  python3 "$WIN_DIR/winfiles.py" pe64 "$root/Program Files/VMware/VMware Tools/vmtoolsd.exe" "FAKE vmtoolsd.exe 12.3.5"
  python3 "$WIN_DIR/winfiles.py" pe64 "$root/Program Files/VMware/VMware Tools/VMware VGAuth/VGAuthService.exe" \
    "FAKE VGAuthService.exe"
  local d
  for d in pvscsi vmxnet3 vmci vmmemctl vmhgfs vmmouse lsi_sas storahci intelide tcpip; do
    printf 'FAKE %s.sys (%s)\r\n' "$d" "${G_PRODUCT[$g]}" >"$sys32/drivers/$d.sys"
  done
  printf '# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n127.0.0.1       localhost\r\n' >"$sys32/drivers/etc/hosts"
  # The VMware driver packages as the driver store keeps them, and their oemN.inf copies.
  local n=2 pkg
  for pkg in pvscsi vmxnet3 vmci vmmouse; do
    local repo="$sys32/DriverStore/FileRepository/$pkg.inf_amd64_$(printf '%s' "$pkg" | sha256sum | cut -c1-16)"
    mkdir -p "$repo"
    printf '[Version]\r\nSignature="$WINDOWS NT$"\r\nProvider=%%VMWARE%%\r\nDriverVer=04/11/2023,1.3.26.0\r\n\r\n[Strings]\r\nVMWARE = "VMware, Inc."\r\n; FAKE %s.inf\r\n' \
      "$pkg" >"$repo/$pkg.inf"
    printf 'FAKE %s.sys\r\n' "$pkg" >"$repo/$pkg.sys"
    cp "$repo/$pkg.inf" "$root/Windows/INF/oem$n.inf"
    n=$((n + 1))
  done
  printf 'FAKE machine.inf\r\n' >"$root/Windows/INF/machine.inf"
  printf '[boot loader]\r\n; FAKE: Windows Vista+ boots through bootmgr/BCD, not this file\r\n' >"$root/Windows/win.ini"
  if [ "$g" = win2019 ]; then
    mkdir -p "$root/Program Files/Symantec/Symantec Endpoint Protection"
    python3 "$WIN_DIR/winfiles.py" pe64 "$root/Program Files/Symantec/Symantec Endpoint Protection/Smc.exe" "FAKE Smc.exe"
  fi
  tar --format=gnu --owner=0 --group=0 --numeric-owner -C "$root" -cf "$WORK_DIR/$g-tree.tar" .
}

# --- raw disks (host): MBR with an explicit disk signature, one partition at 1 MiB ---------------------
make_disk() {  # make_disk FILE BYTES SIGNATURE TYPE
  truncate -s "$2" "$1"
  printf 'label: dos\nlabel-id: %s\nunit: sectors\n\nstart=%s, type=%s, bootable\n' "$3" "$PART_START_SECTOR" "$4" \
    | sfdisk -q "$1"
}

for g in win2019 win10; do
  log "$g: hives and file tree"
  mkdir -p "$WORK_DIR/$g-root"
  make_tree "$g" "$WORK_DIR/$g-root"
  make_disk "$WORK_DIR/$g.raw" "$WIN_DISK_BYTES" "${G_SIG[$g]}" 7
done
safe_rm "$WORK_DIR/win2019-root" "$WORK_DIR/win10-root"

log "bitlocker: partition header"
make_disk "$WORK_DIR/bitlocker.raw" "$BL_DISK_BYTES" "$BL_SIG" 7
python3 "$WIN_DIR/winfiles.py" bitlocker "$WORK_DIR/bitlocker.raw" "$PART_OFFSET" $((BL_DISK_BYTES - PART_OFFSET))
BL_BLKID=$(blkid -p -o value -s TYPE -O "$PART_OFFSET" "$WORK_DIR/bitlocker.raw" || true)
[ "$BL_BLKID" = BitLocker ] || die "blkid -p on the bitlocker partition says '$BL_BLKID'"

# --- ONE appliance: NTFS, the trees, then inspection of the finished disks ----------------------------
log "guestfish: mkfs ntfs + upload on win2019/win10, vfs-type on bitlocker, inspection (one appliance)"
GF_SCRIPT="$WORK_DIR/build.gf"
{
  echo "add-drive $WORK_DIR/win2019.raw format:raw"
  echo "add-drive $WORK_DIR/win10.raw format:raw"
  echo "add-drive $WORK_DIR/bitlocker.raw format:raw readonly:true"
  echo "run"
  for pair in win2019:/dev/sda1 win10:/dev/sdb1; do
    g=${pair%%:*} dev=${pair#*:}
    echo "mkfs ntfs $dev"
    echo "mount $dev /"
    echo "tar-in $WORK_DIR/$g-tree.tar /"
    echo "umount-all"
  done
  echo "echo @@bitlocker.vfs_type"
  echo "vfs-type /dev/sdc1"
  echo "echo @@roots"
  echo "inspect-os"
  for pair in win2019:/dev/sda1 win10:/dev/sdb1; do
    g=${pair%%:*} dev=${pair#*:}
    for q in type distro product-name product-variant major-version minor-version arch hostname \
             windows-systemroot windows-current-control-set drive-mappings; do
      echo "echo @@$g.$q"
      echo "inspect-get-$q $dev"
    done
  done
} >"$GF_SCRIPT"
GF_OUT="$WORK_DIR/guestfish.out"
GF_START=$SECONDS
guestfish <"$GF_SCRIPT" >"$GF_OUT" 2>"$WORK_DIR/guestfish.err" &
CHILD_PIDS+=("$!")
if ! wait "$!"; then
  cat "$WORK_DIR/guestfish.err" >&2
  die "guestfish failed"
fi
CHILD_PIDS=()
GF_SECONDS=$((SECONDS - GF_START))
log "guestfish done in ${GF_SECONDS} s"

# Parse "@@key" lines followed by the command's output (multi-line output joined with "; ").
declare -A INSPECT
key=""
while IFS= read -r line; do
  if [[ $line == @@* ]]; then key=${line#@@}; INSPECT[$key]=""
  elif [ -n "$key" ]; then INSPECT[$key]=${INSPECT[$key]:+${INSPECT[$key]}; }$line
  fi
done <"$GF_OUT"

expect() {  # expect KEY VALUE
  [ "${INSPECT[$1]-}" = "$2" ] || die "inspection: $1 is '${INSPECT[$1]-<missing>}', expected '$2'"
}
expect bitlocker.vfs_type BitLocker
expect roots "/dev/sda1; /dev/sdb1"
for pair in win2019:/dev/sda1 win10:/dev/sdb1; do
  g=${pair%%:*} dev=${pair#*:}
  expect "$g.type" windows
  expect "$g.distro" windows
  expect "$g.product-name" "${G_PRODUCT[$g]}"
  expect "$g.product-variant" "${G_VARIANT[$g]}"
  expect "$g.major-version" 10
  expect "$g.minor-version" 0
  expect "$g.arch" x86_64
  expect "$g.hostname" "${G_HOST[$g]}"
  expect "$g.windows-systemroot" /Windows
  expect "$g.windows-current-control-set" "${G_CS[$g]}"
  expect "$g.drive-mappings" "C: $dev"
done

# --- packaging ------------------------------------------------------------------------------------
static_mac() {  # VMware static MACs: 00:50:56:00:00:00 - 00:50:56:3F:FF:FF
  local h; h=$(printf 'v2v-fixture-mac:%s' "$1" | sha256sum | cut -c1-6)
  printf '00:50:56:%02x:%s:%s' $((0x${h:0:2} & 0x3f)) "${h:2:2}" "${h:4:2}"
}

package_vmx() {  # package_vmx NAME GUEST_OS
  local vm=$1
  NAME=$vm vmware_identity   # sets UUID_BIOS VC_UUID (and a generated MAC we replace)
  VM_NAME=$vm VMDK_FILE="$vm.vmdk" GUEST_OS=$2 MEMORY_MB=4096 VCPUS=2 MAC=$(static_mac "$vm")
  log "qemu-img: $VMDK_FILE (monolithicSparse)"
  qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse,adapter_type=lsilogic,hwversion=14,toolsversion=12352 \
    "$WORK_DIR/$vm.raw" "$BUILD_DIR/$VMDK_FILE"
  render_template "$WIN_DIR/windows.vmx.in" "$BUILD_DIR/$vm.vmx" VM_NAME GUEST_OS MEMORY_MB VCPUS VMDK_FILE \
    UUID_BIOS VC_UUID MAC
  eval "MAC_$vm=\$MAC"
}

package_ova() {  # package_ova NAME
  local vm=$1 stage="$WORK_DIR/ova"
  mkdir -p "$stage"
  VM_NAME=$vm MEMORY_MB=4096 VCPUS=2 MAC=$(static_mac "$vm")
  DISK_FILE="$vm-disk1.vmdk"
  log "qemu-img: $DISK_FILE (streamOptimized)"
  qemu-img convert -f raw -O vmdk -o subformat=streamOptimized,adapter_type=lsilogic,hwversion=14,toolsversion=12352 \
    "$WORK_DIR/$vm.raw" "$stage/$DISK_FILE"
  DISK_FILE_SIZE=$(stat -c %s "$stage/$DISK_FILE")
  DISK_CAPACITY_MIB=$(($(stat -c %s "$WORK_DIR/$vm.raw") / MIB))
  DISK_POPULATED_SIZE=$(( $(stat -c %b "$WORK_DIR/$vm.raw") * $(stat -c %B "$WORK_DIR/$vm.raw") ))
  EXPORT_TIME=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
  render_template "$WIN_DIR/$vm.ovf.in" "$stage/$vm.ovf" VM_NAME MEMORY_MB VCPUS DISK_FILE DISK_FILE_SIZE \
    DISK_CAPACITY_MIB DISK_POPULATED_SIZE EXPORT_TIME MAC
  if command -v xmllint >/dev/null; then xmllint --noout "$stage/$vm.ovf" || die "OVF is not well-formed XML"; fi
  ( cd "$stage" && for f in "$vm.ovf" "$DISK_FILE"; do
      printf 'SHA256(%s)= %s\n' "$f" "$(sha256sum <"$f" | cut -c1-64)"
    done ) >"$stage/$vm.mf"
  tar --format=ustar --owner=0 --group=0 --numeric-owner --mode=0644 -C "$stage" \
    -cf "$BUILD_DIR/$vm.ova" "$vm.ovf" "$vm.mf" "$DISK_FILE"
  rm -rf "$stage"
  eval "MAC_$vm=\$MAC"
}

package_vmx win2019 windows2019srv-64
package_vmx bitlocker windows2019srv-64
package_ova win10

log "virtio-win tree and ISO"
"$WIN_DIR/make-virtio-win.sh" "$BUILD_DIR/virtio-win"
VIRTIO_ISO_LABEL=virtio-win-fake
xorriso -as mkisofs -quiet -V "$VIRTIO_ISO_LABEL" -J -joliet-long -r -o "$BUILD_DIR/virtio-win.iso" \
  "$BUILD_DIR/virtio-win" 2>"$WORK_DIR/xorriso.err" || { cat "$WORK_DIR/xorriso.err" >&2; die "xorriso failed"; }

safe_rm "$WORK_DIR"
BUILD_SECONDS=$((SECONDS - START))

# --- manifest ------------------------------------------------------------------------------------------
disk_json() {  # disk_json GUEST FILE-FIELDS
  local g=$1 files=$2 mac_var="MAC_$1"
  cat <<JSON
    "$g": {
$files
      "mac": "${!mac_var}",
      "productName": $(json_str "${G_PRODUCT[$g]}"),
      "majorVersion": 10,
      "minorVersion": 0,
      "build": "${G_BUILD[$g]}",
      "variant": "${G_VARIANT[$g]}",
      "editionId": "${G_EDITION[$g]}",
      "arch": "x86_64",
      "hostname": "${G_HOST[$g]}",
      "domain": $(json_str "${G_DOMAIN[$g]}"),
      "controlSet": "${G_CS[$g]}",
      "realTimeIsUniversal": ${G_RTU[$g]},
      "systemRoot": "/Windows",
      "diskSignature": "${G_SIG[$g]}",
      "partitionOffset": $PART_OFFSET,
      "diskVirtualSizeBytes": $WIN_DISK_BYTES
    },
JSON
}
{
  printf '{\n'
  printf '  "name": "%s",\n  "recipeHash": "%s",\n' "$NAME" "$RECIPE_HASH"
  printf '  "disks": {\n'
  disk_json win2019 '      "vmx": "win2019.vmx",
      "vmdk": "win2019.vmdk",'
  disk_json win10 '      "ova": "win10.ova",
      "ovf": "win10.ovf",
      "ovaDisk": "win10-disk1.vmdk",'
  cat <<JSON
    "bitlocker": {
      "vmx": "bitlocker.vmx",
      "vmdk": "bitlocker.vmdk",
      "mac": "$MAC_bitlocker",
      "partitionType": "BitLocker",
      "diskSignature": "$BL_SIG",
      "partitionOffset": $PART_OFFSET,
      "diskVirtualSizeBytes": $BL_DISK_BYTES
    }
  },
  "virtioWin": {
    "tree": "virtio-win",
    "iso": "virtio-win.iso",
    "isoVolumeId": "$VIRTIO_ISO_LABEL",
    "drivers": ["viostor", "vioscsi", "NetKVM", "Balloon", "vioserial", "viorng", "qemupciserial", "pvpanic", "qxldod"],
    "osFolders": ["2k16", "2k19", "w10", "w11"],
    "archFolders": ["amd64", "x86"]
  },
  "guestfishSeconds": $GF_SECONDS,
  "buildSeconds": $BUILD_SECONDS
}
JSON
} >"$BUILD_DIR/manifest.json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$BUILD_DIR/manifest.json" || die "manifest.json is not valid JSON"

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
