#!/usr/bin/env bash
# Runs every test: installs the Debian tools the end-to-end tests drive (when root), type-checks,
# lints and checks formatting (Biome),
# runs `bun test` over the whole tree, then the API and end-to-end suites again on S3 (a Ceph RGW
# the tests start), and closes with one "N passed, N failed" line over both passes.
set -uo pipefail
cd "$(dirname "$0")/.."
sh scripts/install-test-tools.sh
echo "== type-check"
bunx tsc --noEmit -p . || { echo "tests: 0 passed, 1 failed (type-check)"; exit 1; }
echo "== lint and format (biome ci; 'bun run format' fixes formatting)"
bunx biome ci --colors=off . || { echo "tests: 0 passed, 1 failed (lint/format)"; exit 1; }
mkdir -p .tmp
main_log=.tmp/test-output.log
s3_log=.tmp/test-output-s3.log

# The last "N pass" / "N fail" line of a bun test log.
count() { grep -Eo "^ *[0-9]+ $1\$" "$2" | tail -1 | grep -Eo '[0-9]+' || echo 0; }
# Failures of a pass: a pass that failed without printing any (bun died) still counts as one.
failures() {
  local failed
  failed=$(count fail "$2")
  [ "$1" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
  echo "$failed"
}

echo "== bun test"
bun test --timeout 120000 "$@" 2>&1 | tee "$main_log"
status=${PIPESTATUS[0]}

echo "== bun test on S3 (ZOT_TEST_STORAGE=s3): tests/http tests/e2e"
ZOT_TEST_STORAGE=s3 bun test --timeout 120000 tests/http tests/e2e 2>&1 | tee "$s3_log"
s3_status=${PIPESTATUS[0]}

passed=$(($(count pass "$main_log") + $(count pass "$s3_log")))
failed=$(($(failures "$status" "$main_log") + $(failures "$s3_status" "$s3_log")))
echo "tests: ${passed} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$s3_status" -eq 0 ]
