/// The shell script v2v runs inside a dracut guest (RHEL, Fedora, SUSE, Debian with dracut) to add kernel
/// modules to an existing dracut image by appending a second archive, instead of rebuilding the image.
///
/// Why: under TCG emulation every process the guest starts costs ~50 ms, and a dracut rebuild starts
/// hundreds of them (its modules' `check`/`install` functions, `dracut-install` per file, the compressor over
/// the whole image). The kernel unpacks concatenated initramfs archives in order, later files replacing
/// earlier ones, so an uncompressed archive appended to the image, holding the new modules and a module
/// index regenerated over the image's own modules plus the new ones, gives the same boot behaviour. dracut's
/// initramfs loads storage drivers through udev by modalias, so the regenerated `modules.alias` is what makes
/// the kernel's udev load virtio_pci and then virtio_blk. Measured on the `vmware-debian12-dracut` fixture in
/// real conversions under TCG: see ``InitramfsRule``.
///
/// dracut images may start with an uncompressed early cpio (CPU microcode, ACPI tables) before the
/// compressed main archive: `skipcpio` (dracut's own helper) skips it, and the main archive's compression is
/// recognised by its magic bytes. Only the image's module tree is unpacked.
///
/// Any failure falls back to the guest's own dracut, with options that keep the rebuild from surprising:
/// `--force`, `--kver`, `--add-drivers` (dracut installs these whatever the hostonly setting, and an exact
/// `omit_drivers` entry of the guest's configuration does not drop them), and `--no-hostonly-cmdline` (in the
/// appliance, hostonly detection would bake the appliance's view of the disks into the image's command line).
/// The `/etc/dracut.conf.d/v2v-virtio.conf` drop-in lists the modules either way, so the guest's next
/// rebuild (a kernel update) includes them natively.
///
/// It says on stdout which path ran, so the conversion log (`detail` events, `--json`) shows it: a line
/// starting with ``appendedMarker`` or with ``rebuiltMarker`` (the same words as ``InitramfsAppendScript``).
/// It leaves no scratch files in the guest (`/var/tmp/v2v-dracut.*`, `IMAGE.v2v-new`), on either path, and
/// exits with the status of the path that ran (3 when the rebuilt image lacks one of the modules).
///
/// Usage inside the guest: `sh -c SCRIPT v2v VERSION IMAGE MODULE...`.
enum DracutAppendScript {
  static let text = #"""
    set -u
    V="$1"; IMG="$2"; shift 2
    MODS="$*"
    SKIP=/usr/lib/dracut/skipcpio
    T=""
    cleanup() { [ -n "$T" ] && rm -rf "$T"; rm -f "$IMG.v2v-new"; T=""; }
    trap cleanup EXIT
    fallback() {
      echo "v2v: cannot append to $IMG ($1); rebuilding it with dracut" >&2
      cleanup
      dracut --force --no-hostonly-cmdline --add-drivers "$MODS" --kver "$V" "$IMG" || exit $?
      # A module the kernel has as a file must be in the new image (an omit_drivers pattern can drop it).
      missing=""
      if command -v lsinitrd >/dev/null 2>&1; then
        L=$(lsinitrd "$IMG" 2>/dev/null)
        for m in $MODS; do
          modprobe -S "$V" --show-depends "$m" 2>/dev/null | grep -q '^insmod ' || continue
          echo "$L" | grep -q "/$m\.ko" || missing="$missing $m"
        done
      fi
      [ -z "$missing" ] || { echo "v2v: dracut rebuilt $IMG without$missing" >&2; exit 3; }
      echo "V2V-INITRAMFS: rebuilt $IMG with dracut ($1)"
      exit 0
    }
    [ -f "$IMG" ] || fallback "no $IMG"
    [ -x "$SKIP" ] || fallback "no $SKIP"
    for t in cpio depmod modprobe od; do command -v "$t" >/dev/null 2>&1 || fallback "no $t"; done
    T=$(mktemp -d /var/tmp/v2v-dracut.XXXXXX) || fallback "mktemp failed"
    # The main archive's compression, from its first bytes (after any early cpio).
    magic=$("$SKIP" "$IMG" 2>/dev/null | od -An -tx1 -N6 | tr -d ' \n')
    case "$magic" in
      1f8b*) DEC="gzip -dc" ;;
      28b52ffd*) DEC="zstd -dc" ;;
      fd377a585a00) DEC="xz -dc" ;;
      5d0000*) DEC="xz -dc --format=lzma" ;;
      02214c18*) DEC="lz4 -dc" ;;
      425a68*) DEC="bzip2 -dc" ;;
      894c5a*) DEC="lzop -dc" ;;
      303730373031|303730373032) DEC="cat" ;;
      *) fallback "unknown compression (${magic:-empty})" ;;
    esac
    command -v ${DEC%% *} >/dev/null 2>&1 || fallback "no ${DEC%% *}"
    mkdir "$T/old" || fallback "mkdir failed"
    # A decompressor may complain about what follows its stream (an archive appended earlier): cpio decides.
    "$SKIP" "$IMG" | $DEC 2>/dev/null | (cd "$T/old" && cpio -id --quiet "*lib/modules/$V/*") || fallback "cannot unpack it"
    MD=$(cd "$T/old" && find . -type d -path "*/modules/$V" | head -n 1)
    [ -n "$MD" ] || fallback "no modules directory in it"
    MD=${MD#./}
    W="$T/w"; mkdir -p "$W/lib/modules" "$T/new/$MD"
    cp -a "$T/old/$MD" "$W/lib/modules/$V" || fallback "copy failed"
    \#(AppendScriptParts.copyModules)
    depmod -b "$W" "$V" || fallback "depmod failed"
    cp "$W/lib/modules/$V"/modules.* "$T/new/$MD/" || fallback "copy failed"
    (cd "$T/new" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$T/add.cpio" || fallback "cpio failed"
    # The kernel looks for an uncompressed archive at a 4-byte aligned offset: pad with zeros.
    pad=$(( (4 - $(wc -c < "$IMG") % 4) % 4 ))
    { cat "$IMG"; head -c "$pad" /dev/zero; cat "$T/add.cpio"; } > "$IMG.v2v-new" || fallback "cannot write"
    chmod --reference="$IMG" "$IMG.v2v-new" 2>/dev/null
    mv "$IMG.v2v-new" "$IMG" || fallback "cannot replace it"
    echo "V2V-INITRAMFS: appended $added module files and the module index to $IMG"
    """#

  /// The start of the line the script prints when it appended to the existing image (the fast path).
  static let appendedMarker = "V2V-INITRAMFS: appended "
  /// The start of the line the script prints when it fell back to the guest's dracut.
  static let rebuiltMarker = "V2V-INITRAMFS: rebuilt "
}
