#!/usr/bin/env bash
# Builds native/build/fuse3.node from native/*.c with gcc against libfuse3 (pkg-config) and the
# N-API headers of the node-api-headers package. Skips the build when the output is newer than
# every source. Needs: gcc, pkg-config, libfuse3-dev (scripts/setup.sh installs them).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/build/fuse3.node"
headers="$here/../node_modules/node-api-headers/include"
if [[ -f "$out" && -z "$(find "$here" -maxdepth 1 -name '*.c' -newer "$out")" && "$out" -nt "$here/build.sh" ]]; then
  exit 0
fi
[[ -f "$headers/node_api.h" ]] || { echo "native/build.sh: N-API headers missing at $headers; run bun install" >&2; exit 1; }
mkdir -p "$here/build"
# shellcheck disable=SC2046
gcc -O2 -Wall -Wextra -Werror -fPIC -shared -DNODE_GYP_MODULE_NAME=fuse3 \
  -I"$headers" $(pkg-config --cflags fuse3) \
  -o "$out.tmp" "$here"/*.c $(pkg-config --libs fuse3)
mv "$out.tmp" "$out"
echo "native: built $out" >&2
