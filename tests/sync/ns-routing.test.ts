/**
 * containerd's `?ns=` over HTTP: the namespace picks the registry entry (two upstreams serving
 * the same name with different content), maps the name through its destination, echoes
 * `OCI-Namespace`; an unknown namespace is a 404 and contacts nothing; a namespace naming the
 * cache itself serves its own repositories only.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { removeCacheRoots, startCache, type RunningCache } from './support/cache'
import { pullManifest, pushImage, type PushedImage } from './support/content'
import { startOwnUpstream, type OwnUpstream } from './support/own-upstream'

let first: OwnUpstream
let second: OwnUpstream
let cache: RunningCache
let images: PushedImage[]

beforeAll(async () => {
  first = await startOwnUpstream()
  second = await startOwnUpstream()
  cache = await startCache(
    {
      registries: [
        { urls: [first.url], onDemand: true, content: [{ prefix: '**', destination: '/first' }] },
        { urls: [second.url], onDemand: true, content: [{ prefix: '**', destination: '/second' }] },
      ],
    },
    { ownHosts: ['cache.example.com'] },
  )
  images = [await pushImage(first, 'org/app', { tag: '1' }), await pushImage(second, 'org/app', { tag: '1' })]
})

afterAll(async () => {
  await cache.stop()
  await first.stop()
  await second.stop()
  await removeCacheRoots()
})

test('ns selects the upstream, the name maps through its destination, OCI-Namespace is echoed', async () => {
  for (const [index, upstream] of [first, second].entries()) {
    const pulled = await pullManifest(cache.url, 'org/app', `1?ns=${upstream.host}`)
    expect(pulled.status).toBe(200)
    expect(pulled.digest).toBe(images[index]!.digest)
    expect(pulled.headers.get('OCI-Namespace')).toBe(upstream.host)
    const blob = images[index]!.blobs[1]!
    const response = await fetch(`${cache.url}/v2/org/app/blobs/${blob.digest}?ns=${upstream.host}`)
    expect(response.status).toBe(200)
    expect((await response.arrayBuffer()).byteLength).toBe(blob.size)
  }
  // What ns=first cached is the local repository first/org/app.
  expect((await pullManifest(cache.url, 'first/org/app', images[0]!.digest)).status).toBe(200)
})

test('an unknown ns is a 404 without contacting any upstream', async () => {
  const before = first.requests.length + second.requests.length
  const response = await fetch(`${cache.url}/v2/library/nginx/manifests/latest?ns=quay.io`)
  expect(response.status).toBe(404)
  expect(response.headers.get('OCI-Namespace')).toBe('quay.io')
  expect(JSON.stringify(await response.json())).toContain('no sync registry serves namespace quay.io')
  expect(first.requests.length + second.requests.length).toBe(before)
})

test('an ns naming the cache itself means its own repositories, with no upstream involved', async () => {
  const before = first.requests.length + second.requests.length
  const own = await pullManifest(cache.url, 'first/org/app', `${images[0]!.digest}?ns=cache.example.com`)
  expect(own.status).toBe(200)
  expect(own.headers.get('OCI-Namespace')).toBe('cache.example.com')
  const missing = await fetch(`${cache.url}/v2/first/other/manifests/1?ns=cache.example.com`)
  expect(missing.status).toBe(404)
  expect(first.requests.length + second.requests.length).toBe(before)
})
