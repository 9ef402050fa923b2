#!/usr/bin/env bash
# Installs the given Debian packages when any is missing; does nothing (and never touches
# apt) when all are installed already. Works as root or through sudo, with no stdin.
#
#   scripts/ensure-apt.sh pkg-config libdbus-1-dev ...
set -euo pipefail

missing=()
for pkg in "$@"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "apt: all present ($*)"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: these packages are missing and there is no apt-get to install them: ${missing[*]}" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo -n)   # -n: never prompt (CI has no stdin); fails clearly instead
  else
    echo "error: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "apt: installing ${missing[*]}"
apt_opts=(-q -y -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=300)
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update </dev/null
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install \
  --no-install-recommends "${missing[@]}" </dev/null
