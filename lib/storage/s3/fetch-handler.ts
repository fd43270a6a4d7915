/**
 * @module
 * The SDK's HTTP transport on Bun's `fetch` instead of `node:http`. The SDK still builds, signs
 * (SigV4 in headers, from the client's credential chain), retries and parses every request; only
 * the bytes move differently, and that is where the CPU went (issue 19, docs/performance.md "On
 * S3"): a GetObject body is then Bun's own stream, which a response pipes to the client natively,
 * without a JavaScript hop per chunk, and a part upload's bytes are sent by Bun directly. As
 * measured on Bun 1.4.5 against Ceph RGW, a blob GET costs the server a third less CPU, and a
 * 10 MiB PutObject through the SDK 115-160 ms per 100 MB with a signed payload (plain HTTP; about
 * 60 unsigned, client.ts) where node:http took 150-200.
 *
 * Connections come from one `Bun.FetchSession` per client: its own keep-alive pool and TLS
 * settings (`skipverify`), never a proxy from the environment (the SDK's node:http agent used
 * none either), and bodies passed as they are stored (no decompression).
 */
import type { HttpHandlerOptions, HttpRequest, HttpResponse, RequestHandler } from '@smithy/types'

/**
 * No answer (headers) within this long is a dead endpoint: as generous as node:http's idle
 * timeout was. A request's body (an upload part, up to `chunksize`) is sent before the answer,
 * so it adds a second per MiB: a slow uplink still gets its parts through.
 */
const HEADERS_TIMEOUT_MS = 120_000
const BODY_MS_PER_BYTE = 1000 / (1024 * 1024)

export interface FetchHandlerOptions {
  skipVerify: boolean
  /** Idle connections kept per endpoint. */
  maxIdleSockets: number
}

/** RFC 3986 encoding, as SigV4 canonicalizes the query (encodeURIComponent leaves !'()* alone). */
const escapeRfc3986 = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

function queryString(query: HttpRequest['query']): string {
  const parts: string[] = []
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === null) parts.push(escapeRfc3986(name))
    else
      for (const one of Array.isArray(value) ? value : [value])
        parts.push(`${escapeRfc3986(name)}=${escapeRfc3986(one)}`)
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`
}

/** Bun's names of socket failures, as node:http names them: the codes the SDK's retries know. */
const NODE_ERROR_CODES: Record<string, string> = {
  ConnectionRefused: 'ECONNREFUSED',
  ConnectionClosed: 'ECONNRESET',
  ConnectionReset: 'ECONNRESET',
}

function withNodeErrorCode(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code
  const nodeCode = typeof code === 'string' ? NODE_ERROR_CODES[code] : undefined
  return nodeCode ? Object.assign(error as object, { code: nodeCode }) : error
}

export class BunFetchHandler implements RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions> {
  private readonly session: Bun.FetchSession

  constructor(options: FetchHandlerOptions) {
    this.session = new Bun.FetchSession({
      tls: { rejectUnauthorized: !options.skipVerify },
      proxy: false,
      keepAlive: { maxIdleSockets: options.maxIdleSockets },
    })
  }

  async handle(request: HttpRequest, { abortSignal }: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    const port = request.port ? `:${request.port}` : ''
    const url = `${request.protocol}//${request.hostname}${port}${request.path}${queryString(request.query)}`
    const headers = { ...request.headers }
    // Bun's client sends the body at once; it never waits for a 100 Continue.
    delete headers.expect
    delete headers.Expect
    const body =
      request.method !== 'GET' && request.method !== 'HEAD'
        ? (request.body as Uint8Array | string | undefined)
        : undefined
    const waitMs = HEADERS_TIMEOUT_MS + (body?.length ?? 0) * BODY_MS_PER_BYTE
    const timeout = new AbortController()
    const timer = setTimeout(() => {
      const error = new Error(`no answer from ${request.hostname} within ${Math.round(waitMs)} ms`)
      // The name the SDK retries, and errors.ts reports as an unreachable endpoint.
      timeout.abort(Object.assign(error, { name: 'TimeoutError' }))
    }, waitMs)
    const signal = abortSignal ? AbortSignal.any([abortSignal as AbortSignal, timeout.signal]) : timeout.signal
    try {
      const response = await this.session.fetch(url, {
        method: request.method,
        headers,
        ...(body != null ? { body } : {}),
        signal,
        decompress: false,
        redirect: 'manual',
      })
      const responseHeaders: Record<string, string> = {}
      response.headers.forEach((value, name) => {
        responseHeaders[name] = value
      })
      const output: HttpResponse = {
        statusCode: response.status,
        reason: response.statusText,
        headers: responseHeaders,
        body: response.body ?? new Uint8Array(0),
      }
      return { response: output }
    } catch (error) {
      throw withNodeErrorCode(error)
    } finally {
      clearTimeout(timer)
    }
  }

  updateHttpClientConfig(): void {}

  httpHandlerConfigs(): Record<string, never> {
    return {}
  }

  destroy(): void {
    this.session.close()
  }
}
