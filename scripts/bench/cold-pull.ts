/**
 * @module
 * Cold pull through the pull-through cache against the same pull straight from the upstream, side
 * by side in one run (issue 19): one large layer (500 MiB by default) on Debian's docker-registry
 * on loopback, the cache a real `zot serve` (from source, or `--binary dist/zot`) in its own
 * process with a fresh root for every cold pull. Per run, with curl: one direct pull, one cold
 * pull then a warm one, and `--concurrent` cold pulls of the same blob at once through another
 * fresh cache; with skopeo (the whole image: manifest, config, layer): one direct copy and one
 * cold copy. Prints medians (first byte, total), the ratios to direct, the cache's CPU per cold
 * pull, its peak RSS (VmHWM) and the upstream GETs the concurrent pulls cost.
 *
 * `--baseline CMD` measures another build the same way in the same rounds (a compiled binary, or
 * a script running an older checkout), so a change is compared under the same machine load.
 *
 *   bun scripts/bench/cold-pull.ts [--mib 500] [--runs 5] [--concurrent 8] [--binary dist/zot]
 *     [--baseline /tmp/zot-before] [--no-skopeo]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createClientEnvironment, run } from '../../tests/support/clients'
import { REPOSITORY_ROOT } from '../../tests/support/paths'
import { startProcess } from '../../tests/support/process'
import { freePort } from '../../tests/support/server'
import { MediaType, manifestBytes } from '../../tests/support/oci-layout'
import { pushBlob, pushManifest, randomBytes } from '../../tests/sync/support/content'
import { startDockerRegistry, type DockerRegistry } from '../../tests/sync/support/docker-registry'

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '500' },
    runs: { type: 'string', default: '5' },
    concurrent: { type: 'string', default: '8' },
    binary: { type: 'string' },
    baseline: { type: 'string' },
    'no-skopeo': { type: 'boolean', default: false },
  },
})
const SIZE = Number(values.mib) * (1 << 20)
const RUNS = Number(values.runs)
const CONCURRENT = Number(values.concurrent)
const REPOSITORY = 'bench/big'

interface Timing {
  ttfb: number
  total: number
}

/** Streams random content to a file while hashing it, then pushes it as one layer and an image. */
async function pushLargeImage(upstream: DockerRegistry, scratch: string): Promise<string> {
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
  const start = await fetch(`${upstream.url}/v2/${REPOSITORY}/blobs/uploads/`, { method: 'POST' })
  const location = new URL(start.headers.get('Location')!, upstream.url)
  location.searchParams.set('digest', layer)
  const put = await fetch(location, { method: 'PUT', body: Bun.file(path) })
  if (put.status !== 201) throw new Error(`layer push: ${put.status}`)
  await rm(path)
  const config = await pushBlob(upstream, REPOSITORY, new TextEncoder().encode('{"os":"linux"}'), MediaType.ociConfig)
  const manifest = manifestBytes({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config,
    layers: [{ mediaType: MediaType.ociLayerGzip, digest: layer, size: SIZE }],
  })
  await pushManifest(upstream, REPOSITORY, 'v1', manifest, MediaType.ociManifest)
  return layer
}

async function curl(url: string): Promise<Timing> {
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

/** A fresh `zot serve` caching `upstream` on demand; `peakRssMiB` reads its VmHWM. */
async function startCache(upstream: DockerRegistry, scratch: string, binary = values.binary) {
  const root = await mkdtemp(join(scratch, 'cache-'))
  const port = await freePort()
  const configPath = join(root, 'config.json')
  await writeFile(
    configPath,
    JSON.stringify({
      storage: { rootDirectory: join(root, 'data') },
      http: { address: '127.0.0.1', port: String(port) },
      log: { level: 'warn' },
      extensions: { sync: { enable: true, registries: [{ urls: [upstream.url], onDemand: true }] } },
    }),
  )
  const command = binary
    ? [binary, 'serve', configPath]
    : [process.execPath, join(REPOSITORY_ROOT, 'cmd/zot.ts'), 'serve', configPath]
  const url = `http://127.0.0.1:${port}`
  const child = await startProcess({ command, readyUrl: `${url}/v2/`, readyTimeoutMs: 20_000 })
  return {
    url,
    /** CPU seconds (user + system) the cache process has used so far. */
    async cpuSeconds(): Promise<number> {
      const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
      return (Number(fields[11]) + Number(fields[12])) / 100
    },
    async peakRssMiB(): Promise<number> {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8')
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024
    },
    async stop(): Promise<void> {
      await child.stop()
      await rm(root, { recursive: true, force: true })
    },
  }
}

/** Copies the whole image with skopeo into a scratch `dir:`; returns the milliseconds it took. */
async function skopeoCopy(host: string): Promise<number> {
  const clients = await createClientEnvironment([host])
  try {
    const started = performance.now()
    await clients.skopeo(['copy', `docker://${host}/${REPOSITORY}:v1`, `dir:${await clients.scratch('pull')}`])
    return performance.now() - started
  } finally {
    await clients.cleanup()
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const ms = (value: number): string => value.toFixed(0).padStart(8)

/** What one build of the cache measured over the rounds. */
interface Variant {
  label: string
  binary: string | undefined
  cold: Timing[]
  coldCpu: number[]
  warm: Timing[]
  concurrentSlowest: number[]
  concurrentTtfb: number[]
  peakRss: number[]
  skopeoCold: number[]
  upstreamGets: number[]
}

const variant = (label: string, binary: string | undefined): Variant => ({
  label,
  binary,
  cold: [],
  coldCpu: [],
  warm: [],
  concurrentSlowest: [],
  concurrentTtfb: [],
  peakRss: [],
  skopeoCold: [],
  upstreamGets: [],
})

/** One round of a build: a cold then warm pull, the skopeo copy, the concurrent cold pulls. */
async function measure(v: Variant, upstream: DockerRegistry, scratch: string, layer: string): Promise<void> {
  const blobPath = `/v2/${REPOSITORY}/blobs/${layer}`
  let cache = await startCache(upstream, scratch, v.binary)
  await run('curl', ['-sS', '-o', '/dev/null', `${cache.url}/v2/${REPOSITORY}/manifests/v1`])
  const cpuBefore = await cache.cpuSeconds()
  v.cold.push(await curl(cache.url + blobPath))
  v.coldCpu.push((await cache.cpuSeconds()) - cpuBefore)
  v.peakRss.push(await cache.peakRssMiB())
  v.warm.push(await curl(cache.url + blobPath))
  await cache.stop()

  if (!values['no-skopeo']) {
    cache = await startCache(upstream, scratch, v.binary)
    v.skopeoCold.push(await skopeoCopy(new URL(cache.url).host))
    await cache.stop()
  }

  cache = await startCache(upstream, scratch, v.binary)
  await run('curl', ['-sS', '-o', '/dev/null', `${cache.url}/v2/${REPOSITORY}/manifests/v1`])
  const before = upstream.count('GET', new RegExp(`/blobs/${layer}$`))
  const many = await Promise.all(Array.from({ length: CONCURRENT }, () => curl(cache.url + blobPath)))
  v.upstreamGets.push(upstream.count('GET', new RegExp(`/blobs/${layer}$`)) - before)
  v.concurrentSlowest.push(Math.max(...many.map((timing) => timing.total)))
  v.concurrentTtfb.push(median(many.map((timing) => timing.ttfb)))
  v.peakRss.push(await cache.peakRssMiB())
  await cache.stop()
}

function report(v: Variant, directTotal: number, directTtfb: number, skopeoDirect: number): void {
  const coldTotal = median(v.cold.map((t) => t.total))
  const coldTtfb = median(v.cold.map((t) => t.ttfb))
  const slowest = median(v.concurrentSlowest)
  console.log(`${v.label}:`)
  console.log(
    `  cold through the cache       ${ms(coldTtfb)}  ${ms(coldTotal)}   ${(coldTotal / directTotal).toFixed(2)}x`,
  )
  console.log(
    `  warm from the cache          ${ms(median(v.warm.map((t) => t.ttfb)))}  ${ms(median(v.warm.map((t) => t.total)))}`,
  )
  console.log(
    `  ${CONCURRENT} concurrent cold (slowest)  ${ms(median(v.concurrentTtfb))}  ${ms(slowest)}   ${(slowest / directTotal).toFixed(2)}x`,
  )
  if (v.skopeoCold.length > 0) {
    const cold = median(v.skopeoCold)
    console.log(
      `  skopeo copy of the image: direct ${ms(skopeoDirect)}, cold ${ms(cold)}   ${(cold / skopeoDirect).toFixed(2)}x`,
    )
  }
  console.log(`  first byte, cold / direct: ${(coldTtfb / directTtfb).toFixed(2)}x`)
  console.log(`  cache CPU for one cold pull (user + system): median ${median(v.coldCpu).toFixed(2)} s`)
  console.log(
    `  cache peak RSS (VmHWM): median ${median(v.peakRss).toFixed(0)} MiB, max ${Math.max(...v.peakRss).toFixed(0)} MiB`,
  )
  console.log(`  upstream GETs of the layer per ${CONCURRENT} concurrent cold pulls: ${v.upstreamGets.join(', ')}`)
}

const scratch = await mkdtemp(join(tmpdir(), 'zot-cold-pull-bench-'))
const upstream = await startDockerRegistry()
try {
  const layer = await pushLargeImage(upstream, scratch)
  const direct: Timing[] = []
  const skopeoDirect: number[] = []
  const variants = [variant(values.binary ?? 'this checkout', values.binary)]
  if (values.baseline) variants.push(variant(`baseline ${values.baseline}`, values.baseline))
  for (let round = 0; round < RUNS; round++) {
    direct.push(await curl(`${upstream.url}/v2/${REPOSITORY}/blobs/${layer}`))
    if (!values['no-skopeo']) skopeoDirect.push(await skopeoCopy(upstream.host))
    // Alternating which build goes first spreads a load spike over both.
    for (const v of round % 2 === 0 ? variants : [...variants].reverse()) await measure(v, upstream, scratch, layer)
    console.error(`run ${round + 1}/${RUNS} done`)
  }
  const directTotal = median(direct.map((t) => t.total))
  const directTtfb = median(direct.map((t) => t.ttfb))
  console.log(`one ${SIZE / (1 << 20)} MiB layer, curl; medians of ${RUNS} runs (ms)`)
  console.log('pull                           first byte     total   total / direct')
  console.log(`direct from the upstream       ${ms(directTtfb)}  ${ms(directTotal)}`)
  for (const v of variants) report(v, directTotal, directTtfb, skopeoDirect.length > 0 ? median(skopeoDirect) : 0)
} finally {
  await upstream.stop()
  await rm(scratch, { recursive: true, force: true })
}
