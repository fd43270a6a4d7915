import { describe, expect, test } from 'bun:test'
import { lchown, lstat, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gcCommand } from '../../cmd/gc'
import { scrubCommand } from '../../cmd/scrub'
import { pushImage } from '../http/harness'
import { REPOSITORY_ROOT } from '../support/paths'
import { freePort } from '../support/server'
import { age, captureIo, commandSections, exists, HOUR, makeMaintenanceHarness, tempDirectory } from './helpers'

describe('zot gc', () => {
  test('--dry-run prints each deletion with its rule and a summary, and deletes nothing', async () => {
    const h = await makeMaintenanceHarness()
    const doomed = await pushImage(h, 'app', 'old')
    await pushImage(h, 'app', 'live')
    await h.request('/v2/app/manifests/old', { method: 'DELETE' })
    for (const digest of [doomed.digest, doomed.config, ...doomed.layers])
      await age(h.blobFile('app', digest), 2 * HOUR)
    h.meta.recordPush('app', doomed.digest, [], Date.now() - 2 * HOUR)
    h.close()
    const { io, out } = captureIo()

    const sections = commandSections({ rootDirectory: h.rootDirectory, gcDelay: '1h' }, { port: await freePort() })
    const code = await gcCommand({ ...sections, dryRun: true }, io)

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

    const storage = { rootDirectory: h.rootDirectory, gcDelay: '0s', retention: { delay: '0s' } }
    const code = await gcCommand({ ...commandSections(storage, { port: await freePort() }), json: true }, io)

    expect(code).toBe(0)
    const report = JSON.parse(out.join('\n')) as { deleted: Record<string, number>; decisions: { reference: string }[] }
    expect(report.deleted).toMatchObject({ manifest: 1, blob: 3 })
    expect(report.decisions.map((d) => d.reference)).toContain(doomed.digest)
    expect(await exists(h.blobFile('app', doomed.layers[0]!))).toBe(false)
  })
})

describe('run as root on a data directory that belongs to the service user', () => {
  const SERVICE_UID = 65534
  const ownersUnder = async (directory: string): Promise<Set<number>> => {
    const owners = new Set([(await stat(directory)).uid])
    for (const entry of await readdir(directory, { recursive: true }))
      owners.add((await lstat(join(directory, entry))).uid)
    return owners
  }

  test('scrub and gc refuse, naming the owner and the command to run instead; nothing becomes root-owned', async () => {
    const h = await makeMaintenanceHarness()
    await pushImage(h, 'app', 'v1')
    h.close()
    const config = join(await tempDirectory('gc-config'), 'config.json')
    await writeFile(
      config,
      JSON.stringify({
        storage: { rootDirectory: h.rootDirectory },
        http: { address: '127.0.0.1', port: String(await freePort()) },
      }),
    )
    const asRoot = process.getuid?.() === 0
    if (asRoot) await chownTree(h.rootDirectory, SERVICE_UID)
    const owner = asRoot ? SERVICE_UID : process.getuid!()
    for (const command of ['scrub', 'gc']) {
      const run = Bun.spawn(['bun', join(REPOSITORY_ROOT, 'cmd/zot.ts'), command, config], {
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const [code, err] = await Promise.all([run.exited, new Response(run.stderr).text()])
      if (asRoot) {
        expect(code).toBe(1)
        expect(err).toContain(
          `storage.rootDirectory ${h.rootDirectory} belongs to nobody (uid ${SERVICE_UID}) and this runs as root`,
        )
        expect(err).toContain(`fix: run it as the owner: sudo -u nobody zot ${command} ${config}`)
      } else {
        // Not root: the owner's own files, so the command runs.
        expect(err).not.toContain('belongs to')
        expect(code).toBe(0)
      }
    }
    expect(await ownersUnder(h.rootDirectory)).toEqual(new Set([owner]))
  })
})

/** chown -R, without following links. */
async function chownTree(directory: string, uid: number): Promise<void> {
  await lchown(directory, uid, uid)
  for (const entry of await readdir(directory, { recursive: true })) await lchown(join(directory, entry), uid, uid)
}

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
        expect(await command(commandSections({ rootDirectory: h.rootDirectory, gcDelay: '0s' }, http), io)).toBe(1)
        expect(err[0]).toContain(`something listens on 0.0.0.0:${server.port}`)
        expect(out).toEqual([])
      }
    } finally {
      await server.stop(true)
    }
    expect(await h.registry.listTags('app')).toEqual(['v1'])
  })

  test('a missing rootDirectory is an error, not an empty success', async () => {
    const { io, err } = captureIo()
    expect(
      await gcCommand(commandSections({ rootDirectory: '/nonexistent/zot' }, { port: await freePort() }), io),
    ).toBe(1)
    expect(err[0]).toContain('is not a directory')
  })
})
