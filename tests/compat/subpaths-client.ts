/**
 * @module
 * A client's side of the subPaths tests: the catalog page by page, pushes of fresh images, and
 * pulls checked against what was stored, over plain HTTP against a running registry.
 */
import { expect } from 'bun:test'
import { MediaType, sha256Digest } from '../support/oci-layout'
import { fetchBlob, fetchManifest, putManifest } from '../support/registry-api'
import type { ZotImage } from './zot-subpaths-layout'

const encoder = new TextEncoder()

export async function catalogPage(url: string, query = ''): Promise<{ repositories: string[]; link: string | null }> {
  const response = await fetch(`${url}/v2/_catalog${query}`)
  expect(response.status).toBe(200)
  const { repositories } = (await response.json()) as { repositories: string[] }
  return { repositories, link: response.headers.get('link') }
}

export async function pushBlob(url: string, repository: string, bytes: Uint8Array): Promise<string> {
  const digest = sha256Digest(bytes)
  const response = await fetch(`${url}/v2/${repository}/blobs/uploads/?digest=${digest}`, {
    method: 'POST',
    body: bytes,
  })
  expect(response.status, await response.clone().text()).toBe(201)
  return digest
}

/** Pushes config, layer and manifest of a fresh image; returns what a pull must give back. */
export async function pushImage(url: string, repository: string, tag: string): Promise<ZotImage> {
  const config = encoder.encode(JSON.stringify({ architecture: 'amd64', os: 'linux', id: crypto.randomUUID() }))
  const layer = crypto.getRandomValues(new Uint8Array(5000))
  const blobs = [config, layer].map((bytes) => ({ digest: sha256Digest(bytes), bytes }))
  for (const blob of blobs) await pushBlob(url, repository, blob.bytes)
  const manifest = encoder.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: blobs[0]!.digest, size: config.byteLength },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: blobs[1]!.digest, size: layer.byteLength }],
    }),
  )
  const response = await putManifest(url, repository, tag, manifest, MediaType.ociManifest)
  expect(response.status, await response.text()).toBe(201)
  return { repository, tag, manifest, manifestDigest: sha256Digest(manifest), blobs }
}

/** The manifest (by tag, or by digest when untagged) and every blob come back as stored. */
export async function expectPullable(url: string, image: ZotImage): Promise<void> {
  const fetched = await fetchManifest(url, image.repository, image.tag ?? image.manifestDigest)
  expect(fetched.status, `${image.repository}:${image.tag}`).toBe(200)
  expect(fetched.digest).toBe(image.manifestDigest)
  for (const blob of image.blobs) expect(await fetchBlob(url, image.repository, blob.digest)).toEqual(blob.bytes)
}
