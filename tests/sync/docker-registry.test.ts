/**
 * Pull-through from Debian's docker-registry (distribution 2.8.2) on loopback, plain, with
 * htpasswd and behind a token server, with skopeo as the client: digests equal the upstream's,
 * 20 concurrent cold pulls cost one upstream GET per blob (counted in docker-registry's access
 * log), credentials come from credentialsFile, tokens are reused, and upstream tags are listed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClientEnvironment, type ClientEnvironment } from '../support/clients'
import { sha256Digest } from '../support/oci-layout'
import { startTokenServer } from '../support/counterparts/token-server'
import { onDemandConfig, removeCacheRoots, startCache, type RunningCache } from './support/cache'
import { pullManifest, pushImage, pushIndex, type PushTarget } from './support/content'
import { startDockerRegistry, type DockerRegistry } from './support/docker-registry'

const stops: (() => Promise<void>)[] = []
let scratch: string

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'zot-sync-distribution-test-'))
})

afterAll(async () => {
  for (const stop of stops.reverse()) await stop()
  await removeCacheRoots()
  await rm(scratch, { recursive: true, force: true })
})

async function cacheWithClients(
  config: Parameters<typeof startCache>[0],
): Promise<{ cache: RunningCache; clients: ClientEnvironment }> {
  const cache = await startCache(config)
  const clients = await createClientEnvironment([cache.host])
  stops.push(
    () => cache.stop(),
    () => clients.cleanup(),
  )
  return { cache, clients }
}

async function credentialsFile(host: string, username: string, password: string): Promise<string> {
  const path = join(scratch, `credentials-${crypto.randomUUID()}.json`)
  await writeFile(path, JSON.stringify({ [host]: { username, password } }))
  return path
}

/** Pulls with skopeo into a `dir:` copy; returns the digests of the files it wrote. */
async function skopeoPull(clients: ClientEnvironment, reference: string): Promise<Set<string>> {
  const destination = await clients.scratch('pull')
  await clients.skopeo(['copy', '--retry-times', '0', `docker://${reference}`, `dir:${destination}`])
  const digests = new Set<string>()
  for (const name of await readdir(destination)) {
    if (name === 'version') continue
    digests.add(sha256Digest(await readFile(join(destination, name))))
  }
  return digests
}

describe('plain docker-registry upstream', () => {
  let upstream: DockerRegistry
  beforeAll(async () => {
    upstream = await startDockerRegistry()
    stops.push(() => upstream.stop())
  })

  test('skopeo pulls an OCI and a Docker image through the cache with the upstream digests', async () => {
    const { cache, clients } = await cacheWithClients(
      onDemandConfig([upstream.url], { content: [{ prefix: 'team/**', destination: '/hub' }] }),
    )
    for (const format of ['oci', 'docker'] as const) {
      const image = await pushImage(upstream, `team/${format}`, { tag: 'v1', format })
      const pulled = await skopeoPull(clients, `${cache.host}/hub/team/${format}:v1`)
      expect(pulled).toEqual(new Set([image.digest, ...image.blobs.map((blob) => blob.digest)]))
      expect((await pullManifest(cache.url, `hub/team/${format}`, 'v1')).digest).toBe(image.digest)
    }
  })

  test('20 concurrent cold pulls make one upstream GET per blob (access log)', async () => {
    const { cache } = await cacheWithClients(onDemandConfig([upstream.url]))
    const image = await pushImage(upstream, 'herd/app', {
      tag: '1',
      layers: [2 << 20, 1 << 20, 512 * 1024],
    })
    const clients = await Promise.all(Array.from({ length: 20 }, () => createClientEnvironment([cache.host])))
    stops.push(...clients.map((client) => () => client.cleanup()))
    const pulls = await Promise.all(clients.map((client) => skopeoPull(client, `${cache.host}/herd/app:1`)))
    for (const pulled of pulls)
      expect(pulled).toEqual(new Set([image.digest, ...image.blobs.map((blob) => blob.digest)]))
    await Bun.sleep(200)
    for (const blob of image.blobs)
      expect(upstream.count('GET', new RegExp(`^/v2/herd/app/blobs/${blob.digest}$`))).toBe(1)
    expect(upstream.count('GET', /^\/v2\/herd\/app\/manifests\//)).toBe(1)
    // Nothing else: no HEADs (blob sizes come from the manifest), no repeated tag checks.
    expect(
      upstream.accessLog().filter((line) => line.includes('/herd/app/') && line.endsWith('zot-bun-sync')).length,
    ).toBe(1 + image.blobs.length)
  }, 120_000)

  test('upstream tags are listed through the cache (skopeo list-tags)', async () => {
    const { cache, clients } = await cacheWithClients(onDemandConfig([upstream.url]))
    await pushIndex(upstream, 'listed/app', '1.0', ['amd64', 'arm64'])
    await pushImage(upstream, 'listed/app', { tag: '1.1' })
    await pullManifest(cache.url, 'listed/app', '1.0')
    const { stdout } = await clients.skopeo(['list-tags', `docker://${cache.host}/listed/app`])
    expect((JSON.parse(stdout) as { Tags: string[] }).Tags.sort()).toEqual(['1.0', '1.1'])
  })
})

describe('docker-registry with htpasswd', () => {
  let upstream: DockerRegistry
  const basic = { Authorization: `Basic ${btoa('puller:secret')}` }
  beforeAll(async () => {
    upstream = await startDockerRegistry({ htpasswd: { username: 'puller', password: 'secret' } })
    stops.push(() => upstream.stop())
  })

  test('credentialsFile credentials are sent; without them the miss says the upstream refused', async () => {
    const target: PushTarget = { url: upstream.url, headers: basic }
    const image = await pushImage(target, 'private/app', { tag: '1' })
    const { cache, clients } = await cacheWithClients({
      ...onDemandConfig([upstream.url]),
      credentialsFile: await credentialsFile(upstream.host, 'puller', 'secret'),
    })
    expect(await skopeoPull(clients, `${cache.host}/private/app:1`)).toEqual(
      new Set([image.digest, ...image.blobs.map((blob) => blob.digest)]),
    )

    const anonymous = await startCache(onDemandConfig([upstream.url]))
    stops.push(() => anonymous.stop())
    const refused = await fetch(`${anonymous.url}/v2/private/app/manifests/1`)
    expect(refused.status).toBe(404)
    expect(JSON.stringify(await refused.json())).toContain('401')
  })
})

describe('docker-registry behind a token server', async () => {
  // Stopped by itself after the file. Anonymous users may pull; robot may do anything.
  const tokens = await startTokenServer({
    service: 'upstream.test',
    users: { robot: 'pw' },
    grant: (user) => (user === 'robot' ? ['pull', 'push', 'delete', '*'] : ['pull']),
  })
  let upstream: DockerRegistry
  beforeAll(async () => {
    upstream = await startDockerRegistry({ token: tokens })
    stops.push(() => upstream.stop())
  })

  async function pushTarget(repository: string): Promise<PushTarget> {
    const response = await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:${repository}:pull,push`, {
      headers: { Authorization: `Basic ${btoa('robot:pw')}` },
    })
    const { token } = (await response.json()) as { token: string }
    return { url: upstream.url, headers: { Authorization: `Bearer ${token}` } }
  }

  test('anonymous and credentialed token flows both pull through, and tokens are reused per scope', async () => {
    const image = await pushImage(await pushTarget('tokened/app'), 'tokened/app', {
      tag: '1',
      layers: [1024, 2048, 4096],
    })
    tokens.requests.length = 0
    const { cache, clients } = await cacheWithClients(onDemandConfig([upstream.url]))
    expect(await skopeoPull(clients, `${cache.host}/tokened/app:1`)).toEqual(
      new Set([image.digest, ...image.blobs.map((blob) => blob.digest)]),
    )
    expect(tokens.requests).toEqual(['GET - repository:tokened/app:pull'])

    tokens.requests.length = 0
    const robot = await cacheWithClients({
      ...onDemandConfig([upstream.url]),
      credentialsFile: await credentialsFile(upstream.host, 'robot', 'pw'),
    })
    expect(await skopeoPull(robot.clients, `${robot.cache.host}/tokened/app:1`)).toEqual(
      new Set([image.digest, ...image.blobs.map((blob) => blob.digest)]),
    )
    expect(tokens.requests).toEqual(['GET robot repository:tokened/app:pull'])
  })
})

describe('docker-registry over HTTPS with a self-signed certificate', () => {
  let upstream: DockerRegistry
  beforeAll(async () => {
    upstream = await startDockerRegistry({ tls: true })
    stops.push(() => upstream.stop())
  })

  test('certDir trusts the CA, tlsVerify false skips the check, and by default the upstream is refused', async () => {
    const image = await pushImage({ url: upstream.url, insecure: true }, 'secure/app', { tag: '1' })
    const certDir = join(scratch, 'certs')
    await mkdir(certDir, { recursive: true })
    await copyFile(upstream.certificate!, join(certDir, 'ca.crt'))
    for (const settings of [{ certDir }, { tlsVerify: false }]) {
      const { cache } = await cacheWithClients(onDemandConfig([upstream.url], settings))
      expect((await pullManifest(cache.url, 'secure/app', '1')).digest).toBe(image.digest)
    }
    const { cache } = await cacheWithClients(onDemandConfig([upstream.url]))
    expect((await pullManifest(cache.url, 'secure/app', '1')).status).toBe(503)
  })
})
