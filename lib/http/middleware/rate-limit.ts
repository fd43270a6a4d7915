/**
 * @module
 * zot's `http.ratelimit` (docs/zot-compatibility.md 2.3): `rate` requests per second per client,
 * and `methods[].rate` for one method, as token buckets whose burst is one second's worth (what
 * zot's limiter allows). Beyond them: 429 TOOMANYREQUESTS with `Retry-After`, in the spec's error
 * body (zot answers plain text). A client is its network (client-address.ts: an IPv6 /64 counts
 * once). zot keys its buckets by path too, so one client could spread requests over many blobs;
 * here a client has one bucket. Health probes are never limited: a refused kubelet probe would
 * restart a registry that is only busy.
 */
import { createMiddleware } from 'hono/factory'
import { RegistryError } from '../../errors/registry-error'
import { Lru } from '../../cache/lru'
import { clientAddress, clientNetwork } from '../client-address'
import type { AppEnv } from '../context'
import { HEALTH_PATHS } from '../health'

export interface RateLimitOptions {
  /** Requests per second per client, any method. */
  rate?: number | undefined
  /** Requests per second per client for one method. */
  methods: { method: string; rate: number }[]
}

/** Buckets kept at most: memory stays bounded whatever the number of clients. An evicted
 * bucket is the least recently used; a client returning starts with a full one. */
const MAX_BUCKETS = 10_000

const UNLIMITED_PATHS: ReadonlySet<string> = new Set(Object.values(HEALTH_PATHS))

interface Bucket {
  tokens: number
  at: number
}

/** One rate's buckets, one per client. */
class TokenBuckets {
  private readonly buckets = new Lru<string, Bucket>(MAX_BUCKETS)

  constructor(private readonly perSecond: number) {}

  /** Takes a token for `client`; the seconds to wait when there is none. */
  take(client: string, now: number): number | undefined {
    const last = this.buckets.get(client)
    const refilled = last
      ? Math.min(this.perSecond, last.tokens + ((now - last.at) / 1000) * this.perSecond)
      : this.perSecond
    if (refilled < 1) {
      this.buckets.set(client, { tokens: refilled, at: now })
      return (1 - refilled) / this.perSecond
    }
    this.buckets.set(client, { tokens: refilled - 1, at: now })
    return undefined
  }
}

/** The limiter, or undefined when the configuration sets no rate. */
export function rateLimit(options: RateLimitOptions) {
  const overall = options.rate ? new TokenBuckets(options.rate) : undefined
  const perMethod = new Map(options.methods.map(({ method, rate }) => [method.toUpperCase(), new TokenBuckets(rate)]))
  if (!overall && perMethod.size === 0) return undefined
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    if (UNLIMITED_PATHS.has(c.req.path)) return next()
    const address = clientAddress(c)
    const client = address ? clientNetwork(address) : 'in-process'
    const now = performance.now()
    const waits = [overall?.take(client, now), perMethod.get(c.req.method)?.take(client, now)]
    const wait = Math.max(...waits.map((seconds) => seconds ?? 0))
    if (wait === 0) return next()
    throw new RegistryError('TOOMANYREQUESTS', {
      detail: { description: 'request rate limit (http.ratelimit) exceeded; retry later' },
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(wait))) },
    })
  })
}
