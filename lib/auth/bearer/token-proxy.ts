/**
 * @module
 * zot's `bearer.upstreamTokenEndpoint`: in a deployment mixing workload identity with a token
 * server (`cert`), there is one `realm` in the challenge, so it names this registry's
 * `/zot/auth/token`, and token requests whose credentials no local issuer owns are forwarded to
 * the token server. As in zot: the method, headers (less hop-by-hop ones), query and body are kept,
 * only `service` is rewritten (in the query, and in a form body) to `upstreamTokenEndpoint.service`;
 * redirects are not followed; the answer (status, headers, body) goes back as it came, streamed.
 * A token server that cannot be reached is 502. `verify-config` requires an https realm unless
 * `allowInsecureHttp`.
 */
import type { Context } from 'hono'
import { RegistryError } from '../../errors/registry-error'
import type { AppEnv } from '../../http/context'
import type { Logger } from '../../log/logger'

export interface UpstreamTokenEndpoint {
  realm: string
  service: string
}

/** Headers that belong to one connection, never forwarded (zot's list). */
const HOP_BY_HOP = new Set([
  'connection',
  'content-length',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // Bun's fetch decompresses; the length and encoding of what it hands over are its own.
  'content-encoding',
])

/** How long the token server may take to answer. */
const UPSTREAM_TIMEOUT_MS = 30_000

function forwardable(headers: Headers): Headers {
  const named = new Set(
    (headers.get('Connection') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  )
  const copy = new Headers()
  for (const [name, value] of headers) {
    if (!HOP_BY_HOP.has(name) && !named.has(name) && name !== 'host') copy.append(name, value)
  }
  return copy
}

/**
 * Forwards a token request; `form` is the request's form body when it had one (already read).
 *
 * @throws RegistryError UNSUPPORTED (502) when the token server cannot be reached
 */
export async function forwardTokenRequest(
  c: Context<AppEnv>,
  upstream: UpstreamTokenEndpoint,
  form: URLSearchParams | undefined,
  logger?: Logger,
): Promise<Response> {
  const url = new URL(upstream.realm)
  for (const key of new Set(new URL(c.req.url).searchParams.keys())) url.searchParams.delete(key)
  for (const [key, value] of new URL(c.req.url).searchParams) url.searchParams.append(key, value)
  url.searchParams.set('service', upstream.service)
  form?.set('service', upstream.service)
  const body = form ? form.toString() : ['GET', 'HEAD'].includes(c.req.method) ? undefined : c.req.raw.body
  try {
    const answer = await fetch(url, {
      method: c.req.method,
      headers: forwardable(c.req.raw.headers),
      ...(body !== undefined && { body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
    })
    return new Response(answer.body, { status: answer.status, headers: forwardable(answer.headers) })
  } catch (error) {
    logger?.error('token request could not be forwarded', { upstream: url.origin, error: (error as Error).message })
    throw new RegistryError('UNSUPPORTED', { status: 502, detail: { reason: 'failed to proxy token request' } })
  }
}
