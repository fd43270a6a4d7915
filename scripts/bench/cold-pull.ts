/**
 * @module
 * Cold pull through the pull-through cache against the same pull straight from the upstream, side
 * by side in one run (issue 19): one large layer (500 MiB by default) on Debian's docker-registry
 * on loopback, the cache a real `zot serve` (from source, or `--binary dist/zot`) in its own
 * process with a fresh root for every cold pull. Per run, with curl: one direct pull, one cold
 * pull then two warm ones, and `--concurrent` cold pulls of the same blob at once through another
 * fresh cache; with skopeo (the whole image: manifest, config, layer): one direct copy and one
 * cold copy. Prints medians (first byte, total), the ratios to direct, the cache's CPU per pull,
 * its peak RSS (VmHWM) and the upstream GETs the concurrent pulls cost.
 *
 * The floors, measured in the same rounds: `--concurrent` direct pulls at once (the reference for
 * the concurrent cold pulls), and a minimal Bun relay (support/relay.ts) passing the upstream's
 * body straight through, without and with SHA-256 of every chunk: what any cache written in Bun
 * costs on this machine before doing anything of its own.
 *
 * `--containerd`: a realistic image (support/upstream-images.ts: four gzip'd tars of files) pulled
 * with `ctr pull` by a private containerd, which unpacks it, and with `ctr content fetch` (the
 * transfer alone), straight from the upstream and through a fresh cache named as the upstream's
 * mirror in hosts.toml; the image and its content are removed after every pull, so each one is
 * cold on the containerd side too. The direct pulls and the caches take turns going first.
 *
 * `--s3`: the cold and warm pulls again with the cache's storage on a fresh bucket of a
 * throwaway Ceph RGW (started once per run).
 *
 * `--baseline CMD` measures another build the same way in the same rounds (a compiled binary, or
 * a script running an older checkout), so a change is compared under the same machine load.
 *
 *   bun scripts/bench/cold-pull.ts [--mib 500] [--runs 5] [--concurrent 8] [--binary dist/zot]
 *     [--baseline /tmp/zot-before] [--no-skopeo] [--containerd] [--s3]
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createClientEnvironment, run } from '../../tests/support/clients'
import {
  type CephRgw,
  createTestBucket,
  dropTestBuckets,
  startCephRgw,
  zotS3Params,
} from '../../tests/support/counterparts/ceph-rgw'
import { REPOSITORY_ROOT } from '../../tests/support/paths'
import { type RunningProcess, startProcess } from '../../tests/support/process'
import { freePort } from '../../tests/support/server'
import { type Containerd, mirrorOnly, startContainerd } from '../../tests/sync/support/containerd'
import { type DockerRegistry, startDockerRegistry } from '../../tests/sync/support/docker-registry'
import { type PushedLayeredImage, pushLargeImage, pushLayeredImage } from './support/upstream-images'

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '500' },
    runs: { type: 'string', default: '5' },
    concurrent: { type: 'string', default: '8' },
    binary: { type: 'string' },
    baseline: { type: 'string' },
    'no-skopeo': { type: 'boolean', default: false },
    containerd: { type: 'boolean', default: false },
    s3: { type: 'boolean', default: false },
  },
})
const SIZE = Number(values.mib) * (1 << 20)
const RUNS = Number(values.runs)
const CONCURRENT = Number(values.concurrent)
const REPOSITORY = 'bench/big'
const APP_REPOSITORY = 'bench/app'
const RELAY_SCRIPT = join(import.meta.dir, 'support/relay.ts')

interface Timing {
  ttfb: number
  total: number
}

/** Named measurements, one value per round: milliseconds, CPU seconds or MiB. */
class Series {
  private readonly byName = new Map<string, number[]>()

  add(name: string, value: number): void {
    this.byName.set(name, [...this.all(name), value])
  }
  /** A pull's first byte and total under `name.ttfb` and `name.total`. */
  addTiming(name: string, timing: Timing): void {
    this.add(`${name}.ttfb`, timing.ttfb)
    this.add(`${name}.total`, timing.total)
  }
  all(name: string): number[] {
    return this.byName.get(name) ?? []
  }
  has(name: string): boolean {
    return this.all(name).length > 0
  }
  median(name: string): number {
    return median(this.all(name))
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const ms = (value: number): string => value.toFixed(0)
const ratio = (value: number, reference: number): string => `${(value / reference).toFixed(2)}x`
const seconds = (value: number): string => `${(value / 1000).toFixed(2)} s`

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

/** `--concurrent` pulls of `url` at once: the median first byte and the slowest total. */
async function curlConcurrently(url: string): Promise<Timing> {
  const many = await Promise.all(Array.from({ length: CONCURRENT }, () => curl(url)))
  return { ttfb: median(many.map((timing) => timing.ttfb)), total: Math.max(...many.map((timing) => timing.total)) }
}

/** CPU seconds (user + system) a process has used so far. */
async function cpuSecondsOf(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/**
 * CPU seconds once the process has gone quiet (under 20 ms of CPU in half a second): a cache may
 * still be storing a blob after its client has the last byte, and that work belongs to the pull.
 */
async function settledCpuSecondsOf(pid: number): Promise<number> {
  let previous = await cpuSecondsOf(pid)
  for (;;) {
    await Bun.sleep(500)
    const now = await cpuSecondsOf(pid)
    if (now - previous < 0.02) return now
    previous = now
  }
}

/** A pull timed with curl, and the CPU the serving process spent on it. */
async function curlWithCpu(url: string, pid: number): Promise<{ timing: Timing; cpu: number }> {
  const before = await cpuSecondsOf(pid)
  const timing = await curl(url)
  return { timing, cpu: (await settledCpuSecondsOf(pid)) - before }
}

async function peakRssMiBOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024
}

/**
 * A cache's config: content on local disk, or on a fresh bucket of the gateway (then sync stages
 * downloads in a local directory, as it must with remote storage).
 */
async function cacheConfig(root: string, port: number, upstream: DockerRegistry, rgw: CephRgw | undefined) {
  const rootDirectory = join(root, 'data')
  const common = { http: { address: '127.0.0.1', port: String(port) }, log: { level: 'warn' } }
  const registries = [{ urls: [upstream.url], onDemand: true }]
  if (!rgw) return { ...common, storage: { rootDirectory }, extensions: { sync: { enable: true, registries } } }
  const storageDriver = { ...zotS3Params(rgw, await createTestBucket(rgw, 'cold-pull')), forcepathstyle: true }
  return {
    ...common,
    // zot refuses dedupe on S3 without a cacheDriver.
    storage: { rootDirectory, dedupe: false, storageDriver },
    extensions: { sync: { enable: true, downloadDir: join(root, 'download'), registries } },
  }
}

interface Cache {
  url: string
  process: RunningProcess
}

/** Runs `use` against a fresh `zot serve` caching `upstream` on demand, then stops it. */
async function withCache<T>(
  upstream: DockerRegistry,
  scratch: string,
  binary: string | undefined,
  rgw: CephRgw | undefined,
  use: (cache: Cache) => Promise<T>,
): Promise<T> {
  const root = await mkdtemp(join(scratch, 'cache-'))
  const port = await freePort()
  const configPath = join(root, 'config.json')
  await writeFile(configPath, JSON.stringify(await cacheConfig(root, port, upstream, rgw)))
  const command = binary
    ? [binary, 'serve', configPath]
    : [process.execPath, join(REPOSITORY_ROOT, 'cmd/zot.ts'), 'serve', configPath]
  const url = `http://127.0.0.1:${port}`
  const child = await startProcess({ command, readyUrl: `${url}/v2/`, readyTimeoutMs: 20_000 })
  try {
    return await use({ url, process: child })
  } finally {
    await child.stop()
    if (rgw) await dropTestBuckets(rgw)
    await rm(root, { recursive: true, force: true })
  }
}

/** Runs `use` against a fresh relay (support/relay.ts) in front of `upstream`, then stops it. */
async function withRelay<T>(upstream: DockerRegistry, hash: boolean, use: (relay: Cache) => Promise<T>): Promise<T> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const command = [process.execPath, RELAY_SCRIPT, upstream.url, String(port), ...(hash ? ['--hash'] : [])]
  const child = await startProcess({ command, readyUrl: `${url}/v2/`, readyTimeoutMs: 20_000 })
  try {
    return await use({ url, process: child })
  } finally {
    await child.stop()
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

/** `ctr pull` fetches and unpacks into snapshots; `ctr content fetch` only fetches. */
type CtrCommand = 'pull' | 'fetch'
const CTR_COMMANDS: Record<CtrCommand, string[]> = { pull: ['images', 'pull'], fetch: ['content', 'fetch'] }

/**
 * `ctr pull` or `ctr content fetch` of the realistic image, straight from the upstream or
 * through `mirror` (a hosts.toml entry for the upstream's host); returns the milliseconds it
 * took. The image is removed and its content and snapshots collected afterwards, so every pull
 * is cold.
 */
async function ctrPull(
  containerd: Containerd,
  upstream: DockerRegistry,
  command: CtrCommand,
  mirror?: string,
): Promise<number> {
  const reference = `${upstream.host}/${APP_REPOSITORY}:v1`
  const hosts = mirror ? ['--hosts-dir', containerd.hostsDirectory] : []
  if (mirror) await containerd.writeHosts(upstream.host, mirrorOnly(upstream.url, mirror))
  const directBefore = containerdGets(upstream)
  const started = performance.now()
  await containerd.ctr([...CTR_COMMANDS[command], '--plain-http', ...hosts, reference])
  const took = performance.now() - started
  const directGets = containerdGets(upstream) - directBefore
  if (mirror && directGets > 0) throw new Error(`containerd fell back to the upstream (${directGets} GETs)`)
  await containerd.ctr(['images', 'rm', '--sync', reference])
  const left = await containerd.contentDigests()
  if (left.size > 0) throw new Error(`containerd kept ${left.size} blobs after the image was removed`)
  return took
}

/** The upstream's requests for the realistic image that came from containerd itself. */
const containerdGets = (upstream: DockerRegistry): number =>
  upstream.accessLog().filter((line) => line.includes(`/v2/${APP_REPOSITORY}/`) && line.includes('containerd')).length

/** Everything one bench run shares: the upstream and its content, and the optional counterparts. */
interface Bench {
  upstream: DockerRegistry
  scratch: string
  layer: string
  containerd?: Containerd
  rgw?: CephRgw
}

const blobPath = (bench: Bench): string => `/v2/${REPOSITORY}/blobs/${bench.layer}`

/** The references of one round: direct pulls, concurrent direct pulls and the two relays. */
async function measureReferences(bench: Bench, series: Series): Promise<void> {
  const { upstream } = bench
  series.addTiming('direct', await curl(upstream.url + blobPath(bench)))
  series.addTiming('concurrent direct', await curlConcurrently(upstream.url + blobPath(bench)))
  for (const [name, hash] of [
    ['relay', false],
    ['relay + hash', true],
  ] as const) {
    const pulled = await withRelay(upstream, hash, (relay) =>
      curlWithCpu(relay.url + blobPath(bench), relay.process.pid),
    )
    series.addTiming(name, pulled.timing)
    series.add(`${name}.cpu`, pulled.cpu)
  }
  if (!values['no-skopeo']) series.add('skopeo', await skopeoCopy(upstream.host))
  const { containerd } = bench
  if (!containerd) return
  for (const command of ['pull', 'fetch'] as const)
    series.add(`ctr ${command}`, await ctrPull(containerd, upstream, command))
}

/** What one build of the cache measured over the rounds. */
interface Variant {
  label: string
  binary: string | undefined
  series: Series
}

/**
 * A cold pull then two warm ones through a fresh cache (on `rgw` when given), under `prefix`: the
 * timings, the cache's CPU for each, and its peak RSS. The first warm pull comes right after the
 * cold one, as a second client would; on S3 it can find the blob still being stored.
 */
async function measureColdAndWarm(bench: Bench, v: Variant, prefix: string, rgw?: CephRgw): Promise<void> {
  await withCache(bench.upstream, bench.scratch, v.binary, rgw, async (cache) => {
    await run('curl', ['-sS', '-o', '/dev/null', `${cache.url}/v2/${REPOSITORY}/manifests/v1`])
    for (const name of ['cold', 'warm', 'warm again']) {
      const pulled = await curlWithCpu(cache.url + blobPath(bench), cache.process.pid)
      v.series.addTiming(`${prefix}${name}`, pulled.timing)
      v.series.add(`${prefix}${name}.cpu`, pulled.cpu)
    }
    v.series.add(`${prefix}rss`, await peakRssMiBOf(cache.process.pid))
  })
}

/** `--concurrent` cold pulls through one fresh cache, and the upstream GETs they cost. */
async function measureConcurrentCold(bench: Bench, v: Variant): Promise<void> {
  const { upstream } = bench
  await withCache(upstream, bench.scratch, v.binary, undefined, async (cache) => {
    await run('curl', ['-sS', '-o', '/dev/null', `${cache.url}/v2/${REPOSITORY}/manifests/v1`])
    const layerGets = () => upstream.count('GET', new RegExp(`/blobs/${bench.layer}$`))
    const before = layerGets()
    v.series.addTiming('concurrent cold', await curlConcurrently(cache.url + blobPath(bench)))
    v.series.add('upstream gets', layerGets() - before)
    v.series.add('rss', await peakRssMiBOf(cache.process.pid))
  })
}

/** `ctr pull` and `ctr content fetch` of the realistic image, each through a fresh cache. */
async function measureContainerd(bench: Bench, v: Variant, containerd: Containerd): Promise<void> {
  const { upstream, scratch } = bench
  for (const command of ['pull', 'fetch'] as const) {
    const took = await withCache(upstream, scratch, v.binary, undefined, (cache) =>
      ctrPull(containerd, upstream, command, cache.url),
    )
    v.series.add(`ctr ${command}`, took)
  }
}

/** One round of a build: cold and warm pulls, the whole-image clients, the concurrent pulls. */
async function measure(bench: Bench, v: Variant): Promise<void> {
  const { upstream, scratch } = bench
  await measureColdAndWarm(bench, v, '')
  if (bench.rgw) await measureColdAndWarm(bench, v, 's3 ', bench.rgw)
  if (!values['no-skopeo']) {
    const took = await withCache(upstream, scratch, v.binary, undefined, (cache) => skopeoCopy(new URL(cache.url).host))
    v.series.add('skopeo', took)
  }
  if (bench.containerd) await measureContainerd(bench, v, bench.containerd)
  await measureConcurrentCold(bench, v)
}

/** One line of the table: a label and right-aligned cells, the same widths for header and rows. */
const line = (label: string, ttfb: string, total: string, toDirect: string, cpu: string, note = ''): string =>
  `${label.padEnd(40)}${ttfb.padStart(10)}${total.padStart(10)}${toDirect.padStart(10)}${cpu.padStart(9)}${note && `   ${note}`}`

/** One table row: `name` of `series` as a pull, its ratio to `reference` and its CPU if measured. */
function row(label: string, series: Series, name: string, reference: number, note = ''): void {
  const total = series.median(`${name}.total`)
  const cpu = series.has(`${name}.cpu`) ? series.median(`${name}.cpu`).toFixed(2) : ''
  console.log(line(label, ms(series.median(`${name}.ttfb`)), ms(total), ratio(total, reference), cpu, note))
}

function reportReferences(references: Series): void {
  const direct = references.median('direct.total')
  console.log(`one ${SIZE / (1 << 20)} MiB layer, curl; medians of ${RUNS} runs (ms)`)
  console.log(line('pull', 'first byte', 'total', '/ direct', 'CPU (s)'))
  row('direct from the upstream', references, 'direct', direct)
  row(`${CONCURRENT} concurrent direct (slowest)`, references, 'concurrent direct', direct)
  row('relay floor (Bun, pass-through)', references, 'relay', direct)
  row('relay + hash floor (SHA-256)', references, 'relay + hash', direct)
}

/** A whole-image client's line: direct and cold medians and their ratio. */
function clientLine(label: string, references: Series, v: Variant, name: string): void {
  if (!v.series.has(name)) return
  const direct = references.median(name)
  const cold = v.series.median(name)
  console.log(`  ${label}: direct ${seconds(direct)}, cold ${seconds(cold)}   ${ratio(cold, direct)}`)
}

function report(v: Variant, references: Series, appImage: PushedLayeredImage | undefined): void {
  const direct = references.median('direct.total')
  const hashFloor = references.median('relay + hash.total')
  const s = v.series
  console.log(`${v.label}:`)
  const coldNote = `(${ratio(s.median('cold.total'), hashFloor)} the relay + hash floor)`
  row('  cold through the cache', s, 'cold', direct, coldNote)
  row('  warm, right after the cold pull', s, 'warm', direct)
  row('  warm again', s, 'warm again', direct)
  if (s.has('s3 cold.total')) {
    const s3Note = `(${ratio(s.median('s3 cold.total'), hashFloor)} the relay + hash floor)`
    row('  S3: cold through the cache', s, 's3 cold', direct, s3Note)
    row('  S3: warm, right after the cold pull', s, 's3 warm', direct)
    row('  S3: warm again', s, 's3 warm again', direct)
  }
  const concurrentNote = `(${ratio(s.median('concurrent cold.total'), references.median('concurrent direct.total'))} ${CONCURRENT} concurrent direct)`
  row(`  ${CONCURRENT} concurrent cold (slowest)`, s, 'concurrent cold', direct, concurrentNote)
  clientLine('skopeo copy of the image', references, v, 'skopeo')
  if (appImage) {
    const mib = (bytes: number) => (bytes / (1 << 20)).toFixed(0)
    const image = `${appImage.layers} layers, ${mib(appImage.compressedBytes)} MiB gzip'd, ${mib(appImage.uncompressedBytes)} MiB of files`
    console.log(`  an image of ${image}, containerd:`)
    clientLine('  ctr pull (fetch and unpack)', references, v, 'ctr pull')
    clientLine('  ctr content fetch (no unpacking)', references, v, 'ctr fetch')
  }
  console.log(`  first byte, cold / direct: ${ratio(s.median('cold.ttfb'), references.median('direct.ttfb'))}`)
  const rss = s.all('rss')
  console.log(
    `  cache peak RSS (VmHWM): median ${median(rss).toFixed(0)} MiB, max ${Math.max(...rss).toFixed(0)} MiB` +
      (s.has('s3 rss') ? `; on S3 median ${s.median('s3 rss').toFixed(0)} MiB` : ''),
  )
  console.log(
    `  upstream GETs of the layer per ${CONCURRENT} concurrent cold pulls: ${s.all('upstream gets').join(', ')}`,
  )
}

/** Starts what the options ask for, runs the rounds, prints the tables; stops everything. */
async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'zot-cold-pull-bench-'))
  const upstream = await startDockerRegistry()
  const bench: Bench = { upstream, scratch, layer: '' }
  try {
    bench.layer = await pushLargeImage(upstream, REPOSITORY, SIZE, scratch)
    const appImage = values.containerd ? await pushLayeredImage(upstream, APP_REPOSITORY, scratch) : undefined
    if (values.containerd) bench.containerd = await startContainerd()
    if (values.s3) bench.rgw = await startCephRgw()
    const references = new Series()
    const variants: Variant[] = [
      { label: values.binary ?? 'this checkout', binary: values.binary, series: new Series() },
    ]
    if (values.baseline) {
      variants.push({ label: `baseline ${values.baseline}`, binary: values.baseline, series: new Series() })
    }
    for (let round = 0; round < RUNS; round++) {
      // Alternating what goes first (the direct pulls or the caches, and which build) spreads a
      // load spike, and what one step leaves behind for the next (page cache, containerd's
      // garbage collection), over all of them.
      const even = round % 2 === 0
      if (even) await measureReferences(bench, references)
      for (const v of even ? variants : [...variants].reverse()) await measure(bench, v)
      if (!even) await measureReferences(bench, references)
      console.error(`run ${round + 1}/${RUNS} done`)
    }
    reportReferences(references)
    for (const v of variants) report(v, references, appImage)
  } finally {
    await bench.containerd?.stop()
    await bench.rgw?.stop()
    await upstream.stop()
    await rm(scratch, { recursive: true, force: true })
  }
}

await main()
