#!/usr/bin/env bash
# Fetches Google's discovery documents the emulator is checked against, and checks them.
#
# usage: scripts/fetch-specs.sh DEST_DIR
#
# The documents (chat.v1, people.v1, oauth2.v2) come from the google-api-python-client wheel
# 2.202.0, which ships them under googleapiclient/discovery_cache/documents/. They are not
# committed: tests read them from $CHATKEY_SPECS_DIR (the Makefile's `specs` target runs this
# script into target/specs). Their SHA256 sums are committed, in scripts/specs.sha256, and
# every run checks every document against them: one fetched now, and one already in DEST_DIR
# alike. A document that does not match is an error (never a silent skip) and is not used.
set -euo pipefail

VERSION=2.202.0
DOCS=(chat.v1.json people.v1.json oauth2.v2.json)

dest=${1:?usage: scripts/fetch-specs.sh DEST_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sums=$here/specs.sha256
[[ -s "$sums" ]] || { echo "fetch-specs: $sums is missing; restore it from git (git checkout -- scripts/specs.sha256)" >&2; exit 1; }
mkdir -p "$dest"

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

expected() {
    local sum
    sum=$(awk -v doc="$1" '$1 !~ /^#/ && $2 == doc { print $1 }' "$sums")
    [[ -n "$sum" ]] || { echo "fetch-specs: $sums has no sum for $1" >&2; exit 1; }
    echo "$sum"
}

# Every document must have a sum before anything is downloaded.
for doc in "${DOCS[@]}"; do expected "$doc" >/dev/null; done

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

bad=0
for doc in "${DOCS[@]}"; do
    want=$(expected "$doc")
    got=$(sha256 "$dest/$doc")
    if [[ "$got" != "$want" ]]; then
        echo "fetch-specs: $dest/$doc does not match $sums (sha256 $got, expected $want); delete it and run again to fetch a fresh copy" >&2
        bad=1
    fi
done
((bad == 0)) || exit 1
echo "fetch-specs: ${DOCS[*]} verified against $sums" >&2
