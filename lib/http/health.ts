/**
 * @module
 * `/livez`, `/readyz`, `/startupz` as zot answers them (200 `ok`, 500 naming the failing check).
 * Readiness never waits for a storage walk: it checks that storage answers now.
 */
import type { Hono } from 'hono'
import { StorageUnavailableError } from '../errors/storage-unavailable'
import type { AppEnv } from './context'

export type HealthCheck = () => Promise<void>

/** The probe paths, also what the rate limiter never limits. */
export const HEALTH_PATHS = { live: '/livez', startup: '/startupz', ready: '/readyz' } as const

export function healthRoutes(app: Hono<AppEnv>, checks: { ready: Record<string, HealthCheck> }): void {
  const ok = (): Response => new Response('ok', { headers: { 'Content-Type': 'text/plain' } })
  app.get(HEALTH_PATHS.live, ok)
  app.get(HEALTH_PATHS.startup, ok)
  app.get(HEALTH_PATHS.ready, async () => {
    for (const [name, check] of Object.entries(checks.ready)) {
      try {
        await check()
      } catch (error) {
        // Anyone may ask: a storage failure is told by its class, never its paths or endpoints.
        const reason = error instanceof StorageUnavailableError ? error.reason : (error as Error).message
        return new Response(`[-]${name} failed: ${reason}\nreadyz check failed`, {
          status: 500,
          headers: { 'Content-Type': 'text/plain' },
        })
      }
    }
    return ok()
  })
}
