/**
 * @module
 * An upstream registry as a ContentSource: the read interface local storage implements, spoken
 * over the distribution API (serverless-registry's pattern). The
 * pull-through cache composes it with local storage. Names here are upstream names.
 *
 * Contract as ContentSource: "not there" is the usual RegistryError (MANIFEST_UNKNOWN,
 * BLOB_UNKNOWN, NAME_UNKNOWN); an upstream that cannot answer throws UpstreamError. Manifest
 * bytes are checked against their digest before anyone sees them.
 */
import { RegistryError } from '../../errors/registry-error'
import { digestOf, parseDigest } from '../../oci/digest'
import { MAX_MANIFEST_BYTES, parseManifest, type Descriptor, type ManifestInfo } from '../../oci/manifest'
import { essence, MANIFEST_MEDIA_TYPES, MediaType } from '../../oci/media-types'
import type { ContentSource } from '../../registry/content-source'
import type { UpstreamClient, UpstreamRequest } from './upstream-client'
import { resumingBody } from './resuming-body'
import { UpstreamError } from './upstream-error'

/** Every manifest type we store, so upstreams never convert (or refuse) for lack of Accept. */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerManifestList,
  MediaType.dockerManifest,
].join(', ')
const PAGE_SIZE = 1000
const MAX_PAGES = 1000

export interface FetchedManifest {
  descriptor: Descriptor
  bytes: Uint8Array
  info: ManifestInfo
}

export interface BlobDownload {
  body: ReadableStream<Uint8Array>
  /** From Content-Length; undefined when the upstream streams without one. */
  size: number | undefined
}

const repositoryScope = (repository: string): string => `repository:${repository}:pull`

/** Turns a non-2xx answer into the error its status means. */
async function failure(response: Response, what: string, notFound: () => RegistryError): Promise<Error> {
  await response.body?.cancel()
  if (response.status === 404) return notFound()
  if (response.status === 401 || response.status === 403)
    return new UpstreamError('unauthorized', `${what}: upstream answered ${response.status}`, {
      status: response.status,
    })
  return new UpstreamError('invalid', `${what}: upstream answered ${response.status}`, {
    status: response.status,
  })
}

/** A JSON body; one that does not parse is the upstream's fault (`invalid`), not ours. */
async function readJson(response: Response, what: string): Promise<unknown> {
  const text = await response.text()
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new UpstreamError('invalid', `${what}: the body is not JSON`, { cause: error })
  }
}

async function readLimited(response: Response, limit: number, what: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get('Content-Length') ?? '0')
  if (declared > limit) {
    await response.body?.cancel()
    throw new UpstreamError('invalid', `${what}: ${declared} bytes is more than a manifest may have`)
  }
  const bytes = new Uint8Array(await response.arrayBuffer())
  if (bytes.byteLength > limit) throw new UpstreamError('invalid', `${what}: more bytes than a manifest may have`)
  return bytes
}

export class UpstreamSource implements ContentSource {
  constructor(readonly client: UpstreamClient) {}

  get name(): string {
    return this.client.name
  }

  /**
   * HEAD: what a tag or digest names now, without a download (Docker Hub does not count HEADs).
   * Like every method here, it gives up once `signal` (a stopping job's) is aborted.
   */
  async resolveManifest(repository: string, reference: string, signal?: AbortSignal): Promise<Descriptor> {
    const headers = await this.requestManifest(
      'HEAD',
      repository,
      reference,
      signal,
      async (response) => response.headers,
    )
    const digest = headers.get('Docker-Content-Digest')
    const size = Number(headers.get('Content-Length') ?? Number.NaN)
    const mediaType = essence(headers.get('Content-Type'))
    // Without a digest header the answer says nothing checkable: fall back to the manifest itself.
    if (!digest || !parseDigest(digest) || !Number.isSafeInteger(size) || !MANIFEST_MEDIA_TYPES.has(mediaType)) {
      return (await this.fetchManifest(repository, reference, signal)).descriptor
    }
    return { mediaType, digest, size }
  }

  /**
   * The upstream's successful answer for a manifest, read by `read` (a body that breaks is the
   * URL's failure and the next URL is tried); its failure as an UpstreamError or 404.
   */
  private requestManifest<T>(
    method: 'HEAD' | 'GET',
    repository: string,
    reference: string,
    signal: AbortSignal | undefined,
    read: (response: Response) => Promise<T>,
  ): Promise<T> {
    const request = {
      method,
      path: `/v2/${repository}/manifests/${reference}`,
      scope: repositoryScope(repository),
      headers: { Accept: MANIFEST_ACCEPT },
      signal,
    }
    return this.client.exchange(request, async (response) => {
      if (!response.ok) {
        throw await failure(response, `${this.name}/${repository}:${reference}`, () =>
          manifestUnknown(repository, reference),
        )
      }
      return read(response)
    })
  }

  async openManifest(repository: string, descriptor: Descriptor): Promise<Uint8Array> {
    return (await this.fetchManifest(repository, descriptor.digest)).bytes
  }

  /** GET: the manifest's bytes, verified against the digest asked for or announced. */
  async fetchManifest(repository: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const what = `${this.name}/${repository}:${reference}`
    const { headers, bytes } = await this.requestManifest('GET', repository, reference, signal, async (response) => ({
      headers: response.headers,
      bytes: await readLimited(response, MAX_MANIFEST_BYTES, what),
    }))
    const expected = parseDigest(reference) ?? parseDigest(headers.get('Docker-Content-Digest') ?? '')
    const digest = digestOf(bytes, expected?.algorithm ?? 'sha256')
    if (expected && expected.value !== digest)
      throw new UpstreamError('invalid', `${what}: the manifest's digest is ${digest}, not ${expected.value}`)
    let info: ManifestInfo
    try {
      info = parseManifest(bytes, headers.get('Content-Type') ?? '')
    } catch (error) {
      throw new UpstreamError('invalid', `${what}: ${(error as Error).message}`, { cause: error })
    }
    return {
      descriptor: { mediaType: info.mediaType, digest, size: bytes.byteLength },
      bytes,
      info,
    }
  }

  async statBlob(repository: string, digest: string): Promise<{ size: number } | undefined> {
    const response = await this.send({
      method: 'HEAD',
      path: `/v2/${repository}/blobs/${digest}`,
      scope: repositoryScope(repository),
    })
    if (response.status === 404) return undefined
    if (!response.ok) throw await failure(response, `${this.name}/${repository}@${digest}`, () => blobUnknown(digest))
    const size = Number(response.headers.get('Content-Length') ?? Number.NaN)
    return Number.isSafeInteger(size) ? { size } : undefined
  }

  async openBlob(
    repository: string,
    digest: string,
    range?: { offset: number; length: number },
  ): Promise<ReadableStream<Uint8Array>> {
    return (await this.fetchBlob(repository, digest, { range })).body
  }

  /**
   * GET a blob as a stream; the caller verifies the digest while it reads. A whole blob whose
   * body breaks is continued with Range requests (resuming-body.ts).
   */
  async fetchBlob(
    repository: string,
    digest: string,
    options: { signal?: AbortSignal; range?: { offset: number; length: number } } = {},
  ): Promise<BlobDownload> {
    const { range, signal } = options
    const what = `${this.name}/${repository}@${digest}`
    const response = await this.requestBlob(
      repository,
      digest,
      range && `bytes=${range.offset}-${range.offset + range.length - 1}`,
      signal,
    )
    const declared = response.headers.get('Content-Length')
    const size = declared === null ? undefined : Number(declared)
    if (range) return { body: response.body!, size }
    const rest = async (offset: number): Promise<ReadableStream<Uint8Array> | undefined> => {
      const resumed = await this.requestBlob(repository, digest, `bytes=${offset}-`, signal, true)
      // Nothing left from there: the body had in fact ended (its length was not declared).
      if (resumed.status === 416) return undefined
      // Only the very bytes asked for continue the stream; an upstream that ignores Range cannot.
      if (resumed.status !== 206 || !resumed.headers.get('Content-Range')?.startsWith(`bytes ${offset}-`)) {
        await resumed.body?.cancel()
        throw new UpstreamError('unavailable', `${what}: cannot resume at byte ${offset} (${resumed.status})`)
      }
      return resumed.body!
    }
    return { body: resumingBody(response.body!, size, rest), size }
  }

  /** The upstream's successful answer for a blob (or a range of it, or a 416 when `unsatisfiable`). */
  private async requestBlob(
    repository: string,
    digest: string,
    range: string | undefined,
    signal: AbortSignal | undefined,
    unsatisfiable = false,
  ): Promise<Response> {
    const response = await this.send({
      method: 'GET',
      path: `/v2/${repository}/blobs/${digest}`,
      scope: repositoryScope(repository),
      headers: range ? { Range: range } : {},
      ...(signal && { signal }),
    })
    if (unsatisfiable && response.status === 416) {
      await response.body?.cancel()
      return response
    }
    if (!response.ok || !response.body)
      throw await failure(response, `${this.name}/${repository}@${digest}`, () => blobUnknown(digest))
    return response
  }

  async listTags(repository: string, signal?: AbortSignal): Promise<string[]> {
    const tags = await this.paginate(
      `/v2/${repository}/tags/list?n=${PAGE_SIZE}`,
      repositoryScope(repository),
      'tags',
      () => new RegistryError('NAME_UNKNOWN', { detail: { name: repository } }),
      signal,
    )
    return [...new Set(tags)].sort()
  }

  /** Every repository the upstream lists (Docker Hub has no catalog: NAME_UNKNOWN/401 there). */
  async catalog(signal?: AbortSignal): Promise<string[]> {
    return this.paginate(
      `/v2/_catalog?n=${PAGE_SIZE}`,
      'registry:catalog:*',
      'repositories',
      () =>
        new RegistryError('UNSUPPORTED', {
          detail: { description: `${this.name} has no catalog` },
        }),
      signal,
    )
  }

  /** The referrers API, else the referrers tag schema (`sha256-<hex>`), else none. */
  async listReferrers(
    repository: string,
    digest: string,
    artifactType?: string,
    signal?: AbortSignal,
  ): Promise<Descriptor[]> {
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : ''
    const request = {
      method: 'GET' as const,
      path: `/v2/${repository}/referrers/${digest}${query}`,
      scope: repositoryScope(repository),
      headers: { Accept: MediaType.ociIndex },
      signal,
    }
    const what = `${this.name}/${repository} referrers`
    const listed = await this.client.exchange(request, async (response) => {
      if (response.ok) return ((await readJson(response, what)) as { manifests?: Descriptor[] }).manifests ?? []
      // No referrers API (distribution 2.8 and older registries): fall back to the tag schema.
      if (![400, 404, 405].includes(response.status))
        throw await failure(response, what, () => manifestUnknown(repository, digest))
      await response.body?.cancel()
      return undefined
    })
    const manifests = listed ?? (await this.referrersTag(repository, digest, signal))
    const valid = manifests.filter(
      (m) => typeof m.digest === 'string' && parseDigest(m.digest) && typeof m.mediaType === 'string',
    )
    return artifactType ? valid.filter((m) => m.artifactType === artifactType) : valid
  }

  private async referrersTag(
    repository: string,
    digest: string,
    signal: AbortSignal | undefined,
  ): Promise<Descriptor[]> {
    try {
      const { info } = await this.fetchManifest(repository, digest.replace(':', '-'), signal)
      return info.manifests
    } catch (error) {
      if (error instanceof RegistryError) return []
      throw error
    }
  }

  /** Follows `Link: <...>; rel="next"` through every page of a listing. */
  private async paginate(
    first: string,
    scope: string,
    key: 'tags' | 'repositories',
    notFound: () => RegistryError,
    signal: AbortSignal | undefined,
  ): Promise<string[]> {
    const items: string[] = []
    let path: string | undefined = first
    for (let page = 0; path && page < MAX_PAGES; page++) {
      const what = `${this.name}${path}`
      const page: { body: Record<string, unknown>; link: string | null } = await this.client.exchange(
        { method: 'GET', path, scope, headers: { Accept: 'application/json' }, signal },
        async (response) => {
          if (!response.ok) throw await failure(response, what, notFound)
          return {
            body: (await readJson(response, what)) as Record<string, unknown>,
            link: response.headers.get('Link'),
          }
        },
      )
      const list = page.body[key]
      if (Array.isArray(list)) items.push(...list.filter((item): item is string => typeof item === 'string'))
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(page.link ?? '')?.[1]
      path = next ? relativePath(next) : undefined
    }
    return items
  }

  private send(request: UpstreamRequest): Promise<Response> {
    return this.client.send(request)
  }
}

/** A Link target as a `/v2/...` path, whether the upstream wrote it absolute or relative. */
function relativePath(link: string): string | undefined {
  const url = new URL(link, 'http://upstream.invalid')
  return url.pathname.startsWith('/v2/') ? url.pathname + url.search : undefined
}

const manifestUnknown = (repository: string, reference: string): RegistryError =>
  new RegistryError('MANIFEST_UNKNOWN', { detail: { name: repository, reference } })
const blobUnknown = (digest: string): RegistryError => new RegistryError('BLOB_UNKNOWN', { detail: { digest } })
