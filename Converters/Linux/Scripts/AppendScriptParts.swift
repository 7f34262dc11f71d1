/// Shell shared by ``InitramfsAppendScript`` and ``DracutAppendScript``: both unpack the image's module tree
/// into `$W/lib/modules/$V`, copy what is missing into it and into the appended archive (`$T/new/$MD`), then
/// run depmod over the result.
enum AppendScriptParts {
  /// Copies the modules named in `"$@"` and their dependencies that the image lacks; sets `added`. Needs
  /// `V`, `W`, `T`, `MD` and a `fallback` function.
  static let copyModules = #"""
    # The modules and their dependencies not in the image yet, copied in two commands (each process costs
    # ~0.1 s under TCG: one mkdir and two cp per file was ~3 s).
    added=0; NEW=""; SRC=""
    for f in $(modprobe -a -S "$V" --show-depends "$@" 2>/dev/null | awk '$1 == "insmod" && !seen[$2]++ { print $2 }'); do
      rel=${f#*/modules/$V/}
      SRC=${f%/"$rel"}
      [ -f "$W/lib/modules/$V/$rel" ] && continue
      NEW="$NEW $rel"
      added=$((added + 1))
    done
    if [ -n "$NEW" ]; then
      (cd "$SRC" && cp --parents $NEW "$W/lib/modules/$V/" && cp --parents $NEW "$T/new/$MD/") || fallback "cannot copy the modules"
    fi
    """#
}
