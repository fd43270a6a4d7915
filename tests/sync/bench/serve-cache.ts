/**
 * A pull-through cache in its own process for the benchmark (so the client, the cache and the
 * upstream do not share an event loop): `bun serve-cache.ts ROOT SYNC_CONFIG_JSON`, prints its URL
 * on stdout once listening. Stands in for `zot serve` until sync is wired into it.
 */
import { configFromObject } from '../../../lib/config'
import { createApp } from '../../../lib/http/app'
import { createLogger } from '../../../lib/log/logger'
import { openStore } from '../../../lib/registry/open-store'
import { createSync } from '../../../lib/sync'

const [rootDirectory, configJson] = process.argv.slice(2)
if (!rootDirectory || !configJson) throw new Error('usage: serve-cache.ts ROOT SYNC_CONFIG_JSON')
const logger = createLogger({ level: 'warn' })
// Decoded as `serve` decodes it, so the benchmark runs with the defaults production has.
const config = configFromObject(
  { storage: { rootDirectory }, extensions: { sync: JSON.parse(configJson) as unknown } },
  'SYNC_CONFIG_JSON',
)
const { registry } = await openStore(config.storage)
const sync = createSync({ registry, config: config.extensions?.sync, logger })
const app = createApp({
  registry,
  logger,
  redirectBlobs: config.storage.redirectBlobURL,
  source: sync.source,
  middleware: sync.middleware,
})
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: app.fetch,
  maxRequestBodySize: Number.MAX_SAFE_INTEGER,
  idleTimeout: 0,
})
console.log(`http://127.0.0.1:${server.port}`)
