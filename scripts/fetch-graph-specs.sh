#!/usr/bin/env bash
# Fetches Microsoft Graph's machine-readable source the Teams emulator is checked against.
#
# usage: scripts/fetch-graph-specs.sh DEST_DIR
#
# msgraph-sdk 1.65.0 (PyPI wheel: every request builder's URL template with its query
# parameters and HTTP methods, every model's JSON field names), fetched with pip, verified
# against scripts/graph-specs.sha256, then reduced by scripts/graph-specs.py to
# DEST_DIR/routes.json and DEST_DIR/models.json. Nothing here is committed: tests read
# DEST_DIR through $CHATKEY_SPECS_DIR/graph (the Makefile's `specs` target runs this into
# target/specs/graph). Output already in DEST_DIR is kept.
set -euo pipefail

SDK_VERSION=1.65.0
OUTPUTS=(routes.json models.json)

dest=${1:?usage: scripts/fetch-graph-specs.sh DEST_DIR}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sums=$repo/scripts/graph-specs.sha256

done=1
for f in "${OUTPUTS[@]}"; do
    [[ -s "$dest/$f" ]] || done=0
done
if ((done)); then
    echo "fetch-graph-specs: present in $dest" >&2
    exit 0
fi

if command -v python3 >/dev/null 2>&1; then
    python=python3
else
    python=python
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-graph-specs: downloading msgraph-sdk==$SDK_VERSION (PyPI, about 29 MB)" >&2
"$python" -m pip download --quiet --no-deps --only-binary=:all: \
    "msgraph-sdk==$SDK_VERSION" -d "$tmp" >&2
wheel=$tmp/msgraph_sdk-$SDK_VERSION-py3-none-any.whl
[[ -s "$wheel" ]] || { echo "fetch-graph-specs: $(basename "$wheel") was not downloaded" >&2; exit 1; }
(cd "$tmp" && sha256sum --check --quiet "$sums") \
    || { echo "fetch-graph-specs: checksum mismatch against $sums" >&2; exit 1; }
echo "fetch-graph-specs: verified against $sums" >&2

mkdir -p "$dest"
"$python" "$repo/scripts/graph-specs.py" "$wheel" "$tmp"
for f in "${OUTPUTS[@]}"; do
    mv "$tmp/$f" "$dest/$f"
    echo "fetch-graph-specs: wrote $dest/$f" >&2
done
