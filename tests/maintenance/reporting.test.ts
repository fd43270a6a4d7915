/**
 * What `zot gc` and `zot scrub` tell a person: summaries whose counts and sizes agree and that say
 * how long the pass took, and the live status line on a terminal (repositories, bytes done of the
 * store's total, ETA), drawn from a real store and cleared at the end.
 */
import { describe, expect, test } from 'bun:test'
import { readdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { formatBytes, formatElapsed } from '../../lib/maintenance/reports/format'
import { gcCommand } from '../../cmd/gc'
import { emptyReport, summaryLine } from '../../lib/maintenance/gc/gc-report'
import { progressLine, startProgress } from '../../lib/maintenance/reports/progress'
import { emptyScrubReport } from '../../lib/maintenance/scrub/scrub'
import { scrubCommand } from '../../cmd/scrub'
import { scrubSummary } from '../../lib/maintenance/scrub/scrub-output'
import { uploadPath } from '../../lib/registry/layout'
import { pushImage, randomBlob } from '../http/harness'
import { freePort } from '../support/server'
import { captureIo, commandSections, HOUR, makeMaintenanceHarness } from './helpers'

const MiB = 1024 * 1024

describe('summaries', () => {
  test('each count carries its own bytes: uploads alone never show as "0 blobs (38.2 MiB)"', () => {
    const report = emptyReport(false, Date.now())
    report.repositories = 3
    report.deleted.upload = 2
    report.bytesDeleted.upload = 38.2 * MiB
    report.bytesFreed = 38.2 * MiB
    report.durationMs = 400
    expect(summaryLine(report)).toBe(
      'gc: 3 repositories, deleted 0 tags, 0 manifests, 0 blobs, 2 uploads (38.2 MiB) in 0.4s',
    )

    report.deleted.blob = 4
    report.bytesDeleted.blob = 1.2 * MiB
    report.deleted.quarantine = 1
    report.bytesDeleted.quarantine = 512
    report.durationMs = 130_000
    expect(summaryLine(report)).toBe(
      'gc: 3 repositories, deleted 0 tags, 0 manifests, 4 blobs (1.2 MiB), 2 uploads (38.2 MiB), 1 quarantined copy (512 B) in 2m10s',
    )
  })

  test('the scrub summary says how long it took', () => {
    const report = emptyScrubReport(Date.now())
    report.repositories = 1
    report.blobsChecked = 2
    report.bytesChecked = 3 * MiB
    report.durationMs = 3_723_000
    expect(scrubSummary(report)).toBe('scrub: 1 repository, 0 images checked (2 blobs, 3.0 MiB), 0 affected in 1h2m3s')
  })

  test('times taken: tenths under a minute, Go notation above', () => {
    expect(formatElapsed(0)).toBe('0.0s')
    expect(formatElapsed(59_940)).toBe('59.9s')
    expect(formatElapsed(60_000)).toBe('1m')
    expect(formatElapsed(90_400)).toBe('1m30s')
  })

  test('zot gc deleting only a stale upload reports its bytes with the upload, none with the blobs', async () => {
    const h = await makeMaintenanceHarness()
    await pushImage(h, 'app', 'v1')
    const start = await h.request('/v2/app/blobs/uploads/', { method: 'POST' })
    const id = start.headers.get('location')!.split('/').at(-1)!.split('?')[0]!
    const file = join(h.rootDirectory, uploadPath('app', id))
    await writeFile(file, randomBlob(3 * MiB))
    const idle = new Date(Date.now() - 2 * HOUR)
    await utimes(file, idle, idle)
    h.close()
    const { io, out } = captureIo()
    const code = await gcCommand(
      commandSections({ rootDirectory: h.rootDirectory, gcDelay: '1h' }, { port: await freePort() }),
      io,
    )
    expect(code).toBe(0)
    expect(out.at(-1)).toMatch(
      /^gc: 1 repository, deleted 0 tags, 0 manifests, 0 blobs, 1 upload \(3\.0 MiB\) in \d+\.\ds$/,
    )
  })
})

describe('the status line on a terminal', () => {
  const state = {
    command: 'scrub',
    repositoriesDone: 3,
    repositoriesTotal: 40,
    repository: 'library/nginx',
    elapsedMs: 500,
  }

  test('counts only until the total is known; bytes done of the total; an ETA once the rate means something', () => {
    expect(progressLine(state)).toBe('scrub: 3/40 repositories  library/nginx')
    const bytes = { done: 1 * MiB, total: 4 * MiB }
    expect(progressLine({ ...state, bytes })).toBe('scrub: 3/40 repositories, 1.0 MiB/4.0 MiB  library/nginx')
    // A quarter in 10 s: three quarters left, 30 s.
    expect(progressLine({ ...state, bytes, elapsedMs: 10_000 })).toBe(
      'scrub: 3/40 repositories, 1.0 MiB/4.0 MiB, ETA 30s  library/nginx',
    )
    expect(progressLine({ ...state, repository: '', bytes: { done: 5, total: 4 }, elapsedMs: 10_000 })).toBe(
      'scrub: 3/40 repositories, 4 B/4 B, ETA 0s',
    )
  })

  test("drawn from the store: each repository's bytes count once it is done, and running bytes within it", async () => {
    const h = await makeMaintenanceHarness()
    await pushImage(h, 'a', 'v1')
    await pushImage(h, 'b', 'v1')
    // Measured on disk, behind the registry's back.
    const sizeOf = async (repository: string) => {
      const directory = join(h.rootDirectory, repository, 'blobs', 'sha256')
      let total = 0
      for (const blob of await readdir(directory)) total += (await stat(join(directory, blob))).size
      return total
    }
    const [a, b] = [await sizeOf('a'), await sizeOf('b')]
    const of = (done: number) => `${formatBytes(done)}/${formatBytes(a + b)}`
    const lines: string[] = []
    const progress = startProgress(
      'scrub',
      { out: () => {}, err: () => {}, progress: (line) => void lines.push(line) },
      h.registry,
    )!
    await Bun.sleep(50) // the store's listing
    let processed = 0
    progress.repository(0, 2, 'a', () => processed)
    expect(lines.at(-1)).toBe(`scrub: 0/2 repositories, ${of(0)}  a`)
    processed = 100
    await Bun.sleep(300) // redrawn while a repository takes long
    expect(lines.at(-1)).toBe(`scrub: 0/2 repositories, ${of(100)}  a`)
    processed = a
    await Bun.sleep(300)
    progress.repository(1, 2, 'b')
    await Bun.sleep(300)
    expect(lines.at(-1)).toBe(`scrub: 1/2 repositories, ${of(a)}  b`)
    progress.stop()
    progress.stop()
    expect(lines.at(-1)).toBe('')
    expect(lines.filter((line) => line === '')).toHaveLength(1)
    h.close()
  })

  test('zot scrub and zot gc on a terminal draw the line and clear it before the results', async () => {
    const h = await makeMaintenanceHarness()
    await pushImage(h, 'app', 'v1')
    h.close()
    for (const command of [scrubCommand, gcCommand]) {
      const events: string[] = []
      const io = {
        out: (line: string) => void events.push(`out ${line}`),
        err: (line: string) => void events.push(`err ${line}`),
        progress: (line: string) => void events.push(`progress ${line}`),
      }
      await command(commandSections({ rootDirectory: h.rootDirectory }, { port: await freePort() }), io)
      const drawn = events.filter((event) => event.startsWith('progress '))
      expect(drawn[0]).toMatch(/^progress (scrub|gc): 0\/1 repositories/)
      expect(drawn.at(-1)).toBe('progress ')
      expect(events.indexOf('progress ')).toBeLessThan(events.findIndex((event) => event.startsWith('out ')))
    }
  })
})
