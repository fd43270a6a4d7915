import { afterAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { parseConfigText } from '../../lib/config'
import { createLogger } from '../../lib/log/logger'
import { digestOf } from '../../lib/oci/digest'
import { assemble } from '../../lib/server/assemble'
import { createTestStorage, type TestStorage } from '../support/storage-under-test'

const storages: TestStorage[] = []
afterAll(() => Promise.all(storages.map((storage) => storage.remove())))

async function assembled(options: { metrics?: boolean; audit?: boolean } = {}) {
  const storage = await createTestStorage({ label: 'http-ops' })
  storages.push(storage)
  const lines: Record<string, unknown>[] = []
  const logger = createLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line)) })
  const auditLog = join(storage.rootDirectory, 'audit.log')
  const { config } = await parseConfigText(
    JSON.stringify({
      storage: storage.config,
      log: { level: 'info', ...(options.audit && { audit: auditLog }) },
      ...(options.metrics && { extensions: { metrics: {} } }),
    }),
    'json',
    'test config',
  )
  const { app } = await assemble(config, logger)
  const request = (path: string, init?: RequestInit) => app.request(`http://registry.test${path}`, init)
  return { request, lines, auditLog }
}

describe('request and audit logs', async () => {
  const { request, lines, auditLog } = await assembled({ audit: true })
  const body = new TextEncoder().encode('log me')
  const digest = digestOf(body)
  // A request's line is written once its response body has gone out: read every body.
  const sent = async (response: Response | Promise<Response>) => void (await (await response).arrayBuffer())
  await sent(
    request(`/v2/logs/app/blobs/uploads/?digest=${digest}`, {
      method: 'POST',
      body,
      headers: { Authorization: 'Basic c2VjcmV0OnNlY3JldA==' },
    }),
  )
  await sent(request(`/v2/logs/app/blobs/${digest}`))
  await sent(request('/v2/logs/app/manifests/missing', { method: 'PUT', body: '{}' }))

  test('one JSON line per request with method, path, status, timing; never the Authorization value', () => {
    const requestLines = lines.filter((line) => line.message === 'request')
    expect(requestLines.map((line) => [line.method, line.status])).toEqual([
      ['POST', 201],
      ['GET', 200],
      ['PUT', 400],
    ])
    expect(requestLines[1]!.bytes).toBe(body.length)
    for (const line of requestLines) {
      expect(typeof line.time).toBe('string')
      expect(line.level).toBe('info')
    }
    // The blob is a file sent with sendfile: its line knows the time until the response started.
    expect(requestLines.map((line) => typeof (line.durationMs ?? line.headersMs))).toEqual([
      'number',
      'number',
      'number',
    ])
    expect(requestLines[1]!.durationMs).toBeUndefined()
    expect(typeof requestLines[0]!.durationMs).toBe('number')
    expect(JSON.stringify(lines)).not.toContain('c2VjcmV0OnNlY3JldA')
  })

  test('the audit log has one line per successful mutating request only', async () => {
    const audit = (await Bun.file(auditLog).text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(audit.length).toBe(1)
    expect(audit[0]).toMatchObject({
      message: 'audit',
      subject: 'anonymous',
      action: 'POST',
      repository: 'logs/app',
      status: 201,
    })
  })
})

describe('metrics', async () => {
  const { request } = await assembled({ metrics: true })
  const body = new TextEncoder().encode('{}')
  await request(`/v2/metrics/app/blobs/uploads/?digest=${digestOf(body)}`, { method: 'POST', body })
  await request('/v2/metrics/app/tags/list')

  test('zot metric names and labels in Prometheus text format; scrapes are not counted', async () => {
    await request('/metrics')
    const response = await request('/metrics')
    expect(response.headers.get('Content-Type')).toContain('text/plain')
    const text = await response.text()
    expect(text).toContain('# TYPE zot_http_requests_total counter')
    expect(text).toContain('zot_http_requests_total{method="POST",code="201"} 1')
    // tags/list once; the two scrapes are not counted.
    expect(text).toContain('zot_http_requests_total{method="GET",code="200"} 1')
    expect(text).toContain('zot_http_method_latency_seconds_bucket{method="POST",le="0.05"}')
    expect(text).toContain('zot_http_repo_latency_seconds_count{repo="metrics/app"} 2')
    expect(text).toMatch(/zot_info\{commit="[^"]+",binaryType="bun",goVersion="bun-[^"]+",version="[^"]+"\} 0/)
    expect(text).toMatch(/process_resident_memory_bytes \d+/)
  })

  test('without extensions.metrics there is no metrics endpoint', async () => {
    const plain = await assembled()
    expect((await plain.request('/metrics')).status).toBe(404)
  })
})

describe('health', async () => {
  const { request } = await assembled()
  test.each(['/livez', '/readyz', '/startupz'])('%s answers 200 ok', async (path) => {
    const response = await request(path)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('ok')
  })
})
