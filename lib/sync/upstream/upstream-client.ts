/**
 * @module
 * HTTP to one upstream registry entry: its URLs in order (the first is primary, the rest take
 * over when it fails), token authentication per URL, redirects followed by hand so
 * `Authorization` never leaves the registry's origin (registry.k8s.io and Docker Hub redirect
 * blobs to CDNs: containers/image#641), `reqConcurrent`/`reqPerSec`, retries with exponential
 * back-off, and a circuit breaker per URL. Upstream `Retry-After` opens the breaker for that long;
 * Docker Hub's `ratelimit-remaining: 0` opens it before the 429 comes.
 *
 * Only availability is judged here: 2xx-4xx responses (except 429) come back to the caller as
 * they are, so a 404 is an answer, not a failure.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../../log/logger'
import { CircuitBreaker } from './circuit-breaker'
import type { ResolvedRegistry } from '../config'
import type { Credentials } from './credentials'
import { hostKey } from './hosts'
import { RequestLimiter } from './request-limiter'
import type { UpstreamTls } from './tls'
import { UpstreamAuth } from './upstream-auth'
import { watchBody } from './body-watchdog'
import { UpstreamError } from './upstream-error'

export interface UpstreamRequest {
  method: 'GET' | 'HEAD'
  /** `/v2/...` with query. */
  path: string
  /** Token scope, e.g. `repository:library/alpine:pull`. */
  scope?: string
  headers?: Record<string, string>
  /** The caller's cancellation (an idle-body watchdog, a stopping periodic job). */
  signal?: AbortSignal
}

type FetchLike = (url: string, init: RequestInit) => Promise<Response>

export interface UpstreamClientOptions {
  registry: ResolvedRegistry
  credentials: (host: string) => Promise<Credentials | undefined>
  /** The upstream refused the credentials of `host`; true when new ones will be used. */
  credentialsRefused?: (host: string) => boolean
  tls: Promise<UpstreamTls>
  logger: Logger
}

interface Endpoint {
  url: string
  origin: string
  breaker: CircuitBreaker
}

/** The last response of a redirect chain, and where it came from. */
interface Hop {
  response: Response
  origin: string
  authorized: boolean
  /** Cuts the transfer (a body that stalls). */
  abort: () => void
}

const MAX_REDIRECTS = 10
const USER_AGENT = 'zot-bun-sync'

/** Parses Retry-After (seconds or an HTTP date) into ms from now. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Docker Hub's `ratelimit-remaining: 0;w=21600`: out of pulls for the window. */
const rateLimitExhausted = (headers: Headers): boolean => /^\s*0\s*(;|$)/.test(headers.get('ratelimit-remaining') ?? '')

export class UpstreamClient {
  /** The primary URL, naming the upstream in logs and errors. */
  readonly name: string
  private readonly endpoints: Endpoint[]
  private readonly limiter: RequestLimiter
  private readonly session: Promise<FetchLike>
  /** Token state per origin: a redirect target (pkg.dev behind registry.k8s.io) has its own. */
  private readonly auths = new Map<string, UpstreamAuth>()

  constructor(private readonly options: UpstreamClientOptions) {
    const { registry } = options
    this.name = registry.urls[0] ?? '(no url)'
    this.limiter = new RequestLimiter(registry.reqConcurrent, registry.reqPerSec)
    this.session = options.tls.then((tls) => {
      const session = new Bun.FetchSession({ tls })
      return (url, init) => session.fetch(url, init)
    })
    // Unreadable TLS files are reported by whoever loaded them; each request fails with the error.
    this.session.catch(() => {})
    this.endpoints = registry.urls.map((url) => ({
      url,
      origin: new URL(url).origin,
      breaker: new CircuitBreaker({ cooldown: Math.max(registry.retryDelay, 10_000) }),
    }))
  }

  /** Milliseconds until some URL of this upstream may be tried (0: one may be tried now). */
  unavailableFor(): number {
    return Math.min(...this.endpoints.map((endpoint) => endpoint.breaker.remaining()))
  }

  /**
   * Sends the request to the first URL that answers; throws UpstreamError when none does. The
   * body is the caller's to stream: it errors with an `unavailable` UpstreamError once it stalls
   * for `responseHeaderTimeout` or breaks off.
   */
  send(request: UpstreamRequest): Promise<Response> {
    return this.exchange(request, async (response) => response)
  }

  /**
   * Sends the request and reads the answer with `read` (a manifest, a tag list: small bodies
   * read whole) within `responseHeaderTimeout` of its headers. A body that stalls, breaks off or
   * comes too slowly is a failure of that URL: its breaker counts it and the next URL is tried.
   */
  async exchange<T>(request: UpstreamRequest, read: (response: Response) => Promise<T>): Promise<T> {
    const { maxRetries, retryDelay, maxRetryDelay } = this.options.registry
    let lastError: UpstreamError | undefined
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      const backOff = Math.min(retryDelay * 2 ** (attempt - 1), maxRetryDelay)
      // A cancellation ends the wait early (a 5 m retryDelay must not hold up a stop); the check
      // below then gives up.
      if (attempt > 0) await sleep(backOff, undefined, { signal: request.signal }).catch(() => {})
      let tried = false
      for (const endpoint of this.endpoints) {
        if (request.signal?.aborted) throw new UpstreamError('unavailable', `${this.name}: cancelled`)
        if (!endpoint.breaker.tryAcquire()) {
          const seconds = Math.ceil(endpoint.breaker.remaining() / 1000)
          const message = `${endpoint.url} is failing; next try in ${seconds} s`
          lastError ??= new UpstreamError('unavailable', message)
          continue
        }
        tried = true
        try {
          return await this.readWithin(endpoint, request, await this.sendTo(endpoint, request), read)
        } catch (error) {
          // What `read` decided about the content (not found, invalid) is the caller's answer.
          if (!(error instanceof UpstreamError) || error.kind !== 'unavailable') throw error
          lastError = error
          this.options.logger.debug('sync: upstream request failed', {
            upstream: endpoint.url,
            path: request.path,
            error: lastError.message,
          })
        }
      }
      // Every breaker open, or told to come back later than we would retry: retrying cannot help.
      if (!tried || (lastError?.retryAfter ?? 0) > maxRetryDelay) break
    }
    throw lastError ?? new UpstreamError('unavailable', `${this.name}: no URL configured`)
  }

  private async sendTo(endpoint: Endpoint, request: UpstreamRequest): Promise<Response> {
    let hop: Hop
    let release: (() => void) | undefined
    try {
      release = await this.limiter.acquire(request.signal)
      hop = await this.follow(endpoint, request)
      if (hop.response.status === 401) {
        const challenge = hop.response.headers.get('WWW-Authenticate')
        const scope = scopeAt(endpoint, hop.origin, request)
        if (await this.authFor(hop.origin).challenged(challenge, scope, hop.authorized)) {
          await hop.response.body?.cancel()
          hop = await this.follow(endpoint, request)
        }
      }
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError'
      const cancelled = request.signal?.aborted === true
      // A refused token still proves the upstream is there; a cancellation proves nothing.
      if (cancelled || (error instanceof UpstreamError && error.kind !== 'unavailable')) endpoint.breaker.success()
      else endpoint.breaker.failure(timedOut ? 'timeout' : 'error')
      if (error instanceof UpstreamError) throw error
      if (cancelled) throw new UpstreamError('unavailable', `${endpoint.url}: cancelled`, { cause: error })
      throw new UpstreamError(
        'unavailable',
        `${endpoint.url}: ${timedOut ? 'no response in time' : (error as Error).message}`,
        { cause: error },
      )
    } finally {
      release?.()
    }
    return this.judge(endpoint, request, hop)
  }

  /** Decides whether a response counts against the upstream's availability. */
  private async judge(endpoint: Endpoint, request: UpstreamRequest, hop: Hop): Promise<Response> {
    const { response } = hop
    const retryAfter = retryAfterMs(response.headers.get('Retry-After'))
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel()
      endpoint.breaker.failure(response.status === 429 ? 'rate-limited' : 'error', retryAfter)
      throw new UpstreamError(
        'unavailable',
        `${endpoint.url} answered ${response.status} to ${request.method} ${request.path}`,
        {
          status: response.status,
          ...(retryAfter !== undefined && { retryAfter }),
        },
      )
    }
    // Only a successful GET's body is read (others are cancelled): it goes through the watchdog.
    const readable = request.method === 'GET' && response.ok && response.body !== null
    const exhausted = rateLimitExhausted(response.headers)
    if (exhausted) {
      this.options.logger.warn('sync: upstream rate limit exhausted; serving cached content only for a while', {
        upstream: endpoint.url,
      })
      endpoint.breaker.failure('rate-limited', retryAfter ?? 60_000)
    } else if (readable) {
      // Up, but whether the body comes whole is still open: the watchdog settles the count.
      endpoint.breaker.answered()
    } else {
      endpoint.breaker.success()
    }
    return readable ? this.watched(endpoint, request, hop, !exhausted) : response
  }

  /**
   * The response with its body read through the idle watchdog, which reports to the breaker: a
   * body that stalls or breaks is a failure, one that comes whole a success (unless the upstream
   * already said it is out of quota).
   */
  private watched(endpoint: Endpoint, request: UpstreamRequest, { response, abort }: Hop, judged: boolean): Response {
    const body = watchBody(response.body!, {
      idleMs: this.options.registry.responseHeaderTimeout,
      what: `${endpoint.url} GET ${request.path}`,
      onEnd: () => judged && endpoint.breaker.success(),
      // Our own cancellation (a stop, syncTimeout) cuts the body too and proves nothing.
      onFailure: (kind) => request.signal?.aborted || endpoint.breaker.failure(kind),
      abort,
    })
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }

  /** Runs `read` on a response, bounded by `responseHeaderTimeout` (the body is cut past it). */
  private async readWithin<T>(
    endpoint: Endpoint,
    request: UpstreamRequest,
    response: Response,
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    const limit = this.options.registry.responseHeaderTimeout
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        endpoint.breaker.failure('timeout')
        void response.body?.cancel().catch(() => {})
        reject(new UpstreamError('unavailable', `${endpoint.url} GET ${request.path}: body not read in ${limit} ms`))
      }, limit)
    })
    try {
      return await Promise.race([read(response), late])
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * Follows redirects by hand. Each hop carries only the authorization its own origin issued:
   * the registry's token never reaches a CDN, and a redirect target that challenges us gets a
   * token from its own realm.
   */
  private async follow(endpoint: Endpoint, request: UpstreamRequest): Promise<Hop> {
    let url = endpoint.url + request.path
    let method: string = request.method
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const origin = new URL(url).origin
      const authorization = await this.authFor(origin).authorization(scopeAt(endpoint, origin, request))
      const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...request.headers }
      if (authorization) headers.Authorization = authorization
      const cut = new AbortController()
      const outer = request.signal ? AbortSignal.any([request.signal, cut.signal]) : cut.signal
      const response = await this.withHeaderTimeout(outer, (signal) =>
        this.fetch(url, { method, headers, redirect: 'manual', signal }),
      )
      const location = response.headers.get('Location')
      if (response.status < 300 || response.status > 399 || response.status === 304 || !location) {
        return { response, origin, authorized: authorization !== undefined, abort: () => cut.abort() }
      }
      await response.body?.cancel()
      url = new URL(location, url).toString()
      if (response.status === 303) method = 'GET'
    }
    throw new UpstreamError('unavailable', `${endpoint.url}: more than ${MAX_REDIRECTS} redirects for ${request.path}`)
  }

  private authFor(origin: string): UpstreamAuth {
    let auth = this.auths.get(origin)
    if (!auth) {
      const host = hostKey(new URL(origin).host)
      auth = new UpstreamAuth({
        credentials: () => this.options.credentials(host),
        credentialsRefused: () => this.options.credentialsRefused?.(host) ?? false,
        fetch: (tokenUrl, init) => this.fetchToken(tokenUrl, init),
      })
      this.auths.set(origin, auth)
    }
    return auth
  }

  /** A token request: its headers within the timeout, its body through the idle watchdog. */
  private async fetchToken(url: string, init: RequestInit): Promise<Response> {
    const cut = new AbortController()
    const outer = init.signal ? AbortSignal.any([init.signal, cut.signal]) : cut.signal
    const response = await this.withHeaderTimeout(outer, (signal) => this.fetch(url, { ...init, signal }))
    if (!response.body) return response
    const body = watchBody(response.body, {
      idleMs: this.options.registry.responseHeaderTimeout,
      what: `token ${new URL(url).origin}`,
      onEnd: () => {},
      // The request the token is for fails with it, and its URL's breaker counts that.
      onFailure: () => {},
      abort: () => cut.abort(),
    })
    return new Response(body, { status: response.status, headers: response.headers })
  }

  /** Bounds the wait for response headers only; the body is the caller's to watch. */
  private async withHeaderTimeout<T>(
    outer: AbortSignal | undefined,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController()
    const timer = setTimeout(
      () => controller.abort(new DOMException('no response headers in time', 'TimeoutError')),
      this.options.registry.responseHeaderTimeout,
    )
    const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal
    try {
      return await run(signal)
    } finally {
      clearTimeout(timer)
    }
  }

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    return (await this.session)(url, init)
  }
}

/** Our scope on the registry itself; elsewhere the one the origin's own challenge names. */
const scopeAt = (endpoint: Endpoint, origin: string, request: UpstreamRequest): string | undefined =>
  origin === endpoint.origin ? request.scope : undefined
