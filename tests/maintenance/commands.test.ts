import { describe, expect, test } from 'bun:test'
import { gcCommand } from '../../lib/maintenance/gc-command'
import { scrubCommand } from '../../lib/maintenance/scrub-command'
import { pushImage } from '../http/harness'
import { freePort } from '../support/server'
import { age, captureIo, exists, HOUR, makeMaintenanceHarness } from './helpers'

describe('zot gc', () => {
  test('--dry-run prints each deletion with its rule and a summary, and deletes nothing', async () => {
    const h = await makeMaintenanceHarness()
    const doomed = await pushImage(h, 'app', 'old')
    await pushImage(h, 'app', 'live')
    await h.request('/v2/app/manifests/old', { method: 'DELETE' })
    for (const digest of [doomed.digest, doomed.config, ...doomed.layers]) await age(h.blobFile('app', digest), 2 * HOUR)
    h.meta.recordPush('app', doomed.digest, [], Date.now() - 2 * HOUR)
    h.close()
    const { io, out } = captureIo()

    const storage = { rootDirectory: h.rootDirectory, gcDelay: HOUR }
    const code = await gcCommand({ storage, http: { port: await freePort() }, dryRun: true }, io)

    expect(code).toBe(0)
    const manifestLine = out.find((line) => line.includes(doomed.digest) && line.includes('manifest'))
    expect(manifestLine).toMatch(/^would delete\s+manifest\s+app\s+sha256:\S+\s+deleteUntagged/)
    expect(out.filter((line) => line.startsWith('would delete') && line.includes(' blob '))).toHaveLength(3)
    const summary = /^gc \(dry run\): 1 repository, would delete 0 tags, 1 manifest, 3 blobs \(.*\), 0 uploads in /
    expect(out.at(-1)).toMatch(summary)
    expect(await exists(h.blobFile('app', doomed.layers[0]!))).toBe(true)
  })

  test('without --dry-run it deletes, and --json reports the same decisions', async () => {
    const h = await makeMaintenanceHarness()
    const doomed = await pushImage(h, 'app', 'old')
    await pushImage(h, 'app', 'live')
    await h.request('/v2/app/manifests/old', { method: 'DELETE' })
    h.close()
    const { io, out } = captureIo()

    const storage = { rootDirectory: h.rootDirectory, gcDelay: 0, retention: { delay: 0 } }
    const code = await gcCommand({ storage, http: { port: await freePort() }, json: true }, io)

    expect(code).toBe(0)
    const report = JSON.parse(out.join('\n')) as { deleted: Record<string, number>; decisions: { reference: string }[] }
    expect(report.deleted).toMatchObject({ manifest: 1, blob: 3 })
    expect(report.decisions.map((d) => d.reference)).toContain(doomed.digest)
    expect(await exists(h.blobFile('app', doomed.layers[0]!))).toBe(false)
  })
})

describe('the commands refuse to run beside a server', () => {
  test('gc and scrub exit 1 with a clear message when something listens on http.address:port', async () => {
    const h = await makeMaintenanceHarness()
    await pushImage(h, 'app', 'v1')
    h.close()
    const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('zot') })
    try {
      for (const command of [gcCommand, scrubCommand]) {
        const { io, err, out } = captureIo()
        const http = { address: '0.0.0.0', port: server.port! }
        expect(await command({ storage: { rootDirectory: h.rootDirectory, gcDelay: 0 }, http }, io)).toBe(1)
        expect(err[0]).toContain(`something listens on 0.0.0.0:${server.port}`)
        expect(out).toEqual([])
      }
    } finally {
      await server.stop(true)
    }
    expect((await h.registry.manifests.tags('app'))).toEqual(['v1'])
  })

  test('a missing rootDirectory is an error, not an empty success', async () => {
    const { io, err } = captureIo()
    expect(await gcCommand({ storage: { rootDirectory: '/nonexistent/zot' }, http: { port: await freePort() } }, io)).toBe(1)
    expect(err[0]).toContain('is not a directory')
  })
})
