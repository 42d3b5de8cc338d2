#!/usr/bin/env bash
# The realize demo: sets the machine up (scripts/setup.sh, idempotent), then runs two peers,
# "alice" and "bob", on loopback in a temporary directory and walks through what realize does
# with the sample tree in fixtures/trees/sample. Leaves nothing running; the temp dir is
# removed unless KEEP=1.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo/scripts/setup.sh"
exec bun "$repo/scripts/demo.ts"
