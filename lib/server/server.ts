/**
 * @module
 * Runs the hono app on Bun.serve. Blob bodies stream in both directions, so the body-size limit
 * is lifted; `idleTimeout` cuts only connections on which nothing moves (a long transfer that
 * is still moving is never cut: zot issue #4079).
 */
import type { Hono } from 'hono'
import type { AppEnv } from '../http/context'

export interface ListenOptions {
  address: string
  port: number
  /** Seconds without any byte moving before a connection is closed (Bun caps it at 255). */
  idleTimeoutSeconds?: number
  tls?: { cert: string; key: string }
}

export interface RunningServer {
  url: string
  port: number
  /** Stops accepting, waits for in-flight requests (or closes them when `force`). */
  stop(force?: boolean): Promise<void>
}

export function listen(app: Hono<AppEnv>, options: ListenOptions): RunningServer {
  const server = Bun.serve({
    hostname: options.address,
    port: options.port,
    fetch: app.fetch,
    // Bun shares ports between processes by default (SO_REUSEPORT): a second registry on the same
    // address would silently receive half the traffic. Refuse instead.
    reusePort: false,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    idleTimeout: Math.min(255, Math.max(0, Math.round(options.idleTimeoutSeconds ?? 120))),
    development: false,
    ...(options.tls && { tls: { cert: Bun.file(options.tls.cert), key: Bun.file(options.tls.key) } }),
  })
  const port = server.port ?? options.port
  return {
    url: server.url.toString().replace(/\/$/, ''),
    port,
    stop: (force = false) => server.stop(force),
  }
}
