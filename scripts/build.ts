/**
 * @module
 * `bun run build`: the single `dist/zot` binary for this machine (`bun build --compile`), with the
 * commit baked in. `--target bun-linux-arm64` (and the other Bun targets) cross-compiles.
 */
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: { target: { type: 'string' }, outfile: { type: 'string', default: 'dist/zot' } },
})
const commit =
  Bun.spawnSync(['git', 'rev-parse', '--short=12', 'HEAD'], { stderr: 'ignore' }).stdout.toString().trim() || 'unknown'
const args = [
  // --bytecode: module evaluation from precompiled bytecode; a faster start to the first 200
  // for a somewhat larger binary (docs/performance.md).
  // --splitting: dynamic imports (S3 and its AWS SDK, sync, logins, TLS) become chunks loaded on
  // first use, node: built-ins included; without it the bundler hoists every built-in import to
  // start-up, and idle RSS pays for all of them.
  'build',
  'cmd/zot.ts',
  '--compile',
  '--splitting',
  '--minify',
  '--bytecode',
  '--format=esm',
  '--sourcemap=none',
  '--outfile',
  values.outfile!,
  '--define',
  `ZOT_BUILD_COMMIT=${JSON.stringify(commit)}`,
  ...(values.target ? ['--target', values.target] : []),
]
const build = Bun.spawnSync([process.execPath, ...args], { stdout: 'inherit', stderr: 'inherit' })
if (build.exitCode !== 0) process.exit(build.exitCode ?? 1)
console.log(`built ${values.outfile} (commit ${commit})`)
