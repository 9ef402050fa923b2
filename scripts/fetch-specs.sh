#!/usr/bin/env bash
# Fetches Google's discovery documents the emulator is checked against.
#
# usage: scripts/fetch-specs.sh DEST_DIR
#
# The documents (chat.v1, people.v1, oauth2.v2) come from the google-api-python-client wheel
# 2.202.0, which ships them under googleapiclient/discovery_cache/documents/. They are not
# committed: tests read them from $CHATKEY_SPECS_DIR (the Makefile's `specs` target runs this
# script into target/specs). Files already in DEST_DIR are kept. When a SHA256SUMS file sits
# at ../shared/specs/SHA256SUMS next to the repository (or $CHATKEY_SPECS_SHA256SUMS names
# one), the documents are verified against it.
set -euo pipefail

VERSION=2.202.0
DOCS=(chat.v1.json people.v1.json oauth2.v2.json)

dest=${1:?usage: scripts/fetch-specs.sh DEST_DIR}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sums=${CHATKEY_SPECS_SHA256SUMS:-$repo/../shared/specs/SHA256SUMS}
mkdir -p "$dest"

missing=()
for doc in "${DOCS[@]}"; do
    [[ -s "$dest/$doc" ]] || missing+=("$doc")
done

if ((${#missing[@]})); then
    if command -v python3 >/dev/null 2>&1; then
        python=python3
    else
        python=python
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "fetch-specs: downloading google-api-python-client==$VERSION" >&2
    "$python" -m pip download --quiet --no-deps --only-binary=:all: \
        "google-api-python-client==$VERSION" -d "$tmp" >&2
    wheel=$(ls "$tmp"/google_api_python_client-"$VERSION"-*.whl)
    "$python" - "$wheel" "$dest" "${missing[@]}" <<'PY'
import sys, zipfile
wheel, dest, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for name in names:
        data = z.read(f"googleapiclient/discovery_cache/documents/{name}")
        with open(f"{dest}/{name}", "wb") as f:
            f.write(data)
        print(f"fetch-specs: wrote {dest}/{name}", file=sys.stderr)
PY
fi

if [[ -f "$sums" ]]; then
    (cd "$dest" && grep -E " (chat\.v1|people\.v1|oauth2\.v2)\.json$" "$sums" | sha256sum --check --quiet -) \
        || { echo "fetch-specs: checksum mismatch against $sums" >&2; exit 1; }
    echo "fetch-specs: verified against $sums" >&2
fi
