/**
 * zot's events extension against real sinks: an HTTP receiver started by the test and Debian's
 * nats-server. What arrives is decoded with the CloudEvents reference SDK, so a sink that
 * follows the spec reads it. A push creates the repository and updates the image, a delete
 * deletes it, a lint refusal is announced; each names its actor; a dead or slow sink never
 * slows a push and its failures show in the metrics.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { connect } from '@nats-io/transport-node'
import { CloudEvent, HTTP } from 'cloudevents'
import { pushSmallImage, sha256, writeHtpasswd } from '../security/support'
import { startNats } from '../support/counterparts/nats-server'
import { type RunningRegistry, startRegistry } from '../support/server'
import { tempDirectory } from '../support/temp'

const running: { stop(): Promise<void> }[] = []
// A registry whose sink stalls gives its queued events a few seconds at shutdown.
afterAll(() => Promise.all(running.map((item) => item.stop())), 20_000)

/** An HTTP sink: records every request, answering with `status()`. */
function receiver(status: () => number | Promise<number> = () => 204) {
  const seen: CloudEvent<Record<string, unknown>>[] = []
  const headers: Headers[] = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const body = await request.text()
      headers.push(request.headers)
      seen.push(
        HTTP.toEvent({ headers: Object.fromEntries(request.headers), body }) as CloudEvent<Record<string, unknown>>,
      )
      return new Response(null, { status: await status() })
    },
  })
  running.push({ stop: async () => server.stop(true) })
  return { url: `http://127.0.0.1:${server.port}/hook`, seen, headers }
}

async function registryWith(config: Record<string, unknown>): Promise<RunningRegistry> {
  const registry = await startRegistry({ config })
  running.push(registry)
  return registry
}

const basic = (user: string) => ({ Authorization: `Basic ${btoa(`${user}:${user}-pw`)}` })

async function until<T>(what: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = what()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await Bun.sleep(20)
  }
}

describe('the http sink', async () => {
  const directory = await tempDirectory('events-http')
  await writeHtpasswd(`${directory}/htpasswd`, ['alice'])
  const hook = receiver()
  const registry = await registryWith({
    http: { auth: { htpasswd: { path: `${directory}/htpasswd` } } },
    extensions: {
      events: {
        enable: true,
        sinks: [
          {
            type: 'http',
            address: hook.url,
            headers: { 'X-Team': 'platform' },
            credentials: { token: 'sink-token' },
          },
        ],
      },
      lint: { mandatoryAnnotations: ['team'] },
    },
  })
  const request = (path: string, init?: RequestInit) => fetch(`${registry.url}${path}`, init)

  test('a push announces the new repository and the updated image, with its manifest and actor', async () => {
    const pushed = await pushSmallImage({ request }, basic('alice'), 'team/app', 'v1')
    // The lint refuses it (no `team` annotation): announced, nothing stored.
    expect(pushed.status).toBe(400)
    const lintFailed = await until(() => hook.seen.find((event) => event.type === 'zotregistry.image.lint_failed'))
    expect(lintFailed.data).toMatchObject({ name: 'team/app', reference: 'v1', digest: pushed.digest })

    const created = await until(() => hook.seen.find((event) => event.type === 'zotregistry.repository.created'))
    expect(created.source).toBe('zotregistry.dev')
    expect(created.specversion).toBe('1.0')
    expect(created.data).toMatchObject({ name: 'team/app', actor: { name: 'alice' } })
    expect((created.data as { request: { method: string } }).request.method).toBe('POST')
    expect(hook.headers[0]?.get('authorization')).toBe('Bearer sink-token')
    expect(hook.headers[0]?.get('x-team')).toBe('platform')
  })

  test('image.updated per tag with the manifest; image.deleted with digest and media type', async () => {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: sha256(new TextEncoder().encode('{}')),
        size: 2,
      },
      layers: [],
      annotations: { team: 'core' },
    })
    await request(`/v2/team/app/blobs/uploads/?digest=${sha256(new TextEncoder().encode('{}'))}`, {
      method: 'POST',
      headers: basic('alice'),
      body: '{}',
    })
    const put = await request('/v2/team/app/manifests/v2?tag=stable', {
      method: 'PUT',
      headers: { ...basic('alice'), 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      body: manifest,
    })
    expect(put.status).toBe(201)
    const digest = put.headers.get('Docker-Content-Digest')
    const updates = await until(() => {
      const found = hook.seen.filter((event) => event.type === 'zotregistry.image.updated')
      return found.length >= 2 ? found : undefined
    })
    expect(updates.map((event) => (event.data as { reference: string }).reference).sort()).toEqual(['stable', 'v2'])
    expect(updates[0]?.data).toMatchObject({
      name: 'team/app',
      digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      manifest,
      actor: { name: 'alice' },
    })
    expect((await request('/v2/team/app/manifests/stable', { method: 'DELETE', headers: basic('alice') })).status).toBe(
      202,
    )
    const deleted = await until(() => hook.seen.find((event) => event.type === 'zotregistry.image.deleted'))
    expect(deleted.data).toMatchObject({
      name: 'team/app',
      reference: 'stable',
      digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    })
  })
})

describe('source and typePrefix', async () => {
  const hook = receiver()
  const registry = await registryWith({
    extensions: {
      events: {
        source: 'registry.example.com',
        typePrefix: 'com.example.registry',
        sinks: [{ type: 'http', address: hook.url }],
      },
    },
  })

  test('name the events', async () => {
    await pushSmallImage({ request: (path, init) => fetch(`${registry.url}${path}`, init) }, {}, 'named', 'v1')
    const event = await until(() => hook.seen.find((e) => e.type === 'com.example.registry.image.updated'))
    expect(event.source).toBe('registry.example.com')
  })
})

describe('a failing and a stalled sink', async () => {
  let calls = 0
  const failing = receiver(() => {
    calls++
    return 503
  })
  const stalled = receiver(() => new Promise<number>(() => undefined))
  const registry = await registryWith({
    extensions: {
      metrics: { enable: true },
      events: {
        sinks: [
          { type: 'http', address: failing.url, timeout: '2s' },
          { type: 'http', address: stalled.url, timeout: '1h' },
        ],
      },
    },
  })
  const request = (path: string, init?: RequestInit) => fetch(`${registry.url}${path}`, init)

  test('pushes are not slowed; failures are retried, then counted', async () => {
    const started = performance.now()
    for (let i = 0; i < 10; i++) expect((await pushSmallImage({ request }, {}, 'busy', `v${i}`)).status).toBe(201)
    const elapsed = performance.now() - started
    // 10 pushes of 3 requests each; a push waiting for a stalled sink would take an hour.
    expect(elapsed).toBeLessThan(30_000)
    const sinkLabel = (url: string) => `{sink="http:${url}"}`
    const metric = async (name: string, url: string): Promise<number> => {
      const text = await (await request('/metrics')).text()
      const line = text.split('\n').find((l) => l.startsWith(`${name}${sinkLabel(url)} `))
      return Number(line?.split(' ')[1] ?? Number.NaN)
    }
    // The first event was tried four times (once, then three retries with backoff), then given up.
    const deadline = Date.now() + 20_000
    while ((await metric('zot_events_failed_total', failing.url)) < 1 && Date.now() < deadline) await Bun.sleep(200)
    expect(await metric('zot_events_failed_total', failing.url)).toBeGreaterThanOrEqual(1)
    expect(calls).toBeGreaterThanOrEqual(4)
    expect(await metric('zot_events_delivered_total', failing.url)).toBe(0)
    // The stalled sink holds one event in flight and the rest wait, in a bounded queue.
    expect(await metric('zot_events_queued', stalled.url)).toBeGreaterThan(0)
    expect(await metric('zot_events_dropped_total', stalled.url)).toBe(0)
  })
})

describe('the nats sink', async () => {
  const nats = await startNats()
  running.push(nats.process)
  const subscriber = await connect({ servers: nats.url })
  running.push({ stop: () => subscriber.close() })
  const subscription = subscriber.subscribe('zot.events')
  const received: CloudEvent<Record<string, unknown>>[] = []
  void (async () => {
    for await (const message of subscription) received.push(new CloudEvent(message.json()))
  })()
  await subscriber.flush()
  const registry = await registryWith({
    extensions: { events: { sinks: [{ type: 'nats', address: nats.url, channel: 'zot.events' }] } },
  })

  test('publishes structured CloudEvents to the channel', async () => {
    const pushed = await pushSmallImage(
      { request: (path, init) => fetch(`${registry.url}${path}`, init) },
      {},
      'nats/app',
      'v1',
    )
    expect(pushed.status).toBe(201)
    const updated = await until(() => received.find((event) => event.type === 'zotregistry.image.updated'))
    expect(updated.data).toMatchObject({
      name: 'nats/app',
      reference: 'v1',
      digest: pushed.digest,
      manifest: pushed.manifest,
    })
    expect(received.some((event) => event.type === 'zotregistry.repository.created')).toBe(true)
    expect(updated.channel).toBe('zot.events')
  })
})
