/**
 * @module
 * Soak of two replicas sharing one bucket (issue 21): a throwaway Ceph RADOS gateway, replica A
 * with GC off and B with GC on (short gcDelay and interval, so sweeps race the pushes), clients
 * pushing, pulling (verified byte for byte), deleting and reusing orphans on both, and a kill -9
 * of one replica (alternately) every few minutes, restarted at once. At the end: every
 * acknowledged, undeleted image is pulled through both replicas and verified (an image whose
 * DELETE got no answer may or may not be gone: it is listed as withdrawn). Prints (and with
 * --out writes) operations, failures, images verified, and RSS and descriptors over time.
 *
 *   bun scripts/soak/replicas.ts [--minutes 30] [--kill-every 180] [--clients 4]
 *                                [--gc-delay 10s] [--gc-interval 5s] [--binary dist/zot] [--out soak.json]
 *
 * Exit code 0 when no acknowledged image was lost, 1 otherwise.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { createTestBucket, startCephRgw, zotS3Params } from '../../tests/support/counterparts/ceph-rgw'
import { startRegistry, type RunningRegistry } from '../../tests/support/server'
import { Workload, type Endpoint } from './workload'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'kill-every': { type: 'string', default: '180' },
    clients: { type: 'string', default: '4' },
    'gc-delay': { type: 'string', default: '10s' },
    'gc-interval': { type: 'string', default: '5s' },
    binary: { type: 'string' },
    out: { type: 'string' },
  },
})
const durationMs = Number(values.minutes) * 60_000
const killEveryMs = Number(values['kill-every']) * 1000
const SAMPLE_EVERY_MS = 15_000

interface Sample {
  atSeconds: number
  replica: string
  pid: number
  rssMiB: number
  descriptors: number
}

/** One replica: restarted with the same config after each kill. */
class Replica implements Endpoint {
  private running: RunningRegistry | undefined
  kills = 0

  constructor(
    readonly name: string,
    private readonly config: Record<string, unknown>,
  ) {}

  url(): string | undefined {
    return this.running?.url
  }

  get pid(): number | undefined {
    return this.running?.pid
  }

  async start(): Promise<void> {
    this.running = await startRegistry({
      config: this.config,
      ...(values.binary && { binary: values.binary }),
      readyTimeoutMs: 60_000,
    })
  }

  async killAndRestart(): Promise<void> {
    const victim = this.running
    if (!victim) return
    this.running = undefined
    victim.kill('SIGKILL')
    await victim.exited
    this.kills++
    await victim.stop()
    await this.start()
  }

  async stop(): Promise<void> {
    await this.running?.stop()
    this.running = undefined
  }

  logs(): string {
    return this.running?.logs() ?? ''
  }
}

function sample(replica: Replica, startedAt: number): Sample | undefined {
  const pid = replica.pid
  if (pid === undefined) return undefined
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    const descriptors = readdirSync(`/proc/${pid}/fd`).length
    const atSeconds = Math.round((Date.now() - startedAt) / 1000)
    return { atSeconds, replica: replica.name, pid, rssMiB: Math.round(rssKiB / 1024), descriptors }
  } catch {
    return undefined // killed between the check and the read
  }
}

async function main(): Promise<number> {
  const rgw = await startCephRgw()
  const bucket = await createTestBucket(rgw, 'soak', false)
  const storage = (gc: boolean) => ({
    storage: {
      dedupe: false,
      gc,
      gcDelay: values['gc-delay'],
      gcInterval: values['gc-interval'],
      storageDriver: zotS3Params(rgw, bucket),
    },
    log: { level: 'warn' },
  })
  const replicas = [new Replica('A (gc off)', storage(false)), new Replica('B (gc on)', storage(true))]
  await Promise.all(replicas.map((replica) => replica.start()))
  const workload = new Workload(replicas)
  const samples: Sample[] = []
  const startedAt = Date.now()
  const deadline = startedAt + durationMs
  let stopping = false

  const clients = Array.from({ length: Number(values.clients) }, async () => {
    while (!stopping && Date.now() < deadline) await workload.step()
  })
  const killer = (async () => {
    for (let round = 0; !stopping; round++) {
      const wake = Date.now() + killEveryMs
      while (!stopping && Date.now() < Math.min(wake, deadline)) await Bun.sleep(500)
      if (stopping || Date.now() >= deadline) return
      const victim = replicas[round % replicas.length]!
      console.log(`${new Date().toISOString()} kill -9 ${victim.name} (pid ${victim.pid})`)
      await victim.killAndRestart()
    }
  })()
  const sampler = setInterval(() => {
    for (const replica of replicas) {
      const taken = sample(replica, startedAt)
      if (taken) samples.push(taken)
    }
    const elapsed = Math.round((Date.now() - startedAt) / 60_000)
    const ops = Object.values(workload.counts).reduce((sum, n) => sum + n, 0)
    console.log(`${elapsed} min: ${ops} operations, ${workload.live.length} live images, ${workload.lost.length} lost`)
  }, SAMPLE_EVERY_MS)

  await Promise.all(clients)
  stopping = true
  await killer
  clearInterval(sampler)
  // Let GC run over what the clients left, then check everything through both replicas.
  await Bun.sleep(15_000)
  const verified = await workload.verifyAll()
  const summary = {
    minutes: Number(values.minutes),
    kills: Object.fromEntries(replicas.map((replica) => [replica.name, replica.kills])),
    operations: workload.counts,
    imagesVerifiedAtEnd: verified,
    lost: workload.lost,
    withdrawn: workload.withdrawn,
    memoryAndDescriptors: samples,
  }
  console.log(JSON.stringify({ ...summary, memoryAndDescriptors: summarizeSamples(samples) }, null, 2))
  if (values.out) writeFileSync(values.out, JSON.stringify(summary, null, 2))
  if (workload.lost.length > 0) for (const replica of replicas) console.error(replica.name, replica.logs().slice(-4000))
  await Promise.all(replicas.map((replica) => replica.stop()))
  await rgw.stop()
  return workload.lost.length === 0 ? 0 : 1
}

/** First, last and peak per process (a replica restarted is a new one): the trend of each. */
function summarizeSamples(samples: Sample[]): Record<string, string> {
  const byProcess = Map.groupBy(samples, (entry) => `${entry.replica} pid ${entry.pid}`)
  return Object.fromEntries(
    [...byProcess].map(([name, list]) => {
      const rss = list.map((entry) => entry.rssMiB)
      const fds = list.map((entry) => entry.descriptors)
      const span = `${list[0]!.atSeconds}-${list.at(-1)!.atSeconds} s`
      const trend = `RSS ${rss[0]} -> ${rss.at(-1)} MiB (max ${Math.max(...rss)}), descriptors ${fds[0]} -> ${fds.at(-1)} (max ${Math.max(...fds)})`
      return [name, `${span}: ${trend}`]
    }),
  )
}

process.exit(await main())
