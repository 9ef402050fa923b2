#!/usr/bin/env bash
# Fetches Slack's machine-readable sources the Slack emulator is checked against.
#
# usage: scripts/fetch-slack-specs.sh DEST_DIR
#
# slack_sdk 3.47.0 (PyPI wheel: every Web API method and its parameters) and @slack/web-api
# 8.2.0 (npm tarball: every method's response type, dist/types/response/*.d.ts), fetched with
# pip and npm, verified against scripts/slack-specs.sha256, then reduced by
# scripts/slack-specs.py to DEST_DIR/methods.json and DEST_DIR/responses.json. Nothing here is
# committed: tests read DEST_DIR through $CHATKEY_SPECS_DIR/slack (the Makefile's `specs`
# target runs this into target/specs/slack). Output already in DEST_DIR is kept.
set -euo pipefail

SDK_VERSION=3.47.0
WEB_API_VERSION=8.2.0
OUTPUTS=(methods.json responses.json)

dest=${1:?usage: scripts/fetch-slack-specs.sh DEST_DIR}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sums=$repo/scripts/slack-specs.sha256

done=1
for f in "${OUTPUTS[@]}"; do
    [[ -s "$dest/$f" ]] || done=0
done
if ((done)); then
    echo "fetch-slack-specs: present in $dest" >&2
    exit 0
fi

if command -v python3 >/dev/null 2>&1; then
    python=python3
else
    python=python
fi
if ! command -v npm >/dev/null 2>&1; then
    "$repo/scripts/ensure-apt.sh" npm
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-slack-specs: downloading slack_sdk==$SDK_VERSION (PyPI)" >&2
"$python" -m pip download --quiet --no-deps --only-binary=:all: \
    "slack_sdk==$SDK_VERSION" -d "$tmp" >&2
echo "fetch-slack-specs: downloading @slack/web-api@$WEB_API_VERSION (npm)" >&2
(cd "$tmp" && npm pack --silent "@slack/web-api@$WEB_API_VERSION" >/dev/null)

wheel=$tmp/slack_sdk-$SDK_VERSION-py2.py3-none-any.whl
tarball=$tmp/slack-web-api-$WEB_API_VERSION.tgz
for f in "$wheel" "$tarball"; do
    [[ -s "$f" ]] || { echo "fetch-slack-specs: $(basename "$f") was not downloaded" >&2; exit 1; }
done
(cd "$tmp" && sha256sum --check --quiet "$sums") \
    || { echo "fetch-slack-specs: checksum mismatch against $sums" >&2; exit 1; }
echo "fetch-slack-specs: verified against $sums" >&2

mkdir -p "$dest"
"$python" "$repo/scripts/slack-specs.py" "$wheel" "$tarball" "$tmp"
for f in "${OUTPUTS[@]}"; do
    mv "$tmp/$f" "$dest/$f"
    echo "fetch-slack-specs: wrote $dest/$f" >&2
done
