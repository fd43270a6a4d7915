/**
 * `serve` wires extensions.sync: a registry configured as an on-demand cache of another serves
 * the upstream's image with identical digests, and keeps serving it once the upstream is gone.
 */
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test'
import { startRegistry, type RunningRegistry } from '../support/server'

setDefaultTimeout(60_000)
const running: RunningRegistry[] = []
afterAll(() => Promise.all(running.map((r) => r.stop())))

const sha256 = (data: Uint8Array | string) => `sha256:${new Bun.CryptoHasher('sha256').update(data).digest('hex')}`

async function pushImage(
  base: string,
  repository: string,
  tag: string,
): Promise<{ manifest: string; layer: Uint8Array<ArrayBuffer> }> {
  const layer = crypto.getRandomValues(new Uint8Array(200_000))
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux' })
  for (const blob of [layer, new TextEncoder().encode(config)]) {
    const response = await fetch(`${base}/v2/${repository}/blobs/uploads/?digest=${sha256(blob)}`, {
      method: 'POST',
      body: blob,
    })
    expect(response.status).toBe(201)
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  })
  const put = await fetch(`${base}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    body: manifest,
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
  })
  expect(put.status).toBe(201)
  return { manifest, layer }
}

test('an on-demand sync configured in config.json pulls through, then serves from cache with the upstream down', async () => {
  const upstream = await startRegistry({ config: { log: { level: 'warn' } } })
  running.push(upstream)
  const image = await pushImage(upstream.url, 'team/app', 'v1')
  const cache = await startRegistry({
    config: {
      log: { level: 'warn' },
      extensions: {
        sync: { registries: [{ urls: [upstream.url], onDemand: true, content: [{ prefix: 'team/**' }] }] },
      },
    },
  })
  running.push(cache)

  const manifest = await fetch(`${cache.url}/v2/team/app/manifests/v1`)
  expect(manifest.status).toBe(200)
  expect(manifest.headers.get('Docker-Content-Digest')).toBe(sha256(image.manifest))
  expect(await manifest.text()).toBe(image.manifest)
  const layer = await fetch(`${cache.url}/v2/team/app/blobs/${sha256(image.layer)}`)
  expect(new Uint8Array(await layer.arrayBuffer())).toEqual(image.layer)
  // A name no sync rule covers says so.
  const uncovered = await fetch(`${cache.url}/v2/other/app/manifests/v1`)
  expect(uncovered.status).toBe(404)
  expect(await uncovered.text()).toContain('sync')

  await upstream.stop()
  const cached = await fetch(`${cache.url}/v2/team/app/manifests/${sha256(image.manifest)}`)
  expect(cached.status).toBe(200)
  const cachedLayer = await fetch(`${cache.url}/v2/team/app/blobs/${sha256(image.layer)}`)
  expect(sha256(new Uint8Array(await cachedLayer.arrayBuffer()))).toBe(sha256(image.layer))
})
