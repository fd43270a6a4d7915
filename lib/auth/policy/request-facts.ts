/**
 * @module
 * The facts about a request that policy conditions see (conditions.ts `RequestFacts`), read from
 * the hono context. `clientIp` is the TCP peer, as in zot (`RemoteAddr` without the port): behind
 * a reverse proxy that is the proxy. No header moves it; X-Forwarded-For is offered separately,
 * as `req.client.forwardedFor`, for conditions that first check the peer is a trusted proxy. An
 * IPv4 peer on a dual-stack listener is written as plain IPv4 (`10.0.0.5`, not `::ffff:10.0.0.5`),
 * as Go writes it.
 */
import type { Context } from 'hono'
import { clientAddress } from '../../http/client-address'
import type { AppEnv } from '../../http/context'
import { MAX_FORWARDED, MAX_USER_AGENT, type RequestFacts } from './conditions'

const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i

/** X-Forwarded-For's entries, left to right, blanks dropped, at most MAX_FORWARDED. */
function forwardedFor(header: string | undefined): string[] {
  if (!header) return []
  const entries: string[] = []
  for (const entry of header.split(',', MAX_FORWARDED * 2)) {
    const trimmed = entry.trim()
    if (trimmed !== '') entries.push(trimmed)
    if (entries.length === MAX_FORWARDED) break
  }
  return entries
}

/** Whether the request reached the registry over TLS (directly, or through the client-certificate terminator). */
function overTls(c: Context<AppEnv>): boolean {
  const env: unknown = c.env
  const terminated = typeof env === 'object' && env !== null && 'tls' in env && env.tls === true
  return terminated || c.req.url.startsWith('https:')
}

/**
 * The request's facts for policy conditions.
 *
 * @example
 * access.decide(principal, 'read', 'app', { facts: requestFacts(c) })
 */
export function requestFacts(c: Context<AppEnv>): RequestFacts {
  const peer = clientAddress(c) ?? ''
  return {
    method: c.req.method,
    userAgent: (c.req.header('user-agent') ?? '').slice(0, MAX_USER_AGENT),
    clientIp: IPV4_MAPPED.exec(peer)?.[1] ?? peer,
    forwardedFor: forwardedFor(c.req.header('x-forwarded-for')),
    // Bun does not tell which TLS version a connection negotiated: `req.tls.version` stays "".
    tls: { enabled: overTls(c), version: '' },
  }
}
