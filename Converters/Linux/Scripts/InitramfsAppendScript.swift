/// The shell script v2v runs inside an initramfs-tools guest to add kernel modules to an existing initramfs
/// by appending a second archive, instead of rebuilding the whole image.
///
/// Why: under TCG emulation every process the guest's `mkinitramfs` starts costs ~50 ms and an `ldd` ~250 ms;
/// a rebuild is hundreds of them (~75-95 s measured on Debian 12). The kernel unpacks concatenated initramfs
/// archives in order, later files replacing earlier ones, so an appended archive with the modules, a
/// regenerated `modules.dep`/`modules.alias` (depmod over the image's own modules plus the new ones) and an
/// extended `conf/modules` gives the same boot behaviour in a few seconds. An image that is one compressed
/// archive is decompressed directly (only its module tree is unpacked); one with an early microcode archive
/// in front goes through the guest's `unmkinitramfs` (~14 s under TCG). Any failure falls back to the guest's own
/// `update-initramfs -u -k VERSION`; `/etc/initramfs-tools/modules` lists the modules either way, so the
/// guest's next rebuild (a kernel update) includes them natively.
///
/// It says on stdout which path ran, so the conversion log (`detail` events, `--json`) shows it: a line
/// starting with ``appendedMarker`` or with ``rebuiltMarker``. It leaves no scratch files in the guest
/// (`/var/tmp/v2v-initramfs.*`, `IMAGE.v2v-new`), on either path, and exits with the status of the path that ran.
///
/// Usage inside the guest: `sh -c SCRIPT v2v VERSION MODULE...`.
enum InitramfsAppendScript {
  static let text = #"""
    set -u
    V="$1"; shift
    IMG="/boot/initrd.img-$V"
    T=""
    cleanup() { [ -n "$T" ] && rm -rf "$T"; rm -f "$IMG.v2v-new"; T=""; }
    trap cleanup EXIT
    fallback() {
      echo "v2v: cannot append to $IMG ($1); rebuilding it with update-initramfs" >&2
      cleanup
      update-initramfs -u -k "$V"
      rc=$?
      [ "$rc" -eq 0 ] && echo "V2V-INITRAMFS: rebuilt $IMG with update-initramfs ($1)"
      exit "$rc"
    }
    [ -f "$IMG" ] || fallback "no $IMG"
    for t in unmkinitramfs cpio depmod modprobe; do command -v "$t" >/dev/null 2>&1 || fallback "no $t"; done
    T=$(mktemp -d /var/tmp/v2v-initramfs.XXXXXX) || fallback "mktemp failed"
    # One compressed archive (no early microcode archive before it, nothing appended after it): decompress
    # it once and take only the module tree and conf/modules. Otherwise unmkinitramfs, which walks the
    # segments with many small processes (~14 s under TCG against ~2 s for this).
    DEC=""
    case $(head -c 4 "$IMG" | od -An -tx1 | tr -d ' \n') in
      28b52ffd) DEC="zstd -dcq" ;;
      1f8b*) DEC="gzip -dc" ;;
      fd377a58) DEC="xz -dc" ;;
      02214c18) DEC="lz4 -dc" ;;
      425a68*) DEC="bzip2 -dc" ;;
      5d0000*) DEC="lzma -dc" ;;
    esac
    mkdir -p "$T/old"
    if [ -n "$DEC" ] && command -v "${DEC%% *}" >/dev/null 2>&1 && $DEC < "$IMG" > "$T/main.cpio" 2>/dev/null; then
      (cd "$T/old" && cpio -id --quiet "*lib/modules/$V/*" "conf/modules" < "$T/main.cpio") || fallback "cannot unpack it"
      HOW="${DEC%% *}"
    else
      rm -rf "$T/old" "$T/main.cpio"
      unmkinitramfs "$IMG" "$T/old" >/dev/null 2>&1 || fallback "cannot unpack it"
      HOW=unmkinitramfs
    fi
    ROOT="$T/old"; [ -d "$T/old/main" ] && ROOT="$T/old/main"
    MD=$(cd "$ROOT" && find . -type d -path "*/modules/$V" | head -n 1)
    [ -n "$MD" ] || fallback "no modules directory in it"
    MD=${MD#./}
    W="$T/w"; mkdir -p "$W/lib/modules" "$T/new/$MD" "$T/new/conf"
    cp -a "$ROOT/$MD" "$W/lib/modules/$V" || fallback "copy failed"
    \#(AppendScriptParts.copyModules)
    depmod -b "$W" "$V" || fallback "depmod failed"
    cp "$W/lib/modules/$V"/modules.* "$T/new/$MD/" || fallback "copy failed"
    { [ -f "$ROOT/conf/modules" ] && cat "$ROOT/conf/modules"; for m in "$@"; do echo "$m"; done; } > "$T/new/conf/modules"
    (cd "$T/new" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$T/add.cpio" || fallback "cpio failed"
    # The kernel looks for an uncompressed archive at a 4-byte aligned offset: pad with zeros.
    pad=$(( (4 - $(wc -c < "$IMG") % 4) % 4 ))
    { cat "$IMG"; head -c "$pad" /dev/zero; cat "$T/add.cpio"; } > "$IMG.v2v-new" || fallback "cannot write"
    mv "$IMG.v2v-new" "$IMG" || fallback "cannot replace it"
    echo "V2V-INITRAMFS: appended $added module files and the module index to $IMG (unpacked with $HOW)"
    """#

  /// The start of the line the script prints when it appended to the existing image (the fast path).
  static let appendedMarker = "V2V-INITRAMFS: appended "
  /// The start of the line the script prints when it fell back to the guest's `update-initramfs`.
  static let rebuiltMarker = "V2V-INITRAMFS: rebuilt "
}
