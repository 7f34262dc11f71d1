#!/bin/sh
# Builds the binary and archive cases of the hostile-input corpus (cases.tsv) into DIR (default: .):
# OVAs that lie, files with invalid UTF-8. Needs tar, gzip, python3, sha256sum. Tiny: runs in < 1 s.
set -eu
DIR=${1:-.}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$DIR"
cd "$DIR"

# The OVF every archive starts from: one disk, disk1.img (raw), at SCSI controller 3, unit 0. $1 = href,
# $2 = extra File attributes, $3 = VirtualSystem name.
ovf() {
  cat <<XML
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References><File ovf:href="$1" ovf:id="f1"${2:-}/></References>
  <DiskSection><Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="1" ovf:capacityAllocationUnits="byte * 2^20"/></DiskSection>
  <VirtualSystem ovf:id="${3:-vm}"><Name>${3:-vm}</Name><VirtualHardwareSection>
    <Item><rasd:InstanceID>3</rasd:InstanceID><rasd:ResourceType>6</rasd:ResourceType></Item>
    <Item><rasd:InstanceID>4</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType><rasd:HostResource>ovf:/disk/d1</rasd:HostResource><rasd:Parent>3</rasd:Parent><rasd:AddressOnParent>0</rasd:AddressOnParent></Item>
  </VirtualHardwareSection></VirtualSystem>
</Envelope>
XML
}

t=$(mktemp -d "${TMPDIR:-/tmp}/v2v-hostile-XXXXXX")
trap 'rm -rf "$t"' EXIT
ustar() { out=$1; shift; tar --format=ustar --owner=0 --group=0 --numeric-owner -C "$t" -cf "$out" "$@"; }
head -c 1048576 /dev/zero > "$t/disk1.img"
ovf disk1.img > "$t/vm.ovf"

# A valid OVA, the reference the others differ from (exit 0).
ustar good.ova vm.ovf disk1.img
# Its first half: the disk member is larger than what is left of the archive.
head -c "$(( $(stat -c %s good.ova) / 2 ))" good.ova > truncated.ova
# Cut 1000 bytes before the end of the disk's data (headers: 512 + 1024 of OVF, 512 of disk).
head -c $(( 2048 + 1048576 - 1000 )) good.ova > truncated-tail.ova
# A member whose size field is larger than the whole archive (checksum recomputed so the header is valid).
cp good.ova size-lies.ova
python3 - size-lies.ova <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
# second header: after vm.ovf's header and its padded data
size_ovf = int(b[124:135].decode().strip('\0 ') or '0', 8)
h = 512 + (size_ovf + 511) // 512 * 512
b[h + 124:h + 136] = b'%011o\0' % (1 << 33)
b[h + 148:h + 156] = b' ' * 8
b[h + 148:h + 156] = b'%06o\0 ' % sum(b[h:h + 512])
open(p, 'wb').write(bytes(b))
PY
# Two descriptors.
ovf disk1.img "" other > "$t/other.ovf"
ustar two-ovf.ova vm.ovf other.ovf disk1.img
# The disk's href names the descriptor itself.
ovf vm.ovf > "$t/self.ovf.tmp" && mv "$t/self.ovf.tmp" "$t/vm.ovf"
ustar href-self.ova vm.ovf disk1.img
ovf disk1.img > "$t/vm.ovf"
# A gzip-compressed disk without ovf:compression="gzip", and the reverse.
gzip -n -c "$t/disk1.img" > "$t/disk1.img.gz"
ovf disk1.img.gz > "$t/vm.ovf"
ustar gzip-undeclared.ova vm.ovf disk1.img.gz
ovf disk1.img ' ovf:compression="gzip"' > "$t/vm.ovf"
ustar gzip-declared-not-gzip.ova vm.ovf disk1.img
ovf disk1.img > "$t/vm.ovf"
# Manifests: one naming a file that is not there, one that leaves the disk out.
(cd "$t" && sha256sum --tag vm.ovf disk1.img | sed 's/ = /= /' > vm.mf && echo "SHA256(extra.img)= $(printf x | sha256sum | cut -c1-64)" >> vm.mf)
ustar mf-lists-missing.ova vm.ovf vm.mf disk1.img
(cd "$t" && sha256sum --tag vm.ovf | sed 's/ = /= /' > vm.mf)
ustar mf-incomplete.ova vm.ovf vm.mf disk1.img
rm "$t/vm.mf"
# The disk member is not a regular file.
mkdir "$t/l" && cp "$t/vm.ovf" "$t/l/" && cp "$t/disk1.img" "$t/l/real.img"
(cd "$t/l" && ln -s real.img disk1.img)
tar --format=ustar -C "$t/l" -cf symlink-member.ova vm.ovf disk1.img real.img
rm "$t/l/disk1.img" && (cd "$t/l" && ln real.img disk1.img)
tar --format=ustar -C "$t/l" -cf hardlink-member.ova vm.ovf real.img disk1.img
rm "$t/l/disk1.img" && mkfifo "$t/l/disk1.img"
tar --format=ustar -C "$t/l" -cf fifo-member.ova vm.ovf disk1.img
rm "$t/l/disk1.img" && mkdir "$t/l/disk1.img"
tar --format=ustar -C "$t/l" -cf dir-member.ova vm.ovf disk1.img
# The same member twice (tar appends; the last one is what tar extracts): a warning.
cp good.ova dup-member.ova && tar --format=ustar -C "$t" -rf dup-member.ova disk1.img

# Invalid UTF-8 (0xE9, Latin-1 'e acute') in files that declare or imply UTF-8, and one VMX that does not.
printf '.encoding = "UTF-8"\ndisplayName = "caf\351"\nmemsize = "512"\n' > bad-utf8.vmx
printf 'displayName = "caf\351"\nmemsize = "512"\n' > latin1.vmx
printf 'name = "caf\351"\nmemory = 512\n' > bad-utf8.cfg
printf '<domain type="kvm"><name>caf\351</name><memory>1024</memory></domain>\n' > bad-utf8.xml
ovf disk1.img "" "caf$(printf '\351')" > bad-utf8.ovf
cp "$t/disk1.img" .

# A qcow2 header whose backing file name lies at offset 2^64-256 (found by the fuzz run: Foundation's
# seek traps past Int64.max, so this crashed the reader).
python3 -c 'import struct,sys; sys.stdout.buffer.write(b"QFI\xfb" + struct.pack(">IQIIQ", 3, 2**64 - 256, 16, 0, 1 << 20) + bytes(512 - 32))' > backing-offset.qcow2

# The text cases, next to the generated ones.
for f in "$HERE"/*.vmx "$HERE"/*.cfg "$HERE"/*.xml "$HERE"/*.ovf; do cp "$f" .; done
