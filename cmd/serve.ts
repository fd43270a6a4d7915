/**
 * @module
 * `zot serve [CONFIG]`: storage, registry, app, listener, signals.
 */
import { createLogger, type LogLevel } from '../lib/log/logger'
import { assemble, type AssembleSettings } from '../lib/server/assemble'
import { drain } from '../lib/server/drain'
import { listen } from '../lib/server/server'
import { COMMIT, VERSION } from '../lib/version'

interface ServeSettings extends AssembleSettings {
  address: string
  port: number
  logLevel: LogLevel
  logOutput?: string
}

/** Case-insensitive lookup, as zot reads its keys. */
function pick(object: unknown, key: string): unknown {
  if (typeof object !== 'object' || object === null) return undefined
  const entry = Object.entries(object).find(([name]) => name.toLowerCase() === key.toLowerCase())
  return entry?.[1]
}

async function readSettings(path: string | undefined): Promise<ServeSettings> {
  const defaults: ServeSettings = { rootDirectory: './data', commit: false, dedupe: true, address: '127.0.0.1', port: 5000, logLevel: 'info' }
  if (!path) return defaults
  const config: unknown = JSON.parse(await Bun.file(path).text())
  const storage = pick(config, 'storage')
  const http = pick(config, 'http')
  const log = pick(config, 'log')
  const metrics = pick(pick(config, 'extensions'), 'metrics')
  const level = String(pick(log, 'level') ?? 'info')
  return {
    rootDirectory: String(pick(storage, 'rootDirectory') ?? defaults.rootDirectory),
    commit: pick(storage, 'commit') === true,
    dedupe: pick(storage, 'dedupe') !== false,
    address: String(pick(http, 'address') ?? '127.0.0.1'),
    port: Number(pick(http, 'port') ?? 8080),
    logLevel: (['debug', 'info', 'warn', 'error'].includes(level) ? level : 'info') as LogLevel,
    ...(typeof pick(log, 'output') === 'string' && { logOutput: String(pick(log, 'output')) }),
    ...(typeof pick(log, 'audit') === 'string' && { auditLog: String(pick(log, 'audit')) }),
    ...(metrics !== undefined && pick(metrics, 'enable') !== false && { metrics: { path: String(pick(pick(metrics, 'prometheus'), 'path') ?? '/metrics') } }),
  }
}

export async function serveCommand(configPath: string | undefined): Promise<number> {
  const settings = await readSettings(configPath)
  const logger = createLogger({ level: settings.logLevel, ...(settings.logOutput && { output: settings.logOutput }) })
  const { app } = assemble(settings, logger)
  let server
  try {
    server = listen(app, { address: settings.address, port: settings.port })
  } catch (error) {
    logger.error('cannot listen', { address: settings.address, port: settings.port, error: (error as Error).message })
    console.error(`zot: cannot listen on ${settings.address}:${settings.port}: ${(error as Error).message}`)
    return 1
  }
  logger.info('serving', { url: server.url, rootDirectory: settings.rootDirectory, version: VERSION, commit: COMMIT })
  const running = server
  const stopped = new Promise<number>((resolveStop) => {
    const shutdown = (signal: string) => {
      logger.info('shutting down', { signal })
      void drain(running, logger).then(() => resolveStop(0))
    }
    process.once('SIGTERM', () => shutdown('SIGTERM'))
    process.once('SIGINT', () => shutdown('SIGINT'))
  })
  return stopped
}
