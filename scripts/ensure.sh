#!/bin/sh
# The README's two commands land here: make sure Bun and the project's packages are present,
# then serve or test. Bun comes from the npm registry (the only thing a fresh machine needs is
# Node.js and npm); it is installed into .tools/ so no global state is touched.
#
# `npm start` runs this as `exec sh scripts/ensure.sh serve` and this script execs bun: npm sends
# a SIGTERM it receives (from a supervisor, or kill) to its child only, so the server must be
# that child. A shell in between would die of the signal and leave the server running, orphaned.
set -eu
cd "$(dirname "$0")/.."
BUN_VERSION=1.4.5
if ! command -v bun >/dev/null 2>&1; then
  if [ ! -x .tools/node_modules/.bin/bun ]; then
    echo "installing bun@$BUN_VERSION from npm into .tools/" >&2
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix .tools "bun@$BUN_VERSION" >&2
  fi
  PATH="$PWD/.tools/node_modules/.bin:$PATH"
  export PATH
fi
bun install --frozen-lockfile >&2
command="${1:-serve}"
[ $# -gt 0 ] && shift
case "$command" in
  serve) exec bun cmd/zot.ts serve "$@" ;;
  test) exec bash scripts/test.sh "$@" ;;
  *) echo "usage: scripts/ensure.sh serve [CONFIG] | test" >&2; exit 2 ;;
esac
