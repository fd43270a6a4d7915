/**
 * @module
 * Server CPU per byte of pulls on S3 (issue 19): a real `zot serve` (from source, or `--binary`)
 * storing in a bucket of a throwaway Ceph RADOS gateway, curl as the client. Per run and build:
 *
 * - a whole GET of one large blob, and a ranged GET of its second half (`Range: bytes=N/2-`);
 * - a cold pull of the same blob through the build as an on-demand cache of Debian's
 *   docker-registry (a fresh bucket and process each time): download, spool, verify and the
 *   commit into the bucket, measured until the blob is in the bucket.
 *
 * Prints medians of the server's CPU (user + system, from /proc) per 100 MB sent, and of the cold
 * pull's wall time from its request until the blob is in the bucket (HEAD polled every 20 ms).
 * `--baseline CMD`
 * measures another build (a compiled binary, or a script running an older checkout) in the same
 * rounds, the order alternating per round, so both see the same machine load. `--profile DIR`
 * runs this checkout under `bun --cpu-prof-md` and leaves the profiles in DIR.
 *
 *   bun scripts/bench/s3-pull.ts [--mib 256] [--runs 5] [--binary dist/zot] [--baseline CMD]
 *     [--no-sync] [--profile DIR]
 */
import { DeleteBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  createTestBucket,
  dropTestBuckets,
  emptyBucket,
  rawS3Client,
  startCephRgw,
  zotS3Params,
  type CephRgw,
} from '../../tests/support/counterparts/ceph-rgw'
import { run } from '../../tests/support/clients'
import { REPOSITORY_ROOT } from '../../tests/support/paths'
import { startProcess } from '../../tests/support/process'
import { freePort } from '../../tests/support/server'
import { pushBlob, randomBytes } from '../../tests/sync/support/content'
import { startDockerRegistry, type DockerRegistry } from '../../tests/sync/support/docker-registry'

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '256' },
    runs: { type: 'string', default: '5' },
    binary: { type: 'string' },
    baseline: { type: 'string' },
    'no-sync': { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
})
const SIZE = Number(values.mib) * (1 << 20)
const RUNS = Number(values.runs)
const REPOSITORY = 'bench/big'
const PER_100_MB = 100_000_000

interface Server {
  url: string
  cpuSeconds(): Promise<number>
  stop(): Promise<void>
}

/** A `zot serve` on `bucket`; with `upstream`, an on-demand cache of it. */
async function startZot(
  command: string[],
  rgw: CephRgw,
  bucket: string,
  scratch: string,
  upstream?: DockerRegistry,
): Promise<Server> {
  const root = await mkdtemp(join(scratch, 'zot-'))
  const port = await freePort()
  const configPath = join(root, 'config.json')
  await writeFile(
    configPath,
    JSON.stringify({
      // dedupe on S3 needs a shared cache (remote cacheDriver); placeholders are read either way.
      storage: { rootDirectory: join(root, 'data'), dedupe: false, storageDriver: zotS3Params(rgw, bucket) },
      http: { address: '127.0.0.1', port: String(port) },
      // The request log is on, as it is by default: it measures every streamed body.
      log: { level: 'info', output: join(root, 'zot.log') },
      ...(upstream && {
        extensions: {
          sync: {
            enable: true,
            downloadDir: join(root, 'spool'),
            registries: [{ urls: [upstream.url], onDemand: true }],
          },
        },
      }),
    }),
  )
  const url = `http://127.0.0.1:${port}`
  const child = await startProcess({
    command: [...command, 'serve', configPath],
    readyUrl: `${url}/v2/`,
    readyTimeoutMs: 30_000,
  })
  return {
    url,
    async cpuSeconds() {
      const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
      return (Number(fields[11]) + Number(fields[12])) / 100
    },
    async stop() {
      await child.stop()
      await rm(root, { recursive: true, force: true })
    },
  }
}

/** Downloads with curl; the bytes received. */
async function curl(url: string, range?: string): Promise<number> {
  const { stdout } = await run('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{size_download}',
    ...(range ? ['-H', `Range: ${range}`] : []),
    url,
  ])
  const [status, size] = stdout.trim().split(' ')
  if (status !== (range ? '206' : '200')) throw new Error(`curl ${url}: ${stdout}`)
  return Number(size)
}

/** The server's CPU milliseconds per 100 MB that `work` sent. */
async function cpuPer100MB(server: Server, work: () => Promise<number>): Promise<number> {
  const before = await server.cpuSeconds()
  const bytes = await work()
  return (((await server.cpuSeconds()) - before) * 1000 * PER_100_MB) / bytes
}

interface Variant {
  label: string
  command: string[]
  whole: number[]
  ranged: number[]
  cold: number[]
  /** Wall ms from the cold pull's request until the blob is in the bucket. */
  stored: number[]
}

const median = (numbers: number[]): number => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!

const scratch = await mkdtemp(join(tmpdir(), 'zot-s3-pull-bench-'))
const rgw = await startCephRgw()
const upstream = values['no-sync'] ? undefined : await startDockerRegistry()
const s3 = rawS3Client(rgw)
const blob = randomBytes(SIZE)
const profile = values.profile ? ['--cpu-prof-md', `--cpu-prof-dir=${values.profile}`] : []
const thisCheckout = values.binary
  ? [values.binary]
  : [process.execPath, ...profile, join(REPOSITORY_ROOT, 'cmd/zot.ts')]
const variants: Variant[] = [
  { label: values.binary ?? 'this checkout', command: thisCheckout, whole: [], ranged: [], cold: [], stored: [] },
]
if (values.baseline)
  variants.push({
    label: `baseline ${values.baseline}`,
    command: [values.baseline],
    whole: [],
    ranged: [],
    cold: [],
    stored: [],
  })
const servers = new Map<Variant, Server>()
try {
  let digest = ''
  for (const v of variants) {
    const server = await startZot(v.command, rgw, await createTestBucket(rgw, 'bench-pull'), scratch)
    digest = (await pushBlob(server, REPOSITORY, blob, 'application/octet-stream')).digest
    servers.set(v, server)
  }
  if (upstream) await pushBlob(upstream, REPOSITORY, blob, 'application/octet-stream')
  const blobPath = `/v2/${REPOSITORY}/blobs/${digest}`
  for (let round = 0; round < RUNS; round++) {
    for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
      const server = servers.get(v)!
      v.whole.push(await cpuPer100MB(server, () => curl(server.url + blobPath)))
      v.ranged.push(await cpuPer100MB(server, () => curl(server.url + blobPath, `bytes=${SIZE / 2}-`)))
      if (!upstream) continue
      const bucket = await createTestBucket(rgw, 'bench-cold', false)
      const cache = await startZot(v.command, rgw, bucket, scratch, upstream)
      const key = `zot/zot/${REPOSITORY}/blobs/sha256/${digest.slice('sha256:'.length)}`
      v.cold.push(
        await cpuPer100MB(cache, async () => {
          const started = performance.now()
          const bytes = await curl(cache.url + blobPath)
          // The commit into the bucket follows the download: the pull costs it too.
          for (let tries = 0; ; tries++) {
            const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined)
            if (head?.ContentLength === SIZE) {
              v.stored.push(performance.now() - started)
              break
            }
            if (tries > 3000) throw new Error('the cold pull was not committed to the bucket within 60 s')
            await Bun.sleep(20)
          }
          return bytes
        }),
      )
      await cache.stop()
      // The gateway holds objects in RAM: each cold bucket goes once measured.
      await emptyBucket(s3, bucket)
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }))
    }
    console.error(`run ${round + 1}/${RUNS} done`)
  }
  const ms = (numbers: number[]): string =>
    numbers.length === 0 ? '       -' : `${median(numbers).toFixed(0).padStart(8)}`
  console.log(`server CPU ms per 100 MB sent; one ${SIZE / (1 << 20)} MiB blob on Ceph RGW, curl; medians of ${RUNS}`)
  console.log('build                                      whole GET  ranged GET  cold pull-through  (stored after, ms)')
  for (const v of variants) {
    console.log(
      `${v.label.slice(0, 40).padEnd(40)} ${ms(v.whole)}    ${ms(v.ranged)}    ${ms(v.cold)}           ${ms(v.stored)}`,
    )
  }
} finally {
  for (const server of servers.values()) await server.stop().catch(() => {})
  await upstream?.stop()
  await dropTestBuckets(rgw)
  s3.destroy()
  await rgw.stop()
  await rm(scratch, { recursive: true, force: true })
}
