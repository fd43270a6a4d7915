/**
 * @module
 * Run as its own process by tests/server/lazy-modules.test.ts: assembles the app `serve` builds
 * for the config in argv[2] (JSON; its storage under a fresh temporary directory), answers one
 * request, and prints every module path the process has loaded, as JSON.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseConfigText } from '../../../lib/config'
import { createLogger } from '../../../lib/log/logger'
import { assemble } from '../../../lib/server/assemble'

const root = await mkdtemp(join(tmpdir(), 'zot-loaded-modules-'))
try {
  const config = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>
  const { config: parsed } = await parseConfigText(
    JSON.stringify({ ...config, storage: { rootDirectory: join(root, 'data') } }),
    'json',
    'lazy-modules config',
  )
  const { app, runtime } = await assemble(parsed, createLogger({ level: 'error', write: () => {} }))
  await (await app.request('http://registry.test/v2/')).arrayBuffer()
  console.log(JSON.stringify(Object.keys(require.cache)))
  await runtime.close()
} finally {
  await rm(root, { recursive: true, force: true })
}
