/**
 * @module
 * Builds the whole registry application from settings: storage, registry, logs, metrics, health
 * and the distribution API. `serve` listens on the result; tests call it in-process.
 */
import { resolve } from 'node:path'
import type { Hono } from 'hono'
import { createApp } from '../http/app'
import type { AppEnv } from '../http/context'
import { healthRoutes } from '../http/health'
import { requestLog } from '../http/middleware/request-log'
import { createLogger, type Logger } from '../log/logger'
import { createRegistryMetrics } from '../metrics/registry-metrics'
import { createRegistry, type Registry } from '../registry/registry'
import { createLocalDriver } from '../storage/local-driver'

export interface AssembleSettings {
  rootDirectory: string
  commit: boolean
  dedupe: boolean
  metrics?: { path: string }
  auditLog?: string
}

export interface Assembled {
  app: Hono<AppEnv>
  registry: Registry
}

export function assemble(settings: AssembleSettings, logger: Logger): Assembled {
  const rootDirectory = resolve(settings.rootDirectory)
  const driver = createLocalDriver({ rootDirectory, commit: settings.commit })
  const registry = createRegistry({ driver, dedupe: settings.dedupe })
  const metrics = settings.metrics ? createRegistryMetrics(registry) : undefined
  const audit = settings.auditLog ? createLogger({ level: 'info', output: settings.auditLog }) : undefined
  const app = createApp({
    registry,
    logger,
    middleware: [requestLog({ logger, ...(audit && { audit }) }), ...(metrics && settings.metrics ? [metrics.middleware(settings.metrics.path)] : [])],
    routes: (routes) => {
      healthRoutes(routes, { ready: { storage: async () => void (await driver.list('')) } })
      if (metrics && settings.metrics) {
        routes.get(settings.metrics.path, () => new Response(metrics.registry.render(), { headers: { 'Content-Type': 'text/plain; version=0.0.4' } }))
      }
    },
  })
  return { app, registry }
}
