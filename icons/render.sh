#!/usr/bin/env bash
# Renders the tray icons from the SVG sources in icons/src (commit the outputs; the build
# embeds them with include_bytes! and needs no SVG tools):
#   icons/png/<state>-<size>.png       Linux trays and the hicolor theme (16…256 px)
#   icons/macos/<state>-template.png   macOS menu bar: black + alpha, 44 px (22 pt @2x)
#   icons/windows/<state>.ico          Windows notification area: 16, 20, 24, 32, 48, 256 px
#   icons/chatkey.png, chatkey.svg     the application icon (the "ok" state), 256 px
# Needs rsvg-convert (librsvg2-bin) and ImageMagick (imagemagick).
set -euo pipefail
cd "$(dirname "$0")"
# /usr/bin first: some machines put a stand-in `convert` earlier on PATH.
convert=/usr/bin/convert
[ -x "$convert" ] || convert=$(command -v convert)
command -v rsvg-convert >/dev/null || { echo "render.sh: install librsvg2-bin" >&2; exit 1; }

states=(ok needs-attention working error)
mkdir -p png macos windows
for state in "${states[@]}"; do
  for size in 16 22 24 32 48 64 128 256; do
    rsvg-convert -w "$size" -h "$size" "src/$state.svg" -o "png/$state-$size.png"
  done
  rsvg-convert -w 44 -h 44 "src/$state-template.svg" -o "macos/$state-template.png"
  ico_parts=()
  for size in 16 20 24 32 48 256; do
    rsvg-convert -w "$size" -h "$size" "src/$state.svg" -o "windows/.$state-$size.png"
    ico_parts+=("windows/.$state-$size.png")
  done
  "$convert" "${ico_parts[@]}" "windows/$state.ico"
  rm -f "${ico_parts[@]}"
done
cp src/ok.svg chatkey.svg
cp png/ok-256.png chatkey.png
echo "render.sh: rendered ${#states[@]} states into $(pwd)"
