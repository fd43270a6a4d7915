/**
 * Measures a pull of a large single-layer image (500 MiB by default, `BENCH_MIB` to change)
 * from docker-registry directly, through a cold cache, and through the warm cache, each in its own
 * process, with curl (time to first byte, total) and skopeo (whole image) as clients; counts the
 * upstream requests one cold pull costs (docker-registry's access log, by user agent).
 *
 *     bun tests/sync/bench/cold-pull.ts
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClientEnvironment, run } from '../../support/clients'
import { MediaType, manifestBytes } from '../../support/oci-layout'
import { pushBlob, pushManifest, randomBytes } from '../support/content'
import { startDockerRegistry } from '../support/docker-registry'

const SIZE = Number(process.env.BENCH_MIB ?? 500) * (1 << 20)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const scratch = await mkdtemp(join(tmpdir(), 'zot-sync-bench-'))
const upstream = await startDockerRegistry()

async function pushLargeImage(): Promise<{ layer: string; manifest: string }> {
  const path = join(scratch, 'layer.bin')
  const writer = Bun.file(path).writer()
  const hasher = new Bun.CryptoHasher('sha256')
  for (let written = 0; written < SIZE; written += 16 << 20) {
    const chunk = randomBytes(Math.min(16 << 20, SIZE - written))
    hasher.update(chunk)
    writer.write(chunk)
  }
  await writer.end()
  const layer = `sha256:${hasher.digest('hex')}`
  const start = await fetch(`${upstream.url}/v2/bench/big/blobs/uploads/`, { method: 'POST' })
  const location = new URL(start.headers.get('Location')!, upstream.url)
  location.searchParams.set('digest', layer)
  const put = await fetch(location, { method: 'PUT', body: Bun.file(path) })
  if (put.status !== 201) throw new Error(`layer push: ${put.status}`)
  const config = await pushBlob(
    upstream,
    'bench/big',
    new TextEncoder().encode('{"architecture":"amd64","os":"linux"}'),
    MediaType.ociConfig,
  )
  const bytes = manifestBytes({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers: [{ mediaType: MediaType.ociLayerGzip, digest: layer, size: SIZE }],
  })
  return {
    layer,
    manifest: await pushManifest(upstream, 'bench/big', 'v1', bytes, MediaType.ociManifest),
  }
}

async function curl(url: string): Promise<{ ttfb: number; total: number }> {
  const { stdout } = await run('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{time_starttransfer} %{time_total} %{size_download}',
    url,
  ])
  const [status, ttfb, total, size] = stdout.trim().split(' ')
  if (status !== '200' || Number(size) !== SIZE) throw new Error(`curl ${url}: ${stdout}`)
  return { ttfb: Number(ttfb) * 1000, total: Number(total) * 1000 }
}

async function startCacheProcess(): Promise<{ url: string; stop(): Promise<void> }> {
  const root = await mkdtemp(join(scratch, 'cache-'))
  const config = JSON.stringify({ registries: [{ urls: [upstream.url], onDemand: true }] })
  const child = Bun.spawn([process.execPath, join(import.meta.dir, 'serve-cache.ts'), root, config], {
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const reader = child.stdout.getReader()
  const { value } = await reader.read()
  const url = new TextDecoder().decode(value).trim()
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM')
      await child.exited
      await rm(root, { recursive: true, force: true })
    },
  }
}

async function skopeoPull(host: string): Promise<number> {
  const clients = await createClientEnvironment([host])
  const started = performance.now()
  await clients.skopeo(['copy', `docker://${host}/bench/big:v1`, `dir:${await clients.scratch('pull')}`])
  const elapsed = performance.now() - started
  await clients.cleanup()
  return elapsed
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const cacheRequests = (): string[] => upstream.accessLog().filter((line) => line.endsWith('zot-bun-sync'))

try {
  const { layer } = await pushLargeImage()
  const results: Record<string, { ttfb: number[]; total: number[]; skopeo: number[] }> = {}
  const record = (name: string, timing: { ttfb: number; total: number } | undefined, skopeo: number) => {
    const entry = (results[name] ??= { ttfb: [], total: [], skopeo: [] })
    if (timing) entry.ttfb.push(timing.ttfb), entry.total.push(timing.total)
    entry.skopeo.push(skopeo)
  }
  let requestsPerColdPull: string[] = []
  for (let i = 0; i < RUNS; i++) {
    record(
      'direct from upstream',
      await curl(`${upstream.url}/v2/bench/big/blobs/${layer}`),
      await skopeoPull(upstream.host),
    )

    let cache = await startCacheProcess()
    const before = cacheRequests().length
    await run('curl', ['-sS', '-o', '/dev/null', `${cache.url}/v2/bench/big/manifests/v1`])
    const cold = await curl(`${cache.url}/v2/bench/big/blobs/${layer}`)
    const warm = await curl(`${cache.url}/v2/bench/big/blobs/${layer}`)
    requestsPerColdPull = cacheRequests().slice(before)
    await cache.stop()

    cache = await startCacheProcess()
    const coldSkopeo = await skopeoPull(new URL(cache.url).host)
    const warmSkopeo = await skopeoPull(new URL(cache.url).host)
    await cache.stop()
    record('cold through cache', cold, coldSkopeo)
    record('warm through cache', warm, warmSkopeo)
  }
  console.log(`image: one ${SIZE / (1 << 20)} MiB layer; medians of ${RUNS} runs (ms)`)
  console.log('pull                   curl TTFB  curl total  skopeo copy')
  for (const [name, entry] of Object.entries(results)) {
    console.log(
      `${name.padEnd(22)} ${median(entry.ttfb).toFixed(0).padStart(9)}  ${median(entry.total).toFixed(0).padStart(10)}  ${median(entry.skopeo).toFixed(0).padStart(11)}`,
    )
  }
  console.log(`upstream requests for one cold pull (manifest by tag + layer): ${requestsPerColdPull.length}`)
  for (const line of requestsPerColdPull) console.log(`  ${line}`)
} finally {
  await upstream.stop()
  await rm(scratch, { recursive: true, force: true })
}
