# Raw packaging: NAME.img, the disk as `dd` of a physical machine's disk gives it (sparse).
package_raw() {
  mv "$WORK_DIR/disk.raw" "$BUILD_DIR/$NAME.img"
  MANIFEST_FIELDS+=("image=$NAME.img")
}
