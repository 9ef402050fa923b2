#!/usr/bin/env bash
# Assembles chatkey.app from built binaries:
#
#   packaging/macos/build-app.sh [--bin-dir DIR] [--out DIR]
#
# DIR defaults to target/aarch64-apple-darwin/release (build it on a Mac with
# `cargo build --release --target aarch64-apple-darwin`); the bundle goes to target/macos/.
# Contents: Info.plist (LSUIElement: menu-bar only, version from Cargo.toml), MacOS/chatkey
# and MacOS/chatkey-mcp (assistants point at the latter: `chatkey install-client` does it),
# Resources/chatkey.icns when `iconutil` (macOS) is available, and the LaunchAgent plist in
# Resources/ for "start at login". Sign it afterwards with `codesign --deep -s IDENTITY`.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin_dir="$root/target/aarch64-apple-darwin/release"
out_dir="$root/target/macos"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir="$2"; shift 2 ;;
    --out) out_dir="$2"; shift 2 ;;
    *) echo "usage: $0 [--bin-dir DIR] [--out DIR]" >&2; exit 2 ;;
  esac
done

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)"
[ -n "$version" ] || { echo "error: no version in $root/Cargo.toml" >&2; exit 1; }
for b in chatkey chatkey-mcp; do
  [ -x "$bin_dir/$b" ] || { echo "error: $bin_dir/$b is missing: build the release binaries first" >&2; exit 1; }
done

app="$out_dir/chatkey.app"
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
sed "s/@VERSION@/$version/g" "$here/Info.plist" > "$app/Contents/Info.plist"
install -m 755 "$bin_dir/chatkey" "$bin_dir/chatkey-mcp" "$app/Contents/MacOS/"
install -m 644 "$here/dev.chatkey.chatkey.plist" "$app/Contents/Resources/"
printf 'APPL????' > "$app/Contents/PkgInfo"

if command -v iconutil >/dev/null 2>&1 && command -v sips >/dev/null 2>&1; then
  iconset="$(mktemp -d)/chatkey.iconset"
  mkdir -p "$iconset"
  for size in 16 32 128 256; do
    sips -z "$size" "$size" "$root/icons/chatkey.png" --out "$iconset/icon_${size}x${size}.png" >/dev/null
    double=$((size * 2))
    sips -z "$double" "$double" "$root/icons/chatkey.png" --out "$iconset/icon_${size}x${size}@2x.png" >/dev/null
  done
  iconutil -c icns "$iconset" -o "$app/Contents/Resources/chatkey.icns"
else
  echo "note: iconutil/sips not found (not on macOS): the bundle has no chatkey.icns" >&2
fi
echo "$app"
