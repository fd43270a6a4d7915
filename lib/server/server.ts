/**
 * @module
 * Runs the hono app on Bun.serve. Blob bodies stream in both directions, so the body-size limit
 * is lifted; the idle timeout cuts only connections on which nothing moves (a long transfer that
 * is still moving is never cut: zot issue #4079; see idle-timeout.ts for what that takes). New
 * TLS material is applied by rebinding the listener: Bun's `server.reload()` keeps the old
 * certificate. With `http.tls.cacert`, TLS is terminated by `node:tls` in front of a loopback
 * HTTP server instead, so that client certificates reach the app (client-certificates.ts).
 */
import type { Server } from 'bun'
import type { Hono } from 'hono'
import type { AppEnv } from '../http/context'
import type { Terminator, TlsMaterial } from './client-certificates'
import { bunIdleSeconds, rearmOnBodyProgress } from './idle-timeout'

export interface TlsFiles {
  cert: string
  key: string
  /** `http.tls.cacert`: clients may present certificates, which must be signed by this CA. */
  cacert?: string
}

/**
 * What the app gets as `c.env` behind the client-certificate terminator: the client's own
 * address (not the loopback hop's) and its verified certificate. Read it with `clientCertificateOf`.
 */
export interface PeerEnv {
  requestIP(request: Request): { address: string; port: number; family: 'IPv4' | 'IPv6' } | null
  clientCertificate?: Buffer
  /** The client's connection is TLS (the loopback hop behind the terminator is not). */
  tls: true
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

async function readTls(tls: TlsFiles): Promise<{ cert: string; key: string; ca?: string }> {
  const [cert, key, ca] = await Promise.all([
    Bun.file(tls.cert).text(),
    Bun.file(tls.key).text(),
    tls.cacert ? Bun.file(tls.cacert).text() : undefined,
  ])
  // Throws on a malformed file or a key that does not match the certificate. Imported here, so a
  // registry without TLS never loads node:tls (idle memory).
  const { createSecureContext } = await import('node:tls')
  createSecureContext({ cert, key, ...(ca !== undefined && { ca }) })
  return { cert, key, ...(ca !== undefined && { ca }) }
}

/** `c.env` for a request that came through the terminator. */
function peerEnv(request: Request, server: Server<undefined>, terminator: Terminator): PeerEnv {
  const loopback = server.requestIP(request)
  const peer = loopback ? terminator.peer(loopback.port) : undefined
  return {
    requestIP: () => (peer ? { address: peer.address, port: peer.port, family: peer.family } : null),
    tls: true,
    ...(peer?.certificate && { clientCertificate: peer.certificate }),
  }
}

/**
 * Serves TLS with client certificates: the terminator on the public address, the HTTP server on
 * a loopback port behind it (client-certificates.ts says why).
 */
async function listenBehindTerminator(
  bind: (port: number, terminator?: () => Terminator) => Server<undefined>,
  options: ListenOptions,
  material: TlsMaterial,
): Promise<Omit<RunningServer, 'replaceApp'>> {
  const { startTerminator } = await import('./client-certificates')
  let terminator: Terminator | undefined
  const http = bind(0, () => terminator as Terminator)
  try {
    terminator = await startTerminator({
      address: options.address,
      port: options.port,
      material,
      upstreamPort: http.port ?? 0,
    })
  } catch (error) {
    await http.stop(true)
    throw error
  }
  const running = terminator
  const host = options.address.includes(':') ? `[${options.address}]` : options.address
  return {
    url: `https://${host}:${running.port}`,
    port: running.port,
    async reloadTls(files) {
      const tls = await readTls(files)
      running.setMaterial({ ...tls, ca: tls.ca ?? material.ca })
    },
    async stop(force = false) {
      await Promise.all([running.stop(force), http.stop(force)])
    },
  }
}

export async function listen(app: Hono<AppEnv>, options: ListenOptions): Promise<RunningServer> {
  let serving = app
  const idleTimeout = bunIdleSeconds(options.idleTimeoutSeconds)
  const bind = (port: number, tls: { cert: string; key: string } | undefined, terminator?: () => Terminator) =>
    Bun.serve({
      hostname: terminator ? '127.0.0.1' : options.address,
      port,
      fetch: (request, server) => {
        rearmOnBodyProgress(request, server, idleTimeout)
        // Through a variable, so a reload swaps the app under open connections.
        return serving.fetch(request, terminator ? peerEnv(request, server, terminator()) : server)
      },
      // Bun shares ports between processes by default (SO_REUSEPORT): a second registry on the
      // same address would silently receive half the traffic. Refuse instead.
      reusePort: false,
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout,
      development: false,
      ...(tls && { tls }),
    })
  const material = options.tls && (await readTls(options.tls))
  if (material?.ca !== undefined) {
    const behind = await listenBehindTerminator((port, terminator) => bind(port, undefined, terminator), options, {
      ...material,
      ca: material.ca,
    })
    return { ...behind, replaceApp: (next) => void (serving = next) }
  }
  let current = bind(options.port, material)
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
