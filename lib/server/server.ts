/**
 * @module
 * Runs the hono app on Bun.serve. Blob bodies stream in both directions, so the body-size limit
 * is lifted; the idle timeout cuts only connections on which nothing moves (a long transfer that
 * is still moving is never cut: zot issue #4079; see idle-timeout.ts for what that takes). New
 * TLS material is applied by rebinding the listener: Bun's `server.reload()` keeps the old
 * certificate.
 */
import type { Hono } from 'hono'
import type { AppEnv } from '../http/context'
import { bunIdleSeconds, rearmOnBodyProgress } from './idle-timeout'

export interface TlsFiles {
  cert: string
  key: string
}

export interface ListenOptions {
  address: string
  port: number
  /** Seconds without any byte moving before a connection is closed (at most 251; 0: never). */
  idleTimeoutSeconds: number
  tls?: TlsFiles
}

export interface RunningServer {
  url: string
  port: number
  /**
   * Serves new connections with the certificate and key now in the files; in-flight requests
   * finish on the old listener. Throws (keeping the current ones) when the pair is unusable.
   */
  reloadTls(tls: TlsFiles): Promise<void>
  /** Serves every request from now on with this app (a reloaded configuration). */
  replaceApp(app: Hono<AppEnv>): void
  /** Stops accepting, waits for in-flight requests (or closes them when `force`). */
  stop(force?: boolean): Promise<void>
}

async function readTls(tls: TlsFiles): Promise<{ cert: string; key: string }> {
  const [cert, key] = await Promise.all([Bun.file(tls.cert).text(), Bun.file(tls.key).text()])
  // Throws on a malformed file or a key that does not match the certificate. Imported here, so a
  // registry without TLS never loads node:tls (idle memory).
  const { createSecureContext } = await import('node:tls')
  createSecureContext({ cert, key })
  return { cert, key }
}

export async function listen(app: Hono<AppEnv>, options: ListenOptions): Promise<RunningServer> {
  let serving = app
  const idleTimeout = bunIdleSeconds(options.idleTimeoutSeconds)
  const bind = (port: number, tls: { cert: string; key: string } | undefined) =>
    Bun.serve({
      hostname: options.address,
      port,
      fetch: (request, server) => {
        rearmOnBodyProgress(request, server, idleTimeout)
        // Through a variable, so a reload swaps the app under open connections.
        return serving.fetch(request, server)
      },
      // Bun shares ports between processes by default (SO_REUSEPORT): a second registry on the
      // same address would silently receive half the traffic. Refuse instead.
      reusePort: false,
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout,
      development: false,
      ...(tls && { tls }),
    })
  let current = bind(options.port, options.tls && (await readTls(options.tls)))
  const port = current.port ?? options.port
  const retiring: Promise<void>[] = []
  return {
    url: current.url.toString().replace(/\/$/, ''),
    port,
    async reloadTls(files) {
      const tls = await readTls(files)
      const previous = current
      // stop() closes the listening socket at once and lets open requests finish.
      retiring.push(previous.stop(false))
      current = bind(port, tls)
    },
    replaceApp(next) {
      serving = next
    },
    async stop(force = false) {
      await Promise.all([current.stop(force), ...retiring])
    },
  }
}
