#!/usr/bin/env bash
# Sets up a machine to run realize from this checkout: Bun (pinned), the Debian packages the
# project needs, `bun install`, the native FUSE binding, and `realize` on PATH. Idempotent:
# each step is skipped when already done. Runs as root on Debian 12 (uses apt-get and npm).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
say() { echo "setup: $*" >&2; }

bun_version="$(sed -n 's/.*"packageManager": *"bun@\([0-9.]*\)".*/\1/p' package.json)"
if [[ "$(bun --version 2>/dev/null || true)" != "$bun_version" ]]; then
  say "installing bun@$bun_version with npm"
  npm install -g --no-fund --no-audit "bun@$bun_version" >&2
fi

apt_packages=(fuse3 libfuse3-dev pkg-config gcc make)
[[ "${REALIZE_SETUP_BENCH:-}" == 1 ]] && apt_packages+=(rsync unison hyperfine)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
fi

if [[ ! -d node_modules/.bin || bun.lock -nt node_modules/.setup-stamp || package.json -nt node_modules/.setup-stamp ]]; then
  say "bun install"
  bun install --frozen-lockfile >&2
  touch node_modules/.setup-stamp
fi

bash native/build.sh

if [[ "$(id -u)" == 0 && "$(readlink -f /usr/local/bin/realize 2>/dev/null)" != "$repo/bin/realize" ]]; then
  if [[ ! -e /usr/local/bin/realize || -L /usr/local/bin/realize ]]; then
    ln -sfn "$repo/bin/realize" /usr/local/bin/realize
    say "realize is on PATH (/usr/local/bin/realize -> $repo/bin/realize)"
  fi
fi
