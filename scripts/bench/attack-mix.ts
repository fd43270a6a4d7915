/**
 * @module
 * The security issue's attack mix, run by hand: a registry with htpasswd, API keys,
 * accessControl and metrics is attacked for `--seconds` (default 60) by four bounded loops at
 * once — ReDoS scope attempts (evil scopes at creation, a wildcard-heavy allowed scope against
 * 255-character names, a backtracking accessControl glob against crafted anonymous names),
 * wrong-password bursts (24 at once, a real and an unknown user), 4 MiB deeply nested manifests,
 * and metric-label spam — while `/livez` is timed every 20 ms. Prints the probe's percentiles
 * and each loop's request count and statuses. Traffic goes to 127.0.0.1 only.
 *
 *   bun scripts/bench/attack-mix.ts [--binary dist/zot] [--seconds 60]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { startRegistry } from '../../tests/support/server'

const { values } = parseArgs({ options: { binary: { type: 'string' }, seconds: { type: 'string', default: '60' } } })
const seconds = Number(values.seconds)

/** Each loop stops at the deadline or after this many requests, whichever comes first. */
const MAX_REQUESTS_PER_LOOP = 20_000

const directory = await mkdtemp(join(tmpdir(), 'zot-attack-mix-'))
const hashes = await Promise.all(
  ['alice', 'bob'].map(
    async (name) => `${name}:${await Bun.password.hash(`${name}-pw`, { algorithm: 'bcrypt', cost: 10 })}`,
  ),
)
await writeFile(join(directory, 'htpasswd'), `${hashes.join('\n')}\n`)
// The tests' launcher: a fresh storage, a free loopback port, and ready once GET /v2/ answers.
const server = await startRegistry({
  ...(values.binary && { binary: resolve(values.binary) }),
  config: {
    http: {
      auth: { htpasswd: { path: join(directory, 'htpasswd') }, apikey: true },
      accessControl: {
        repositories: {
          '**': { defaultPolicy: ['read', 'create', 'update', 'delete'], anonymousPolicy: ['read'] },
          '**/*-*-*-*-*-x': { anonymousPolicy: ['read'] },
        },
        metrics: { users: ['alice'] },
      },
    },
    log: { level: 'error' },
    extensions: { metrics: { enable: true, prometheus: { path: '/metrics' } } },
  },
})
const base = server.url

const basic = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
})
const deadline = Date.now() + seconds * 1000
const statuses = new Map<string, Map<number, number>>()
function record(loop: string, status: number): void {
  const counts = statuses.get(loop) ?? new Map<number, number>()
  counts.set(status, (counts.get(status) ?? 0) + 1)
  statuses.set(loop, counts)
}
const send = async (loop: string, path: string, init: RequestInit = {}): Promise<Response | undefined> => {
  try {
    const response = await fetch(`${base}${path}`, init)
    await response.arrayBuffer()
    record(loop, response.status)
    return response
  } catch {
    record(loop, 0)
    return undefined
  }
}
async function loop(pauseMs: number, body: (round: number) => Promise<unknown>): Promise<void> {
  for (let round = 0; Date.now() < deadline && round < MAX_REQUESTS_PER_LOOP; round++) {
    await body(round)
    await Bun.sleep(pauseMs)
  }
}

const allowedKey = await fetch(`${base}/zot/auth/apikey`, {
  method: 'POST',
  headers: { ...basic('bob', 'bob-pw'), 'Content-Type': 'application/json' },
  body: JSON.stringify({ scopes: ['*a*a*a*b:read'] }),
}).then(async (response) =>
  response.status === 201 ? ((await response.json()) as { apiKey: string }).apiKey : undefined,
)
const longName = 'a'.repeat(255)
const craftedAnonymous = `${'a-'.repeat(100)}a`
const half = 2 * 1024 * 1024 - 16
const deepManifest = `{"schemaVersion":2,"x":${'['.repeat(half)}${']'.repeat(half)}}`

const attacks = [
  loop(100, async (round) => {
    await send('redos', '/zot/auth/apikey', {
      method: 'POST',
      headers: { ...basic('bob', 'bob-pw'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ scopes: [`${'*a'.repeat(8 + (round % 8))}*b:read`] }),
    })
    if (allowedKey) await send('redos', `/v2/${longName}/tags/list`, { headers: basic('bob', allowedKey) })
    await send('redos', `/v2/${craftedAnonymous}/tags/list`)
  }),
  loop(1000, (round) =>
    Promise.all(
      Array.from({ length: 24 }, (_, index) =>
        send('passwords', '/v2/', {
          headers: basic(index % 2 === 0 ? 'alice' : `ghost${round}`, `wrong-${round}-${index}`),
        }),
      ),
    ),
  ),
  loop(500, () =>
    send('deep-json', '/v2/deep/app/manifests/v1', {
      method: 'PUT',
      headers: { ...basic('alice', 'alice-pw'), 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      body: deepManifest,
    }),
  ),
  loop(5, (round) => send('metric-labels', `/v2/spam${round}/${crypto.randomUUID()}/manifests/latest`)),
]

const latencies: number[] = []
const probe = (async () => {
  while (Date.now() < deadline) {
    const started = performance.now()
    await fetch(`${base}/livez`).then((response) => response.arrayBuffer())
    latencies.push(performance.now() - started)
    await Bun.sleep(20)
  }
})()
await Promise.all([...attacks, probe])
const metricsText = await fetch(`${base}/metrics`, { headers: basic('alice', 'alice-pw') }).then((response) =>
  response.text(),
)
await server.stop()
await rm(directory, { recursive: true, force: true })

latencies.sort((a, b) => a - b)
const at = (fraction: number) => latencies[Math.min(latencies.length - 1, Math.floor(fraction * latencies.length))] ?? 0
console.log(`attack mix: ${seconds} s against ${values.binary ?? 'cmd/zot.ts (source)'}`)
console.log(
  `/livez: ${latencies.length} probes, p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms, max ${at(1).toFixed(1)} ms, over 100 ms: ${latencies.filter((ms) => ms > 100).length}`,
)
for (const [name, counts] of statuses) {
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0)
  console.log(
    `${name}: ${total} requests, statuses ${[...counts].map(([status, count]) => `${status}×${count}`).join(' ')}`,
  )
}
console.log(
  `metric series: ${metricsText.split('\n').filter((line) => line.startsWith('zot_http_repo_latency_seconds_count')).length} repo latency series after the spam`,
)
