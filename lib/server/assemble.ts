/**
 * @module
 * Builds the whole registry application from the configuration: storage, registry, logs,
 * metrics, health, CORS and the distribution API. `serve` listens on the result; tests call it
 * in-process.
 */
import { resolve } from 'node:path'
import type { Hono, MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'
import type { Config } from '../config'
import { createApp } from '../http/app'
import type { AppEnv } from '../http/context'
import { healthRoutes } from '../http/health'
import { requestLog } from '../http/middleware/request-log'
import { createLogger, type Logger } from '../log/logger'
import { createRegistryMetrics } from '../metrics/registry-metrics'
import { createRegistry, type Registry } from '../registry/registry'
import { createLocalDriver } from '../storage/local-driver'

export interface Assembled {
  app: Hono<AppEnv>
  registry: Registry
}

export function assemble(config: Config, logger: Logger): Assembled {
  const rootDirectory = resolve(config.storage.rootDirectory)
  const driver = createLocalDriver({ rootDirectory, commit: config.storage.commit })
  const registry = createRegistry({ driver, dedupe: config.storage.dedupe })
  const metricsConfig = config.extensions?.metrics
  const metricsPath = metricsConfig?.enable ? metricsConfig.prometheus.path : undefined
  const metrics = metricsPath ? createRegistryMetrics(registry) : undefined
  const audit = config.log.audit ? createLogger({ level: 'info', output: config.log.audit }) : undefined

  const middleware: MiddlewareHandler<AppEnv>[] = [requestLog({ logger, ...(audit && { audit }) })]
  if (metrics && metricsPath) middleware.push(metrics.middleware(metricsPath))
  const origins = config.http.allowOrigin.split(',').map((origin) => origin.trim()).filter(Boolean)
  if (origins.length > 0) {
    middleware.push(cors({ origin: origins, exposeHeaders: ['Docker-Content-Digest', 'Docker-Distribution-API-Version', 'Location', 'Range', 'Link', 'OCI-Subject'] }))
  }

  const app = createApp({
    registry,
    logger,
    middleware,
    routes: (routes) => {
      healthRoutes(routes, { ready: { storage: async () => void (await driver.list('')) } })
      if (metrics && metricsPath) {
        routes.get(metricsPath, () => new Response(metrics.registry.render(), { headers: { 'Content-Type': 'text/plain; version=0.0.4' } }))
      }
    },
  })
  return { app, registry }
}
