/**
 * @module
 * Plain `fetch` calls to the distribution API, for what real clients do not expose (referrers,
 * response headers) and for pushers we control byte by byte (chunked uploads in crash tests).
 */
import { MediaType, sha256Digest } from './oci-layout'

/** Every manifest type we store, so the registry never has to convert. */
export const MANIFEST_ACCEPT = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
].join(', ')

export interface FetchedManifest {
  status: number
  bytes: Uint8Array
  /** The `Docker-Content-Digest` header. */
  digest: string | null
  contentType: string | null
}

export async function fetchManifest(baseUrl: string, repository: string, reference: string): Promise<FetchedManifest> {
  const response = await fetch(`${baseUrl}/v2/${repository}/manifests/${reference}`, {
    headers: { Accept: MANIFEST_ACCEPT },
  })
  return {
    status: response.status,
    bytes: new Uint8Array(await response.arrayBuffer()),
    digest: response.headers.get('docker-content-digest'),
    contentType: response.headers.get('content-type'),
  }
}

/** A blob's bytes; throws unless the registry answers 200. */
export async function fetchBlob(baseUrl: string, repository: string, digest: string): Promise<Uint8Array> {
  const response = await fetch(`${baseUrl}/v2/${repository}/blobs/${digest}`)
  if (response.status !== 200)
    throw new Error(`GET blob ${repository}@${digest}: ${response.status} ${await response.text()}`)
  return new Uint8Array(await response.arrayBuffer())
}

export interface ReferrersIndex {
  schemaVersion: number
  mediaType: string
  manifests: Array<{
    mediaType: string
    digest: string
    size: number
    artifactType?: string
    annotations?: Record<string, string>
  }>
}

export interface FetchedReferrers {
  status: number
  contentType: string | null
  filtersApplied: string | null
  index: ReferrersIndex
}

export async function fetchReferrers(
  baseUrl: string,
  repository: string,
  subjectDigest: string,
  artifactType?: string,
): Promise<FetchedReferrers> {
  const query = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`
  const response = await fetch(`${baseUrl}/v2/${repository}/referrers/${subjectDigest}${query}`)
  const body = await response.text()
  if (response.status !== 200) throw new Error(`GET referrers of ${subjectDigest}: ${response.status} ${body}`)
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    filtersApplied: response.headers.get('oci-filters-applied'),
    index: JSON.parse(body) as ReferrersIndex,
  }
}

/** Uploads a blob in `chunkBytes` PATCHes with `Content-Range`, then PUT `?digest=`; returns it. */
export async function uploadBlobInChunks(
  baseUrl: string,
  repository: string,
  data: Uint8Array,
  chunkBytes: number,
): Promise<string> {
  const digest = sha256Digest(data)
  let location = await expectLocation(
    await fetch(`${baseUrl}/v2/${repository}/blobs/uploads/`, { method: 'POST' }),
    202,
    `POST upload in ${repository}`,
  )
  for (let start = 0; start < data.byteLength; start += chunkBytes) {
    const chunk = data.subarray(start, Math.min(start + chunkBytes, data.byteLength))
    const response = await fetch(new URL(location, baseUrl), {
      method: 'PATCH',
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Range': `${start}-${start + chunk.byteLength - 1}`,
        'Content-Length': String(chunk.byteLength),
      },
      body: chunk,
    })
    location = await expectLocation(response, 202, `PATCH ${start}+${chunk.byteLength} in ${repository}`)
  }
  const finish = new URL(location, baseUrl)
  finish.searchParams.set('digest', digest)
  await expectLocation(await fetch(finish, { method: 'PUT' }), 201, `PUT ${digest} in ${repository}`)
  return digest
}

/** PUTs a manifest and returns the raw response: callers decide what an answer means. */
export function putManifest(
  baseUrl: string,
  repository: string,
  reference: string,
  bytes: Uint8Array,
  mediaType: string,
): Promise<Response> {
  return fetch(`${baseUrl}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'Content-Type': mediaType },
    body: bytes,
  })
}

async function expectLocation(response: Response, status: number, what: string): Promise<string> {
  const body = await response.text()
  const location = response.headers.get('location')
  if (response.status !== status || !location) {
    const got = `${response.status} (Location: ${location}) ${body}`
    throw new Error(`${what}: expected ${status} with Location, got ${got}`)
  }
  return location
}
