/**
 * @module
 * `zot sync warm`'s client of the running server: the distribution API over HTTP(S), Basic
 * credentials or the token dance (upstream-auth.ts, as the sync client speaks it), and the
 * server's own error messages in what it throws, so "no sync rule covers library/nginx" reaches
 * the user instead of a bare 404. Warming goes through the server's API, never behind its back:
 * it works alike for local disk and S3, replicas and every auth setup, and local storage keeps
 * one writer.
 */
import { digestOf, parseDigest, createHasher } from '../../oci/digest'
import { MAX_MANIFEST_BYTES, parseManifest, type ManifestInfo } from '../../oci/manifest'
import type { Credentials } from '../upstream/credentials'
import type { UpstreamTls } from '../upstream/tls'
import { UpstreamAuth } from '../upstream/upstream-auth'
import { MANIFEST_ACCEPT } from '../upstream/upstream-source'
import { watchBody } from '../upstream/body-watchdog'

export interface ServerClientOptions {
  /** `http(s)://host:port` of the server. */
  url: string
  credentials?: Credentials
  tls: UpstreamTls
  /** Longest wait for response headers, and for a body byte (the server waits on upstreams). */
  idleMs: number
  signal?: AbortSignal
}

export interface ServerManifest {
  digest: string
  info: ManifestInfo
}

/** The server did not answer at all (refused, no route, TLS failure). */
export class ServerUnreachableError extends Error {}

export class ServerClient {
  private readonly auth: UpstreamAuth
  private readonly session: Bun.FetchSession

  constructor(private readonly options: ServerClientOptions) {
    this.session = new Bun.FetchSession({ tls: options.tls })
    this.auth = new UpstreamAuth({
      credentials: async () => options.credentials,
      fetch: (url, init) => this.session.fetch(url, init),
    })
  }

  /**
   * Resolves once `GET /v2/` answers as a registry does. Without credentials a 401 is fine: the
   * base route always asks, while pulls may still be open to anonymous users.
   */
  async check(): Promise<void> {
    const { response } = await this.request('/v2/', undefined, {})
    await response.body?.cancel()
    if (response.status === 401 && this.options.credentials)
      throw new Error(`${this.options.url} refused the credentials (401)`)
    if (!response.ok && response.status !== 401)
      throw new Error(`${this.options.url}/v2/ answered ${response.status}: not a registry API`)
  }

  /** A manifest, its bytes checked against the digest asked for or announced. */
  async manifest(repository: string, reference: string): Promise<ServerManifest> {
    const sent = await this.request(`/v2/${repository}/manifests/${reference}`, scopeOf(repository), {
      Accept: MANIFEST_ACCEPT,
    })
    const { response } = sent
    if (!response.ok) throw await failure(response, !this.options.credentials)
    const declared = Number(response.headers.get('Content-Length') ?? '0')
    if (declared > MAX_MANIFEST_BYTES)
      throw new Error(`the manifest is ${declared} bytes, more than a manifest may have`)
    const bytes = new Uint8Array(await new Response(this.watched(sent, `manifest ${reference}`)).arrayBuffer())
    const expected = parseDigest(reference) ?? parseDigest(response.headers.get('Docker-Content-Digest') ?? '')
    const digest = digestOf(bytes, expected?.algorithm ?? 'sha256')
    if (expected && expected.value !== digest)
      throw new Error(`the manifest's digest is ${digest}, not ${expected.value}`)
    return { digest, info: parseManifest(bytes, response.headers.get('Content-Type') ?? '') }
  }

  /** Reads a whole blob, hashing it; `onBytes` is told of each chunk. Throws unless it verifies. */
  async blob(repository: string, digest: string, size: number, onBytes: (bytes: number) => void): Promise<void> {
    const sent = await this.request(`/v2/${repository}/blobs/${digest}`, scopeOf(repository), {})
    if (!sent.response.ok) throw await failure(sent.response, !this.options.credentials)
    const hasher = createHasher(parseDigest(digest)?.algorithm)
    let received = 0
    for await (const chunk of this.watched(sent, `blob ${digest}`)) {
      hasher.update(chunk)
      received += chunk.byteLength
      onBytes(chunk.byteLength)
    }
    const actual = hasher.digest()
    if (actual !== digest || received !== size)
      throw new Error(`blob ${digest}: received ${received} bytes hashing to ${actual} (expected ${size} bytes)`)
  }

  /** Sends a GET with what earlier challenges taught; answers a challenge once. */
  private async request(path: string, scope: string | undefined, headers: Record<string, string>): Promise<Sent> {
    let challenged = false
    for (;;) {
      const authorization = await this.auth.authorization(scope)
      const sent = await this.send(path, { ...headers, ...(authorization && { Authorization: authorization }) })
      if (sent.response.status !== 401 || challenged) return sent
      challenged = true
      const challenge = sent.response.headers.get('WWW-Authenticate')
      await sent.response.body?.cancel()
      if (!(await this.auth.challenged(challenge, scope, authorization !== undefined))) return this.send(path, headers)
    }
  }

  /** One GET; only the wait for its headers is bounded here (the body by `watched`). */
  private async send(path: string, headers: Record<string, string>): Promise<Sent> {
    const { url, idleMs, signal } = this.options
    const cut = new AbortController()
    const timer = setTimeout(() => cut.abort(), idleMs)
    try {
      const response = await this.session.fetch(`${url}${path}`, {
        headers: { 'User-Agent': 'zot-sync-warm', ...headers },
        signal: signal ? AbortSignal.any([signal, cut.signal]) : cut.signal,
      })
      return { response, abort: () => cut.abort() }
    } catch (error) {
      if (signal?.aborted) throw error
      const reason = cut.signal.aborted ? `no answer in ${idleMs / 1000} s` : (error as Error).message
      throw new ServerUnreachableError(`cannot reach ${url}: ${reason}`, { cause: error })
    } finally {
      clearTimeout(timer)
    }
  }

  /** The body, failing once it stalls for `idleMs`. */
  private watched({ response, abort }: Sent, what: string): ReadableStream<Uint8Array> {
    return watchBody(response.body ?? new Blob([]).stream(), {
      idleMs: this.options.idleMs,
      what,
      onEnd: () => {},
      onFailure: () => {},
      abort,
    })
  }
}

interface Sent {
  response: Response
  /** Cuts the transfer. */
  abort(): void
}

const scopeOf = (repository: string): string => `repository:${repository}:pull`

/** The server's error as a sentence, and what to do about a 401 without credentials. */
async function failure(response: Response, anonymous: boolean): Promise<Error> {
  const error = await serverError(response)
  if (response.status !== 401 || !anonymous) return error
  return new Error(`${error.message}; the server asks for credentials: --username NAME --password-stdin`)
}

/** Status, code, message, the detail's description and what upstreams said. */
async function serverError(response: Response): Promise<Error> {
  const text = await response.text().catch(() => '')
  try {
    const parsed = JSON.parse(text) as { errors?: ServerError[] }
    const first = parsed.errors?.[0]
    if (first) {
      const detail = typeof first.detail === 'string' ? { description: first.detail } : (first.detail ?? {})
      const upstreams = Array.isArray(detail.upstreams) ? ` (${detail.upstreams.join('; ')})` : ''
      const parts = [`${response.status} ${first.code ?? ''}`.trim(), first.message, detail.description]
      return new Error(`${parts.filter(Boolean).join(': ')}${upstreams}`)
    }
  } catch {
    // Not the registry's JSON: the status says enough.
  }
  return new Error(`${response.status} ${response.statusText}`.trim())
}

interface ServerError {
  code?: string
  message?: string
  detail?: string | { description?: string; upstreams?: unknown[] }
}
