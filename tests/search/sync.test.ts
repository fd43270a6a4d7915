/**
 * Pull-through content is searchable: an image the cache fetches from its upstream on a client's
 * pull (sync's on-demand mode, our own registry as the upstream on loopback) appears in the
 * search index at once, its platform and creation time once the client has fetched the config
 * (the cache stores the manifest first), and a pull of a moved upstream tag updates it.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { pushImage, startSearchRegistry, type SearchRegistry } from './support'

let upstream: SearchRegistry
let cache: SearchRegistry

beforeAll(async () => {
  upstream = await startSearchRegistry({})
  cache = await startSearchRegistry({
    extensions: {
      search: { enable: true },
      sync: {
        registries: [
          {
            urls: [upstream.url],
            onDemand: true,
            tlsVerify: false,
            responseHeaderTimeout: '5s',
            manifestCheckInterval: '0s',
          },
        ],
      },
    },
  })
})
afterAll(async () => {
  await cache?.close()
  await upstream?.close()
})

const pull = async (repository: string, tag: string) => {
  const response = await cache.fetch(`/v2/${repository}/manifests/${tag}`, {
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  })
  expect(response.status).toBe(200)
  await response.arrayBuffer()
}

test('an image pulled through the cache is found by search', async () => {
  const pushed = await pushImage(upstream, 'library/nginx', '1.27', {
    architecture: 'arm64',
    created: '2024-04-01T00:00:00Z',
  })
  const before = await cache.query('{GlobalSearch(query:"nginx"){Page{TotalCount}}}')
  expect(before.body.data).toEqual({ GlobalSearch: { Page: { TotalCount: 0 } } })
  await pull('library/nginx', '1.27')
  const query = '{ImageList(repo:"library/nginx"){Results{Tag Digest Size LastUpdated Manifests{Platform{Os Arch}}}}}'
  const listed = (await cache.query(query)).body.data as { ImageList: { Results: { Tag: string }[] } }
  expect(listed.ImageList.Results.map((image) => image.Tag)).toEqual(['1.27'])
  // The client goes on with the config (and layers): the cache stores them as they stream.
  const manifest = (await (await upstream.fetch(`/v2/library/nginx/manifests/${pushed.digest}`)).json()) as {
    config: { digest: string }
  }
  const config = await cache.fetch(`/v2/library/nginx/blobs/${manifest.config.digest}`)
  expect(config.status).toBe(200)
  await config.arrayBuffer()
  let body = (await cache.query(query)).body
  for (let attempt = 0; attempt < 40 && JSON.stringify(body).includes('"Os":""'); attempt++) {
    await Bun.sleep(250)
    body = (await cache.query(query)).body
  }
  expect(body.data).toEqual({
    ImageList: {
      Results: [
        {
          Tag: '1.27',
          Digest: pushed.digest,
          Size: String(pushed.imageSize),
          LastUpdated: '2024-04-01T00:00:00Z',
          Manifests: [{ Platform: { Os: 'linux', Arch: 'arm64' } }],
        },
      ],
    },
  })
})

test('a tag moved upstream and pulled again shows the new image', async () => {
  const moved = await pushImage(upstream, 'library/nginx', '1.27', { created: '2024-05-01T00:00:00Z' })
  await pull('library/nginx', '1.27')
  const { body } = await cache.query('{Image(image:"library/nginx:1.27"){Digest}}')
  expect(body.data).toEqual({ Image: { Digest: moved.digest } })
})
