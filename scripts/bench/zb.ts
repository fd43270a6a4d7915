/**
 * @module
 * A registry load generator in the spirit of zot's `zb`, speaking only the distribution API, so
 * it measures any registry. Prints a table and (with --json) writes the results.
 *
 *   bun scripts/bench/zb.ts --url http://127.0.0.1:5000 [-c 10] [-n 100] [-t 'Pull|Push'] [--json out.json]
 *   bun scripts/bench/zb.ts --url URL --upstream UPSTREAM_URL -t Sync   # on-demand sync through URL
 *   bun scripts/bench/zb.ts --compare [-c 10] [-n 50]   # dist/zot vs Debian's docker-registry
 *   bun scripts/bench/zb.ts --compare -A bench:secret    # both with htpasswd; zot with accessControl too
 *   bun scripts/bench/zb.ts --compare --s3 -n 20         # both on a throwaway Ceph RADOS gateway
 *   bun scripts/bench/zb.ts --compare --sync -t Sync     # both as on-demand caches of a third registry
 *
 * --compare starts both registries on free ports with throwaway storage, runs every scenario
 * against each, and prints the two side by side with the ratio (zot / reference), with the
 * server CPU each operation cost (from /proc; `--pid` gives it for `--url`).
 */
import { parseArgs } from 'node:util'
import { BenchClient } from './client'
import { runPool, summarize, type ScenarioResult } from './stats'
import { startBenchTargets } from './targets'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    upstream: { type: 'string' },
    compare: { type: 'boolean', default: false },
    concurrency: { type: 'string', short: 'c', default: '10' },
    requests: { type: 'string', short: 'n', default: '100' },
    tests: { type: 'string', short: 't', default: '.' },
    auth: { type: 'string', short: 'A' },
    s3: { type: 'boolean', default: false },
    sync: { type: 'boolean', default: false },
    pid: { type: 'string' },
    json: { type: 'string' },
  },
})

const concurrency = Number(values.concurrency)
const requests = Number(values.requests)
const selected = new RegExp(values.tests!, 'i')
const MB = 1_000_000
const run = crypto.randomUUID().slice(0, 8)

type Scenario = { name: string; run: (client: BenchClient, upstream?: BenchClient) => Promise<ScenarioResult> }

/** The server under test, for CPU accounting. */
let serverPid: number | undefined

/** Fewer operations for big images, so a default run stays within minutes. */
const countFor = (size: number): number =>
  Math.max(1, Math.round(requests / (size / MB >= 100 ? 20 : size / MB >= 10 ? 4 : 1)))

const pushScenario = (size: number, streamed: boolean): Scenario => ({
  name: `Push ${streamed ? 'Chunk Streamed' : 'Monolith'} ${size / MB}MB`,
  run: async (client) => {
    const pool = await runPool(
      countFor(size),
      concurrency,
      (i) => client.pushImage(`zb-${run}/push-${streamed ? 's' : 'm'}${size / MB}-${i % 100}`, `t${i}`, size, streamed),
      serverPid,
    )
    return summarize(`Push ${streamed ? 'Chunk Streamed' : 'Monolith'} ${size / MB}MB`, pool)
  },
})

const pullScenario = (size: number): Scenario => ({
  name: `Pull ${size / MB}MB`,
  run: async (client) => {
    const repository = `zb-${run}/pull-${size / MB}`
    await client.pushImage(repository, 'latest', size, false)
    const pool = await runPool(countFor(size), concurrency, () => client.pullImage(repository, 'latest'), serverPid)
    return summarize(`Pull ${size / MB}MB`, pool)
  },
})

const requestStorm = (
  name: string,
  path: (repository: string) => string,
  method: 'GET' | 'HEAD',
  connections: number,
): Scenario => ({
  name,
  run: async (client) => {
    const repository = `zb-${run}/storm`
    await client.pushImage(repository, 'latest', 1024, false)
    const target = `${client.baseUrl}${path(repository)}`
    const pool = await runPool(
      requests * 50,
      connections,
      async () => {
        const response = await fetch(target, {
          method,
          headers: client.authHeaders({ Accept: 'application/vnd.oci.image.manifest.v1+json' }),
        })
        await response.arrayBuffer()
        if (response.status !== 200) throw new Error(String(response.status))
      },
      serverPid,
    )
    return summarize(name, pool)
  },
})

const scenarios: Scenario[] = [
  ...[1, 10, 100].map((size) => pushScenario(size * MB, false)),
  ...[1, 10, 100].map((size) => pushScenario(size * MB, true)),
  ...[1, 10, 100].map((size) => pullScenario(size * MB)),
  requestStorm('Manifest GET (64 connections)', (r) => `/v2/${r}/manifests/latest`, 'GET', 64),
  requestStorm('Manifest HEAD (64 connections)', (r) => `/v2/${r}/manifests/latest`, 'HEAD', 64),
  requestStorm('Get Catalog', () => '/v2/_catalog', 'GET', concurrency),
  {
    name: 'On-demand Sync 100MB',
    run: async (client, upstream) => {
      if (!upstream) throw new Error('needs --upstream: a registry the server under test syncs from on demand')
      const repositories = Array.from({ length: countFor(100 * MB) }, (_, i) => `zb-${run}/sync-${i}`)
      for (const repository of repositories) await upstream.pushImage(repository, 'latest', 100 * MB, false)
      const pool = await runPool(
        repositories.length,
        concurrency,
        (i) => client.pullImage(repositories[i]!, 'latest'),
        serverPid,
      )
      return summarize('On-demand Sync 100MB', pool)
    },
  },
]

async function runAll(url: string, pid: number | undefined, upstream?: string): Promise<ScenarioResult[]> {
  serverPid = pid
  const client = new BenchClient(url, values.auth ? `Basic ${btoa(values.auth)}` : undefined)
  const upstreamClient = upstream ? new BenchClient(upstream) : undefined
  const results: ScenarioResult[] = []
  for (const scenario of scenarios.filter((s) => selected.test(s.name))) {
    if (scenario.name.includes('Sync') && !upstreamClient) continue
    process.stderr.write(`${url}: ${scenario.name}...\n`)
    results.push(await scenario.run(client, upstreamClient))
  }
  return results
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells
    .map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]!) : String(cell).padStart(widths[i]!)))
    .join('  ')
}

function printTable(columns: { label: string; results: ScenarioResult[] }[]): void {
  const widths = [32, ...columns.flatMap(() => [10, 9, 9, 10, 8])]
  console.log(
    row(['scenario', ...columns.flatMap((c) => [`${c.label} ops/s`, 'MB/s', 'p99 ms', 'CPU ms/op', 'failed'])], widths),
  )
  for (const [index, first] of (columns[0]?.results ?? []).entries()) {
    const cells = columns.flatMap((c) => {
      const result = c.results[index]!
      return [
        result.rate,
        result.megabytesPerSecond ?? '-',
        result.latencyMs.p99,
        result.serverCpuMsPerOp ?? '-',
        result.failed,
      ]
    })
    const ratio =
      columns.length === 2
        ? `  x${(columns[0]!.results[index]!.rate / Math.max(columns[1]!.results[index]!.rate, 1e-9)).toFixed(2)}`
        : ''
    console.log(row([first.name, ...cells], widths) + ratio)
  }
}

if (values.compare) {
  const targets = await startBenchTargets({
    ...(values.auth && { auth: values.auth }),
    s3: values.s3!,
    sync: values.sync!,
  })
  try {
    const zot = await runAll(targets.zot.url, targets.zot.pid, targets.upstream?.url)
    const reference = await runAll(targets.reference.url, targets.reference.pid, targets.upstream?.url)
    printTable([
      { label: 'zot', results: zot },
      { label: 'ref', results: reference },
    ])
    if (values.json) await Bun.write(values.json, JSON.stringify({ zot, reference }, null, 2))
  } finally {
    await targets.stop()
  }
} else {
  if (!values.url) throw new Error('give --url URL (or --compare)')
  const results = await runAll(
    values.url.replace(/\/$/, ''),
    values.pid ? Number(values.pid) : undefined,
    values.upstream,
  )
  printTable([{ label: 'target', results }])
  if (values.json) await Bun.write(values.json, JSON.stringify(results, null, 2))
}
