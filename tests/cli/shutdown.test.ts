/**
 * Issue 22: the compiled `zot serve` stops on SIGTERM within its drain time whatever sync is
 * doing, tried as a service manager would. The registry mirrors periodically from an upstream on
 * a closed port (maxRetries 3, retryDelay 5m: before the fix a stop waited for that retry), pulls
 * through from an upstream that trickles a blob, and holds 500 repositories whose GC walk takes
 * seconds. With nothing in flight it exits within 2 s; a download in flight completes first; a
 * second SIGTERM exits at once; SIGHUP ends the old sync jobs before it starts new ones.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import { join } from 'node:path'
import { ensureCompiledBinary } from '../support/binary'
import { buildRandomImage } from '../support/images/images'
import { OciLayout } from '../support/oci-layout'
import { freePort, startRegistry, type RunningRegistry } from '../support/server'
import { createTestStorage, type TestStorage } from '../support/storage-under-test'

setDefaultTimeout(180_000)

const REPOSITORIES = 500
const IMAGES_PER_REPOSITORY = 40
/** A blob trickling at 640 KiB/s: ~5 s per download. */
const BLOB_BYTES = 3 << 20
const CHUNK_BYTES = 64 << 10
const CHUNK_EVERY_MS = 100
/** Longer than the 30 s drain: a process still alive then is killed and the test says so. */
const GIVE_UP_MS = 35_000

const sha256 = (data: Uint8Array) => `sha256:${new Bun.CryptoHasher('sha256').update(data).digest('hex')}`

interface TricklingUpstream {
  url: string
  digest: string
  blob: Uint8Array
  /** Blob downloads still being sent. */
  sending(): number
  stop(): void
}

/** An upstream registry that serves one blob, under any repository name, a chunk at a time. */
function startTricklingUpstream(): TricklingUpstream {
  const blob = crypto.getRandomValues(new Uint8Array(BLOB_BYTES))
  const digest = sha256(blob)
  let sending = 0
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      const { pathname } = new URL(request.url)
      if (pathname === '/v2/') return Response.json({})
      if (!pathname.endsWith(`/blobs/${digest}`))
        return Response.json({ errors: [{ code: 'NAME_UNKNOWN' }] }, { status: 404 })
      const headers = { 'Content-Length': String(BLOB_BYTES), 'Docker-Content-Digest': digest }
      if (request.method === 'HEAD') return new Response(null, { headers })
      let offset = 0
      sending++
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await Bun.sleep(CHUNK_EVERY_MS)
          controller.enqueue(blob.slice(offset, offset + CHUNK_BYTES))
          offset += CHUNK_BYTES
          if (offset < BLOB_BYTES) return
          sending--
          controller.close()
        },
        cancel: () => void sending--,
      })
      return new Response(body, { headers })
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}`,
    digest,
    blob,
    sending: () => sending,
    stop: () => void server.stop(true),
  }
}

/** 500 hard-linked copies of one repository of 40 images: built in a second, walked in seconds. */
async function storageWithRepositories(): Promise<TestStorage> {
  const storage = await createTestStorage({ label: 'shutdown', kind: 'local' })
  const template = join(storage.rootDirectory, 'gc/template')
  const layout = await OciLayout.create(template)
  for (let index = 0; index < IMAGES_PER_REPOSITORY; index++)
    await buildRandomImage(layout, `v${index}`, { layerBytes: 64 })
  for (let first = 1; first < REPOSITORIES; first += 100) {
    const batch = Array.from({ length: Math.min(100, REPOSITORIES - first) }, (_, index) =>
      join(storage.rootDirectory, `gc/r${first + index}`),
    )
    await Promise.all(batch.map((copy) => Bun.spawn(['cp', '-al', template, copy]).exited))
  }
  return storage
}

/** The periodic registry (upstream on a closed port) and an on-demand one. */
function syncConfig(closedPort: number, upstream: TricklingUpstream, level: 'info' | 'debug'): Record<string, unknown> {
  return {
    log: { level },
    storage: { gcInterval: '1s' },
    extensions: {
      sync: {
        enable: true,
        registries: [
          {
            urls: [`http://127.0.0.1:${closedPort}`],
            onDemand: false,
            pollInterval: '6h',
            maxRetries: 3,
            retryDelay: '5m',
            content: [{ prefix: 'mirror/**' }],
          },
          { urls: [upstream.url], onDemand: true, content: [{ prefix: 'cached/**' }] },
        ],
      },
    },
  }
}

type LogLine = Record<string, unknown> & { time: string; message: string }

const logLines = (registry: RunningRegistry): LogLine[] =>
  registry
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)

async function waitForLog(registry: RunningRegistry, message: string, after = 0): Promise<LogLine> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const found = logLines(registry).filter((line) => line.message === message)[after]
    if (found) return found
    await Bun.sleep(50)
  }
  throw new Error(`no "${message}" log line #${after + 1}:\n${registry.logs()}`)
}

/** Sends a signal and waits for the exit; kills the process after GIVE_UP_MS. */
async function signalAndWait(
  registry: RunningRegistry,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; ms: number; at: number }> {
  const sent = Date.now()
  registry.kill(signal)
  const killer = setTimeout(() => registry.kill('SIGKILL'), GIVE_UP_MS)
  const code = await registry.exited
  clearTimeout(killer)
  return { code, ms: Date.now() - sent, at: Date.now() }
}

/**
 * Passes (seconds each) follow each other 1 s apart (gcInterval): resolves with a function that
 * waits until the pass after the first has been walking for half a second.
 */
async function nextGcWalk(registry: RunningRegistry): Promise<() => Promise<void>> {
  const firstPass = await waitForLog(registry, 'gc pass done')
  return () => Bun.sleep(Math.max(0, Date.parse(firstPass.time) + 1_500 - Date.now()))
}

/** Reads a blob through the registry; resolves with its bytes and when the last one came. */
async function download(
  registry: RunningRegistry,
  repository: string,
  digest: string,
): Promise<{ firstBytes: Promise<void>; done: Promise<{ bytes: Uint8Array; at: number }> }> {
  const response = await fetch(`${registry.url}/v2/${repository}/blobs/${digest}`)
  expect(response.status).toBe(200)
  const reader = response.body!.getReader()
  let first!: () => void
  const firstBytes = new Promise<void>((resolve) => (first = resolve))
  const done = (async () => {
    const chunks: Uint8Array[] = []
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      chunks.push(chunk.value)
      first()
    }
    return { bytes: new Uint8Array(Buffer.concat(chunks)), at: Date.now() }
  })()
  // A cut download is an outcome the test inspects later, not an unhandled rejection.
  done.catch(() => {})
  return { firstBytes, done }
}

let binary: string
let upstream: TricklingUpstream
let storage: TestStorage
let closedPort: number
const running: RunningRegistry[] = []

beforeAll(async () => {
  ;[binary, storage, closedPort] = await Promise.all([ensureCompiledBinary(), storageWithRepositories(), freePort()])
  upstream = startTricklingUpstream()
})
afterAll(async () => {
  await Promise.all(running.map((registry) => registry.stop()))
  upstream?.stop()
  await storage?.remove()
})

async function start(level: 'info' | 'debug' = 'info', withRepositories = true): Promise<RunningRegistry> {
  const registry = await startRegistry({
    binary,
    config: syncConfig(closedPort, upstream, level),
    ...(withRepositories && { storage }),
  })
  running.push(registry)
  return registry
}

test('with nothing in flight, SIGTERM stops it within 2 s: the 5 m retry wait, a fill nobody waits for and a GC walk are cancelled', async () => {
  const registry = await start()
  const gcWalking = await nextGcWalk(registry)
  // A client starts a pull-through download and goes away: the fill goes on without it.
  const abandoned = new AbortController()
  const response = await fetch(`${registry.url}/v2/cached/first/blobs/${upstream.digest}`, { signal: abandoned.signal })
  await response.body!.getReader().read()
  abandoned.abort()
  await Bun.sleep(300)
  expect(upstream.sending()).toBe(1)

  await gcWalking()
  const exit = await signalAndWait(registry, 'SIGTERM')
  expect(exit).toMatchObject({ code: 0 })
  expect(exit.ms).toBeLessThan(2_000)
  const lines = logLines(registry)
  const notCached = lines.find((line) => line.message === 'sync: blob not cached')
  expect(String(notCached?.error)).toContain('cancelled: sync is stopping and nobody is waiting for it')
  // The walk that was running when the signal came stopped part-way.
  const passes = lines.filter((line) => line.message === 'gc pass done')
  expect(passes.length).toBeGreaterThanOrEqual(2)
  expect(passes.at(-1)?.repositories).toBeLessThan(REPOSITORIES)
  expect(lines.at(-1)).toMatchObject({ message: 'stopped', exitCode: 0 })
})

test('with a download in flight, SIGTERM lets it complete, then exits', async () => {
  const registry = await start()
  await (await nextGcWalk(registry))()
  const pull = await download(registry, 'cached/second', upstream.digest)
  await pull.firstBytes

  const [exit, { bytes, at: completedAt }] = await Promise.all([signalAndWait(registry, 'SIGTERM'), pull.done])
  expect(sha256(bytes)).toBe(upstream.digest)
  expect(exit.code).toBe(0)
  expect(exit.ms).toBeLessThan(30_000)
  expect(exit.at - completedAt).toBeLessThan(2_000)
})

test('a second SIGTERM exits at once, cutting the download in flight', async () => {
  const registry = await start('info', false)
  const pull = await download(registry, 'cached/third', upstream.digest)
  await pull.firstBytes
  registry.kill('SIGTERM')
  await waitForLog(registry, 'shutting down')
  const exit = await signalAndWait(registry, 'SIGTERM')
  expect(exit.code).toBe(1)
  expect(exit.ms).toBeLessThan(1_000)
  expect(registry.logs()).toContain('second stop signal: exiting now')
  const outcome = await pull.done.then(
    ({ bytes }) => (sha256(bytes) === upstream.digest ? 'complete' : 'cut'),
    () => 'cut',
  )
  expect(outcome).toBe('cut')
})

test('SIGHUP ends the old periodic sync, retry wait included, before it starts the new one', async () => {
  const registry = await start('debug', false)
  // The first attempt failed: the periodic run now waits 5 minutes before its retry.
  await waitForLog(registry, 'sync: upstream request failed')
  const sent = Date.now()
  registry.kill('SIGHUP')
  const reloaded = await waitForLog(registry, 'configuration reloaded')
  expect(Date.parse(reloaded.time) - sent).toBeLessThan(2_000)
  // The new periodic sync asks the upstream again, after the old one ended.
  await waitForLog(registry, 'sync: upstream request failed', 1)
  const messages = logLines(registry).map((line) => line.message)
  const cancelled = messages.indexOf('sync: periodic run cancelled')
  expect(cancelled).toBeGreaterThan(messages.indexOf('sync: upstream request failed'))
  expect(cancelled).toBeLessThan(messages.lastIndexOf('sync: upstream request failed'))
  expect(cancelled).toBeLessThan(messages.indexOf('configuration reloaded'))

  const exit = await signalAndWait(registry, 'SIGTERM')
  expect(exit).toMatchObject({ code: 0 })
  expect(exit.ms).toBeLessThan(2_000)
})
