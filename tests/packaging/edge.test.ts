/**
 * @module
 * The shipped example configs (systemd, container, edge) pass the binary's own `verify-config`,
 * and the edge profile is what a 1 GB pull-through device needs: on-demand sync of docker.io,
 * ghcr.io and quay.io, GC on, warn-level logs. The compiled binary runs it and pulls a 256 MiB
 * image through the cache from a loopback upstream (the same binary), and its memory (idle, and
 * at the peak of the pull) stays below the edge drop-in's MemoryHigh. Prints what it measured.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  loopbackConfig,
  PACKAGING,
  releaseBuild,
  removeTemporaries,
  rssKiB,
  runCommand,
  startServing,
  temporaryDirectory,
} from './support'

const TIMEOUT_MS = 90_000
const EDGE_CONFIG = join(PACKAGING, 'edge/config.json')

let binary = ''
beforeAll(async () => {
  binary = (await releaseBuild()).binary('linux-x64')
}, 120_000)
afterAll(removeTemporaries)

describe('example configs', () => {
  for (const name of ['systemd', 'container', 'edge']) {
    test(
      `packaging/${name}/config.json passes zot verify-config`,
      async () => {
        const path = join(PACKAGING, name, 'config.json')
        const result = await runCommand([binary, 'verify-config', path])
        expect(result.stdout.trim().split('\n').at(-1)).toBe(`${path}: valid`)
        expect(result.exitCode).toBe(0)
      },
      TIMEOUT_MS,
    )
  }
})

describe('packaging/edge', () => {
  test('is an on-demand pull-through cache of docker.io, ghcr.io and quay.io with GC and warn logs', async () => {
    const config = JSON.parse(await readFile(EDGE_CONFIG, 'utf8'))
    expect(config.log.level).toBe('warn')
    expect(config.storage.gc).toBe(true)
    expect(config.storage.dedupe).toBe(true)
    expect(config.extensions.sync.enable).toBe(true)
    // Blob spools on the data disk: the default (the temp directory) can be a tmpfs, i.e. RAM.
    expect(config.extensions.sync.downloadDir).toStartWith(`${config.storage.rootDirectory}/`)
    const registries = config.extensions.sync.registries as {
      urls: string[]
      onDemand: boolean
      tlsVerify: boolean
      content: { prefix: string; destination: string }[]
    }[]
    expect(registries.map((registry) => registry.urls[0])).toEqual([
      'https://registry-1.docker.io',
      'https://ghcr.io',
      'https://quay.io',
    ])
    for (const registry of registries) {
      expect(registry.onDemand).toBe(true)
      expect(registry.tlsVerify).toBe(true)
      // Nothing is mirrored ahead of time on a small disk: only what clients ask for.
      expect(registry).not.toHaveProperty('pollInterval')
    }
    expect(registries.map((registry) => registry.content[0]!.destination)).toEqual([
      '/docker.io',
      '/ghcr.io',
      '/quay.io',
    ])
  })

  test(
    "pulls a 256 MiB image through the cache from a loopback upstream, within the drop-in's memory",
    async () => {
      const directory = await temporaryDirectory('edge')
      // The upstream: the same binary, plain config, holding one image with a 256 MiB layer.
      const upstreamConfig = await loopbackConfig(directory, join(directory, 'upstream'))
      const upstream = await startServing([binary, 'serve', upstreamConfig.path], upstreamConfig.port)
      const size = 256 * 2 ** 20
      const chunk = crypto.getRandomValues(new Uint8Array(2 ** 20))
      const hasher = new Bun.CryptoHasher('sha256')
      for (let sent = 0; sent < size; sent += chunk.length) hasher.update(chunk)
      const layer = `sha256:${hasher.digest('hex')}`
      const sha256 = (text: string) => `sha256:${new Bun.CryptoHasher('sha256').update(text).digest('hex')}`
      const pushBlob = async (body: ReadableStream<Uint8Array> | string, digest: string) => {
        const start = await fetch(`${upstream.url}/v2/big/blobs/uploads/`, { method: 'POST' })
        const location = new URL(start.headers.get('location')!, upstream.url)
        location.searchParams.set('digest', digest)
        const put = await fetch(location, {
          method: 'PUT',
          body,
          headers: { 'Content-Type': 'application/octet-stream' },
        })
        expect(put.status).toBe(201)
      }
      let sent = 0
      await pushBlob(
        new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent >= size) return controller.close()
            controller.enqueue(chunk)
            sent += chunk.length
          },
        }),
        layer,
      )
      const imageConfig = JSON.stringify({ architecture: 'arm64', os: 'linux' })
      await pushBlob(imageConfig, sha256(imageConfig))
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256(imageConfig),
          size: imageConfig.length,
        },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer, size }],
      })
      const putManifest = await fetch(`${upstream.url}/v2/big/manifests/v1`, {
        method: 'PUT',
        body: manifest,
        headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      })
      expect(putManifest.status).toBe(201)

      // The edge cache: the shipped profile, its docker.io entry pointed at the upstream.
      const edge = JSON.parse(await readFile(EDGE_CONFIG, 'utf8'))
      const root = join(directory, 'edge')
      edge.extensions.sync.downloadDir = join(root, '.sync-spool')
      edge.extensions.sync.registries = [
        { ...edge.extensions.sync.registries[0], urls: [upstream.url], tlsVerify: false },
      ]
      const { path, port } = await loopbackConfig(directory, root, edge)
      const registry = await startServing([binary, 'serve', path], port)
      try {
        await Bun.sleep(1_000)
        const idle = await rssKiB(registry.pid)
        let peak = idle
        const sampler = setInterval(() => {
          void rssKiB(registry.pid).then(
            (rss) => {
              peak = Math.max(peak, rss)
            },
            () => {},
          )
        }, 50)
        try {
          const pulledManifest = await fetch(`${registry.url}/v2/docker.io/big/manifests/v1`, {
            headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
          })
          expect(pulledManifest.status).toBe(200)
          expect(await pulledManifest.text()).toBe(manifest)
          const pulled = await fetch(`${registry.url}/v2/docker.io/big/blobs/${layer}`)
          expect(pulled.status).toBe(200)
          const check = new Bun.CryptoHasher('sha256')
          let received = 0
          for await (const part of pulled.body!) {
            check.update(part)
            received += part.length
          }
          expect(received).toBe(size)
          expect(`sha256:${check.digest('hex')}`).toBe(layer)
        } finally {
          clearInterval(sampler)
        }
        await Bun.sleep(1_000)
        const after = await rssKiB(registry.pid)
        // Cached now: the upstream can go away and the edge still serves it.
        expect(await upstream.stop()).toBe(0)
        const cached = await fetch(`${registry.url}/v2/docker.io/big/manifests/v1`, { method: 'HEAD' })
        expect(cached.status).toBe(200)

        const dropIn = await readFile(join(PACKAGING, 'edge/zot.service.d/edge.conf'), 'utf8')
        const memoryHighMiB = Number(/^MemoryHigh=(\d+)M$/m.exec(dropIn)?.[1])
        expect(idle).toBeLessThan(128 * 1024)
        // One pull-through fits under the soft limit with room for more in parallel.
        expect(peak).toBeLessThan(memoryHighMiB * 1024 * 0.75)
        console.log(
          `edge profile: start-to-first-200 ${registry.startMs.toFixed(0)} ms, idle RSS ${(idle / 1024).toFixed(1)} MiB, peak RSS pulling 256 MiB through the cache ${(peak / 1024).toFixed(1)} MiB, 1 s later ${(after / 1024).toFixed(1)} MiB (MemoryHigh ${memoryHighMiB} MiB)`,
        )
      } finally {
        expect(await registry.stop()).toBe(0)
        await upstream.stop().catch(() => 0)
      }
    },
    TIMEOUT_MS,
  )
})
