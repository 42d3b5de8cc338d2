#!/usr/bin/env bash
# Sets the machine up (scripts/setup.sh, idempotent) and runs the whole test suite: lint and
# types, unit tests and end-to-end tests. Extra arguments go to `bun test` (e.g. a path filter).
# The last line is `tests: N passed, N failed`, computed from bun's JUnit report.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash scripts/setup.sh || { echo "tests: 0 passed, 1 failed"; exit 1; }
report=".test-results/junit.xml"
rm -f "$report"
mkdir -p .test-results
bun test --timeout 60000 --reporter=junit --reporter-outfile="$report" "$@" 2>&1 | sed -u '/^<?xml/,$d'
rc=${PIPESTATUS[0]}
bun scripts/test-summary.ts "$report" || rc=1
exit "$rc"
