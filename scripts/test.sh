#!/usr/bin/env bash
# Runs every test: installs the Debian tools the end-to-end tests drive (when root), type-checks,
# then `bun test` over the whole tree, and closes with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
sh scripts/install-test-tools.sh
echo "== type-check"
bunx tsc --noEmit -p . || { echo "tests: 0 passed, 1 failed (type-check)"; exit 1; }
echo "== bun test"
mkdir -p .tmp
bun test --timeout 120000 "$@" 2>&1 | tee .tmp/test-output.log
status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ *[0-9]+ pass$' .tmp/test-output.log | tail -1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -Eo '^ *[0-9]+ fail$' .tmp/test-output.log | tail -1 | grep -Eo '[0-9]+' || echo 0)
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
