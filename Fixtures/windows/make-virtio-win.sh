#!/usr/bin/env bash
# Makes a FAKE virtio-win driver tree in the real ISO's layout:
#   DRIVER/OS/ARCH/{driver}.inf,.sys,.cat  (+ the extra files the real packages carry)
#   guest-agent/qemu-ga-x86_64.msi, guest-agent/qemu-ga-i386.msi
# Drivers: viostor vioscsi NetKVM Balloon vioserial viorng qemupciserial pvpanic qxldod.
# OS folders: 2k16 2k19 w10 w11 only (no 2k22: a Server 2022 guest must fall back to 2k19; no w7/2k8R2).
# Arch folders: amd64 and x86 (no ARM64).
# .sys/.cat/.exe/.dll/.msi are marker text ("FAKE viostor 2k19 amd64 sys"). The .inf files are real INF
# syntax (Version/Manufacturer/models/install/Services/Strings, the real PCI ids); viostor.inf and
# netkvm.inf are UTF-16LE with a BOM, the others ASCII; all with CRLF line ends.
#
# Usage: Fixtures/windows/make-virtio-win.sh OUTDIR
#   Environment (for test variants): VIRTIO_WIN_OSES (default "2k16 2k19 w10 w11"),
#   VIRTIO_WIN_ARCHES (default "amd64 x86"), VIRTIO_WIN_DRIVERS (default: all nine folders).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$1
mkdir -p "$OUT"

OSES=${VIRTIO_WIN_OSES:-"2k16 2k19 w10 w11"}
ARCHES=${VIRTIO_WIN_ARCHES:-"amd64 x86"}
DRIVERS=${VIRTIO_WIN_DRIVERS:-"viostor vioscsi NetKVM Balloon vioserial viorng qemupciserial pvpanic qxldod"}

DRIVER_DATE=08/12/2023
DRIVER_VERSION=100.94.104.24200   # the virtio-win 0.1.240 numbering scheme

# Target OS decoration per OS folder: NT<arch>.10.0...<lowest build the package is for>.
os_build() {
  case $1 in
    2k16) echo 14393 ;;
    2k19) echo 17763 ;;
    w10) echo 16299 ;;
    w11) echo 22000 ;;
    *) echo 16299 ;;
  esac
}
nt_arch() { case $1 in amd64) echo NTamd64 ;; x86) echo NTx86 ;; ARM64) echo NTarm64 ;; *) echo "NT$1" ;; esac; }

CLASS_SCSI='Class=SCSIAdapter
ClassGuid={4D36E97B-E325-11CE-BFC1-08002BE10318}'
CLASS_NET='Class=Net
ClassGuid={4D36E972-E325-11CE-BFC1-08002BE10318}'
CLASS_SYSTEM='Class=System
ClassGuid={4D36E97D-E325-11CE-BFC1-08002BE10318}'
CLASS_PORTS='Class=Ports
ClassGuid={4D36E978-E325-11CE-BFC1-08002BE10318}'
CLASS_DISPLAY='Class=Display
ClassGuid={4D36E968-E325-11CE-BFC1-08002BE10318}'

marker() {  # marker FILE TEXT
  printf 'FAKE %s\r\n' "$2" >"$1"
}

# Writes the INF text (LF line ends in the heredocs) as CRLF, ASCII or UTF-16LE with a BOM.
emit_inf() {  # emit_inf FILE ascii|utf16   (text on stdin)
  local file=$1 enc=$2
  if [ "$enc" = utf16 ]; then
    { printf '\xff\xfe'; sed 's/$/\r/' | iconv -f UTF-8 -t UTF-16LE; } >"$file"
  else
    sed 's/$/\r/' >"$file"
  fi
}

# The [Version] and [Manufacturer] sections every INF starts with.
inf_head() {  # inf_head CLASS_LINES CATALOG DECORATION
  cat <<INF
;
; Copyright (c) Red Hat, Inc. -- FAKE driver package made by v2v's Fixtures/windows/make-virtio-win.sh.
; The binaries next to this file are text markers, not drivers.
;

[Version]
Signature="\$WINDOWS NT\$"
$1
Provider=%VENDOR%
DriverVer=$DRIVER_DATE,$DRIVER_VERSION
CatalogFile=$2
PnpLockdown=1
DriverPackageType=PlugAndPlay
DriverPackageDisplayName=%DiskId1%

[DestinationDirs]
DefaultDestDir = 12

[SourceDisksNames]
1 = %DiskId1%,,,""

[Manufacturer]
%VENDOR% = Standard,$3

INF
}

# A storage miniport (viostor, vioscsi): boot-start SCSI miniport.
inf_storage() {  # drv svc desc decoration legacy modern
  local drv=$1 svc=$2 desc=$3 deco=$4 legacy=$5 modern=$6
  inf_head "$CLASS_SCSI" "$drv.cat" "$deco"
  cat <<INF
[SourceDisksFiles]
$drv.sys = 1,,

[Standard.$deco]
%$desc.DeviceDesc% = ${drv}_inst, $legacy
%$desc.DeviceDesc% = ${drv}_inst, $modern

[${drv}_inst]
CopyFiles = ${drv}_files
AddReg = ${drv}_pnp_addreg

[${drv}_inst.HW]
AddReg = ${drv}_msi_addreg

[${drv}_files]
$drv.sys,,,2

[${drv}_inst.Services]
AddService = $svc, 0x00000002, ${drv}_service, ${drv}_eventlog

[${drv}_service]
DisplayName    = %$desc.DeviceDesc%
ServiceType    = 1          ; SERVICE_KERNEL_DRIVER
StartType      = 0          ; SERVICE_BOOT_START
ErrorControl   = 1          ; SERVICE_ERROR_NORMAL
ServiceBinary  = %12%\\$drv.sys
LoadOrderGroup = SCSI miniport
AddReg         = ${drv}_service_addreg

[${drv}_service_addreg]
HKR, "Parameters\\PnpInterface", "5", %REG_DWORD%, 0x00000001
HKR, "Parameters", "BusType", %REG_DWORD%, 0x00000001

[${drv}_eventlog]
AddReg = ${drv}_eventlog_addreg

[${drv}_eventlog_addreg]
HKR,,EventMessageFile,%REG_EXPAND_SZ%,"%%SystemRoot%%\\System32\\IoLogMsg.dll"
HKR,,TypesSupported,%REG_DWORD%,7

[${drv}_pnp_addreg]
HKR, "Parameters\\PnpInterface", "5", %REG_DWORD%, 0x00000001

[${drv}_msi_addreg]
HKR, "Interrupt Management",, 0x00000010
HKR, "Interrupt Management\\MessageSignaledInterruptProperties",, 0x00000010
HKR, "Interrupt Management\\MessageSignaledInterruptProperties", MSISupported, 0x00010001, 1

[Strings]
VENDOR = "Red Hat, Inc."
DiskId1 = "Red Hat VirtIO driver disk"
$desc.DeviceDesc = "Red Hat VirtIO $( [ "$drv" = viostor ] && echo "SCSI controller" || echo "SCSI pass-through controller")"
REG_EXPAND_SZ = 0x00020000
REG_DWORD = 0x00010001
INF
}

inf_netkvm() {  # decoration
  local deco=$1
  inf_head "$CLASS_NET" "netkvm.cat" "$deco"
  cat <<INF
[SourceDisksFiles]
netkvm.sys = 1,,
netkvmco.exe = 1,,

[Standard.$deco]
%NetKVM.DeviceDesc% = kvmnet6, PCI\\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00
%NetKVM.DeviceDesc% = kvmnet6, PCI\\VEN_1AF4&DEV_1041&SUBSYS_11001AF4&REV_01

[kvmnet6]
Characteristics = 0x84      ; NCF_PHYSICAL | NCF_HAS_UI
BusType         = 5         ; PCIBus
*IfType         = 6         ; IF_TYPE_ETHERNET_CSMACD
*MediaType      = 0         ; NdisMedium802_3
*PhysicalMediaType = 0
AddReg          = kvmnet6.reg
CopyFiles       = kvmnet6.CopyFiles

[kvmnet6.HW]
AddReg = kvmnet6.msi_addreg

[kvmnet6.reg]
HKR, Ndi,                   Service,    0, "netkvm"
HKR, Ndi\\Interfaces,        UpperRange, 0, "ndis5"
HKR, Ndi\\Interfaces,        LowerRange, 0, "ethernet"
HKR, Ndi\\params\\*JumboPacket, ParamDesc, 0, %JumboPacket%
HKR, Ndi\\params\\*JumboPacket, default,   0, "1514"

[kvmnet6.msi_addreg]
HKR, "Interrupt Management\\MessageSignaledInterruptProperties", MSISupported, 0x00010001, 1

[kvmnet6.CopyFiles]
netkvm.sys,,,2
netkvmco.exe,,,2

[kvmnet6.Services]
AddService = netkvm, 2, kvmnet6.Service, kvmnet6.EventLog

[kvmnet6.Service]
DisplayName    = %NetKVM.Service.DispName%
ServiceType    = 1          ; SERVICE_KERNEL_DRIVER
StartType      = 3          ; SERVICE_DEMAND_START
ErrorControl   = 1          ; SERVICE_ERROR_NORMAL
ServiceBinary  = %12%\\netkvm.sys
LoadOrderGroup = NDIS
AddReg         = TextModeFlags.reg

[TextModeFlags.reg]
HKR, , TextModeFlags, 0x00010001, 0x0001

[kvmnet6.EventLog]
AddReg = kvmnet6.AddEventLog.reg

[kvmnet6.AddEventLog.reg]
HKR, , EventMessageFile, 0x00020000, "%%SystemRoot%%\\System32\\netevent.dll"
HKR, , TypesSupported,   0x00010001, 7

[Strings]
VENDOR = "Red Hat, Inc."
DiskId1 = "Red Hat VirtIO Ethernet Adapter Driver Disk"
NetKVM.DeviceDesc = "Red Hat VirtIO Ethernet Adapter"
NetKVM.Service.DispName = "Red Hat VirtIO Ethernet Adapter Service"
JumboPacket = "Jumbo Packet"
INF
}

# A demand-start system-class function driver (Balloon, vioserial, viorng, pvpanic, qxldod).
inf_system() {  # drv svc class_lines desc_text decoration extra_file id...
  local drv=$1 svc=$2 class=$3 desc=$4 deco=$5 extra=$6; shift 6
  inf_head "$class" "$drv.cat" "$deco"
  echo "[SourceDisksFiles]"
  echo "$drv.sys = 1,,"
  [ -z "$extra" ] || echo "$extra = 1,,"
  echo
  echo "[Standard.$deco]"
  local id
  for id in "$@"; do echo "%$drv.DeviceDesc% = ${drv}_Device, $id"; done
  cat <<INF

[${drv}_Device.NT]
CopyFiles = ${drv}_CopyFiles

[${drv}_Device.NT.HW]
AddReg = ${drv}_AddReg

[${drv}_AddReg]
HKR, Interrupt Management\\MessageSignaledInterruptProperties, MSISupported, 0x00010001, 1

[${drv}_CopyFiles]
$drv.sys
$( [ -z "$extra" ] || echo "$extra" )

[${drv}_Device.NT.Services]
AddService = $svc, 0x00000002, ${drv}_Service_Inst

[${drv}_Service_Inst]
DisplayName   = %$drv.SVCDESC%
ServiceType   = 1               ; SERVICE_KERNEL_DRIVER
StartType     = 3               ; SERVICE_DEMAND_START
ErrorControl  = 1               ; SERVICE_ERROR_NORMAL
ServiceBinary = %12%\\$drv.sys

[Strings]
VENDOR = "Red Hat, Inc."
DiskId1 = "$desc Installation Disk"
$drv.DeviceDesc = "$desc"
$drv.SVCDESC = "$desc Service"
INF
}

# qemupciserial: no driver binary of its own, it reuses Windows' serial.sys through msports.inf.
inf_qemupciserial() {  # decoration
  local deco=$1
  inf_head "$CLASS_PORTS" "qemupciserial.cat" "$deco"
  cat <<INF
[Standard.$deco]
%QEMU-PCI_SERIAL_1_PORT% = ComPort_inst1, PCI\\VEN_1B36&DEV_0002

[ComPort_inst1]
Include = msports.inf
Needs   = ComPort.NT
AddReg  = ComPort_inst1.AddReg

[ComPort_inst1.AddReg]
HKR,,PortSubClass,1,01
HKR,,EnumPropPages32,,"MsPorts.dll,SerialPortPropPageProvider"

[ComPort_inst1.Services]
Include = msports.inf
Needs   = ComPort.NT.Services

[ComPort_inst1.HW]
Include = msports.inf
Needs   = ComPort.NT.HW
AddReg  = ComPort_inst1.HW.AddReg

[ComPort_inst1.HW.AddReg]
HKR,,"UpperFilters",0x00010000,"serenum"

[Strings]
VENDOR = "Red Hat, Inc."
DiskId1 = "QEMU PCI Serial Installation Disk"
QEMU-PCI_SERIAL_1_PORT = "QEMU PCI 1 port comm adapter"
INF
}

make_package() {  # folder os arch
  local folder=$1 os=$2 arch=$3
  local dir="$OUT/$folder/$os/$arch"
  local deco; deco="$(nt_arch "$arch").10.0...$(os_build "$os")"
  local tag="$os $arch"
  mkdir -p "$dir"
  case $folder in
    viostor)
      inf_storage viostor viostor RHELScsi "$deco" \
        'PCI\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00' 'PCI\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01' \
        | emit_inf "$dir/viostor.inf" utf16
      marker "$dir/viostor.sys" "viostor $tag sys"; marker "$dir/viostor.cat" "viostor $tag cat" ;;
    vioscsi)
      inf_storage vioscsi vioscsi VioScsi "$deco" \
        'PCI\VEN_1AF4&DEV_1004&SUBSYS_00081AF4&REV_00' 'PCI\VEN_1AF4&DEV_1048&SUBSYS_11001AF4&REV_01' \
        | emit_inf "$dir/vioscsi.inf" ascii
      marker "$dir/vioscsi.sys" "vioscsi $tag sys"; marker "$dir/vioscsi.cat" "vioscsi $tag cat" ;;
    NetKVM)
      inf_netkvm "$deco" | emit_inf "$dir/netkvm.inf" utf16
      marker "$dir/netkvm.sys" "netkvm $tag sys"; marker "$dir/netkvm.cat" "netkvm $tag cat"
      marker "$dir/netkvmco.exe" "netkvmco $tag exe" ;;
    Balloon)
      inf_system balloon BALLOON "$CLASS_SYSTEM" "VirtIO Balloon Driver" "$deco" blnsvr.exe \
        'PCI\VEN_1AF4&DEV_1002&SUBSYS_00051AF4&REV_00' 'PCI\VEN_1AF4&DEV_1045&SUBSYS_11001AF4&REV_01' \
        | emit_inf "$dir/balloon.inf" ascii
      marker "$dir/balloon.sys" "balloon $tag sys"; marker "$dir/balloon.cat" "balloon $tag cat"
      marker "$dir/blnsvr.exe" "blnsvr $tag exe" ;;
    vioserial)
      inf_system vioser VirtioSerial "$CLASS_SYSTEM" "VirtIO Serial Driver" "$deco" "" \
        'PCI\VEN_1AF4&DEV_1003&SUBSYS_00031AF4&REV_00' 'PCI\VEN_1AF4&DEV_1043&SUBSYS_11001AF4&REV_01' \
        | emit_inf "$dir/vioser.inf" ascii
      marker "$dir/vioser.sys" "vioser $tag sys"; marker "$dir/vioser.cat" "vioser $tag cat" ;;
    viorng)
      inf_system viorng VirtRng "$CLASS_SYSTEM" "VirtIO RNG Device" "$deco" viorngum.dll \
        'PCI\VEN_1AF4&DEV_1005&SUBSYS_00041AF4&REV_00' 'PCI\VEN_1AF4&DEV_1044&SUBSYS_11001AF4&REV_01' \
        | emit_inf "$dir/viorng.inf" ascii
      marker "$dir/viorng.sys" "viorng $tag sys"; marker "$dir/viorng.cat" "viorng $tag cat"
      marker "$dir/viorngum.dll" "viorngum $tag dll" ;;
    qemupciserial)
      inf_qemupciserial "$deco" | emit_inf "$dir/qemupciserial.inf" ascii
      marker "$dir/qemupciserial.cat" "qemupciserial $tag cat" ;;
    pvpanic)
      inf_system pvpanic pvpanic "$CLASS_SYSTEM" "QEMU PVPanic Device" "$deco" "" \
        'PCI\VEN_1B36&DEV_0011' 'ACPI\QEMU0001' \
        | emit_inf "$dir/pvpanic.inf" ascii
      marker "$dir/pvpanic.sys" "pvpanic $tag sys"; marker "$dir/pvpanic.cat" "pvpanic $tag cat" ;;
    qxldod)
      inf_system qxldod qxldod "$CLASS_DISPLAY" "Red Hat QXL controller" "$deco" "" \
        'PCI\VEN_1B36&DEV_0100&SUBSYS_11001AF4&REV_04' \
        | emit_inf "$dir/qxldod.inf" ascii
      marker "$dir/qxldod.sys" "qxldod $tag sys"; marker "$dir/qxldod.cat" "qxldod $tag cat" ;;
    *) echo "make-virtio-win: unknown driver folder $folder" >&2; exit 1 ;;
  esac
}

for folder in $DRIVERS; do
  for os in $OSES; do
    for arch in $ARCHES; do make_package "$folder" "$os" "$arch"; done
  done
done

mkdir -p "$OUT/guest-agent"
marker "$OUT/guest-agent/qemu-ga-x86_64.msi" "qemu-ga x86_64 msi"
marker "$OUT/guest-agent/qemu-ga-i386.msi" "qemu-ga i386 msi"
printf 'FAKE virtio-win tree made by v2v Fixtures/windows/make-virtio-win.sh (driver version %s)\r\n' \
  "$DRIVER_VERSION" >"$OUT/VERSION.txt"
