#!/usr/bin/env bash
# Side-by-side benchmark: the compiled registry (dist/zot) against Debian's docker-registry
# (CNCF distribution 2.8.2, the reference) with ../shared/tools/perf/bench.ts, in one run so
# machine noise hits both alike. Run by hand; numbers go in closing notes and docs/performance.md.
#
#   scripts/bench/side-by-side.sh [--scenarios a,b,c,d,e,f,g] [--runs 2] [...more bench.ts flags]
#
# Writes bench-out/side.json and prints NEW/REF ratios and a summary table.
set -euo pipefail
cd "$(dirname "$0")/../.."
PERF=../shared/tools/perf
work=$(mktemp -d /tmp/zot-bench.XXXXXX)
out=bench-out; mkdir -p "$out"
[ -x dist/zot ] || bun run build >/dev/null
free_port() { bun -e 'const s=Bun.serve({port:0,fetch:()=>new Response()});console.log(s.port);s.stop(true)'; }
REF_PORT=$(free_port); NEW_PORT=$(free_port)
cat > "$work/ref.yml" <<YAML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $work/ref-data }, delete: { enabled: true } }
http: { addr: 127.0.0.1:$REF_PORT }
YAML
# zot's defaults except what the benchmark is about: warn-level logs (no per-request lines), like
# the reference with its access log off.
cat > "$work/new.json" <<JSON
{"storage":{"rootDirectory":"$work/new-data"},"http":{"address":"127.0.0.1","port":"$NEW_PORT"},"log":{"level":"warn"}}
JSON
docker-registry serve "$work/ref.yml" >"$work/ref.log" 2>&1 & REF_PID=$!
./dist/zot serve "$work/new.json" >"$work/new.log" 2>&1 & NEW_PID=$!
trap 'kill $REF_PID $NEW_PID 2>/dev/null; rm -rf "$work"' EXIT
for port in $REF_PORT $NEW_PORT; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done
done
echo "idle RSS KiB: ref $(awk '/VmRSS/{print $2}' /proc/$REF_PID/status) new $(awk '/VmRSS/{print $2}' /proc/$NEW_PID/status)"
bun "$PERF/bench.ts" --target "ref=http://127.0.0.1:$REF_PORT,pid=$REF_PID" --target "new=http://127.0.0.1:$NEW_PORT,pid=$NEW_PID" --out "$out/side" "$@"
python3 "$PERF/ratios.py" "$out/side.json" new ref || true
bun "$PERF/summarize.ts" "$out/side.json" || true
