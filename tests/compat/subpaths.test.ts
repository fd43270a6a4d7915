/**
 * @module
 * `storage.subPaths` over data laid out as zot 2.1 writes it (zot-subpaths-layout.ts): our
 * registry, started as a child process on the default root plus the root of route `/a`, lists,
 * serves and stores every repository in the store zot would use; `zot gc` and `zot scrub` visit
 * every store with that store's own settings; zot's own files stay untouched.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../lib/log/logger'
import { createRuntime, type Runtime } from '../../lib/server/assemble'
import { restartOnlyChanges } from '../../lib/server/reload-scope'
import { testConfig } from '../support/config'
import { MediaType, sha256Digest } from '../support/oci-layout'
import { fetchManifest, fetchReferrers, putManifest } from '../support/registry-api'
import { freePort, type RunningRegistry, startRegistry } from '../support/server'
import { createTestStorage, type TestStorage } from '../support/storage-under-test'
import { runZot } from '../support/zot-cli'
import { catalogPage, expectPullable, pushBlob, pushImage } from './subpaths-client'
import { type ZotSubPathsData, writeZotSubPathsData } from './zot-subpaths-layout'

const REACHABLE = ['a', 'a/app', 'a/team/web', 'b/tools', 'library/alpine']
const encoder = new TextEncoder()

const blobFile = (root: string, repository: string, digest: string): string =>
  join(root, repository, 'blobs/sha256', digest.slice('sha256:'.length))

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  )

async function expectZotFilesUntouched(data: ZotSubPathsData): Promise<void> {
  for (const [path, bytes] of data.zotFiles) expect(sha256Digest(await readFile(path)), path).toBe(sha256Digest(bytes))
}

/** Sets every file's mtime `ms` into the past, as if zot wrote the data that long ago. */
async function ageTree(directory: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms)
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) await utimes(join(entry.parentPath, entry.name), when, when)
  }
}

describe('a zot data directory with subPaths, served', () => {
  let data: ZotSubPathsData
  let server: RunningRegistry
  let storage: TestStorage
  let subDirectory: string

  // Hooks registered inside beforeAll run as soon as it ends: everything is removed from here.
  beforeAll(async () => {
    storage = await createTestStorage({ label: 'subpaths', kind: 'local' })
    subDirectory = await mkdtemp(join(tmpdir(), 'zot-subpaths-a-'))
    const subRoot = join(subDirectory, 'store-a')
    data = await writeZotSubPathsData(storage.rootDirectory, subRoot)
    server = await startRegistry({
      storage,
      config: {
        storage: { dedupe: true, gc: false, subPaths: { '/a': { rootDirectory: subRoot } } },
        extensions: { metrics: { enable: true } },
      },
    })
  })
  afterAll(async () => {
    await server?.stop()
    await storage?.remove()
    await rm(subDirectory, { recursive: true, force: true })
  })

  test('the catalog lists the repositories of both stores, sorted and paginated as one list', async () => {
    expect((await catalogPage(server.url)).repositories).toEqual(REACHABLE)
    const pages: string[][] = []
    let query = '?n=2'
    for (;;) {
      const { repositories, link } = await catalogPage(server.url, query)
      pages.push(repositories)
      if (!link) break
      query = new URL(/<([^>]+)>/.exec(link)![1]!, server.url).search
    }
    expect(pages).toEqual([['a', 'a/app'], ['a/team/web', 'b/tools'], ['library/alpine']])
  })

  test('every image zot stored is pulled from its own store, tagged and untagged', async () => {
    const pulled = [...data.images.values()].filter((image) => image.repository !== 'a/stale')
    expect(pulled).toHaveLength(7)
    for (const image of pulled) await expectPullable(server.url, image)
  })

  test('a repository left in the default root under a routed name is neither listed nor served (zot routes it to /a), and the log says where it belongs', async () => {
    const stale = data.images.get('a/stale:old')!
    expect((await fetchManifest(server.url, 'a/stale', 'old')).status).toBe(404)
    expect(await exists(blobFile(data.root, 'a/stale', stale.manifestDigest))).toBe(true)
    const warning = () =>
      server
        .logs()
        .split('\n')
        .find((line) => line.includes('stored outside the store its name routes to') && line.includes('"a/stale"'))
    for (let attempt = 0; attempt < 40 && !warning(); attempt++) await Bun.sleep(100)
    expect(JSON.parse(warning()!)).toMatchObject({
      level: 'warn',
      repository: 'a/stale',
      storedIn: `the default store (${data.root})`,
      routesTo: `the store of route /a (${data.subRoot})`,
    })
    expect(server.logs()).not.toContain('"repository":"a/app","storedIn"')
  })

  test('pushes land in the store of the first path component, under the full name', async () => {
    const routed = await pushImage(server.url, 'a/new/deep', 'v1')
    const bare = await pushImage(server.url, 'a', 'v2')
    const similar = await pushImage(server.url, 'ab/x', 'v1')
    for (const blob of routed.blobs) {
      expect(await exists(blobFile(data.subRoot, 'a/new/deep', blob.digest))).toBe(true)
      expect(await exists(blobFile(data.root, 'a/new/deep', blob.digest))).toBe(false)
    }
    expect(await exists(blobFile(data.root, 'a', bare.manifestDigest))).toBe(true)
    expect(await exists(blobFile(data.root, 'ab/x', similar.manifestDigest))).toBe(true)
    expect(await exists(join(data.subRoot, 'a/new/deep/index.json'))).toBe(true)
    for (const image of [routed, bare, similar]) await expectPullable(server.url, image)
    expect((await catalogPage(server.url)).repositories).toEqual([
      'a',
      'a/app',
      'a/new/deep',
      'a/team/web',
      'ab/x',
      'b/tools',
      'library/alpine',
    ])
  })

  test('a mount within a store links the blob; across stores the client is told to upload (202), as zot', async () => {
    const appLayer = data.images.get('a/app:v1')!.blobs[1]!.digest
    const within = await fetch(`${server.url}/v2/a/mounted/blobs/uploads/?mount=${appLayer}&from=a/app`, {
      method: 'POST',
    })
    expect(within.status).toBe(201)
    expect(await exists(blobFile(data.subRoot, 'a/mounted', appLayer))).toBe(true)

    const alpineLayer = data.images.get('library/alpine:3.19')!.blobs[1]!.digest
    const across = await fetch(`${server.url}/v2/a/mounted/blobs/uploads/?mount=${alpineLayer}&from=library/alpine`, {
      method: 'POST',
    })
    expect(across.status).toBe(202)
    const location = across.headers.get('location')!
    expect(location).toStartWith('/v2/a/mounted/blobs/uploads/')
    expect(await exists(blobFile(data.subRoot, 'a/mounted', alpineLayer))).toBe(false)
    expect((await fetch(new URL(location, server.url), { method: 'DELETE' })).status).toBe(204)
  })

  test('referrers, tags and deletes act on the store of the repository', async () => {
    const subject = data.images.get('a/app:v1')!
    const empty = encoder.encode('{}')
    await pushBlob(server.url, 'a/app', empty)
    const artifact = encoder.encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        artifactType: 'application/vnd.example.sbom',
        config: { mediaType: MediaType.ociEmpty, digest: sha256Digest(empty), size: empty.byteLength },
        layers: [{ mediaType: MediaType.ociEmpty, digest: sha256Digest(empty), size: empty.byteLength }],
        subject: {
          mediaType: MediaType.ociManifest,
          digest: subject.manifestDigest,
          size: subject.manifest.byteLength,
        },
      }),
    )
    const artifactDigest = sha256Digest(artifact)
    expect((await putManifest(server.url, 'a/app', artifactDigest, artifact, MediaType.ociManifest)).status).toBe(201)
    expect(await exists(blobFile(data.subRoot, 'a/app', artifactDigest))).toBe(true)
    const { index } = await fetchReferrers(server.url, 'a/app', subject.manifestDigest)
    expect(index.manifests.map((manifest) => manifest.digest)).toEqual([artifactDigest])

    const tags = await fetch(`${server.url}/v2/a/team/web/tags/list`)
    expect(await tags.json()).toEqual({ name: 'a/team/web', tags: ['v2'] })
    expect((await fetch(`${server.url}/v2/a/team/web/manifests/v2`, { method: 'DELETE' })).status).toBe(202)
    // The index in the /a root no longer names the tag (the manifest stays untagged until GC).
    const stored = JSON.parse(await readFile(join(data.subRoot, 'a/team/web/index.json'), 'utf8')) as {
      manifests: { annotations?: Record<string, string> }[]
    }
    expect(stored.manifests.filter((entry) => entry.annotations !== undefined)).toEqual([])
    expect((await fetchManifest(server.url, 'a/team/web', 'v2')).status).toBe(404)
  })

  test('dedupe follows each store: the default store links identical blobs, /a (dedupe off) copies them', async () => {
    const shared = crypto.getRandomValues(new Uint8Array(4000))
    const digest = sha256Digest(shared)
    for (const repository of ['b/one', 'b/two', 'a/one', 'a/two']) await pushBlob(server.url, repository, shared)
    const inode = async (root: string, repository: string) => (await stat(blobFile(root, repository, digest))).ino
    expect(await inode(data.root, 'b/one')).toBe(await inode(data.root, 'b/two'))
    expect(await inode(data.subRoot, 'a/one')).not.toBe(await inode(data.subRoot, 'a/two'))
  })

  test('zot_repo_storage_bytes covers the repositories of every store', async () => {
    const bytesOnDisk = async (root: string, repository: string) => {
      const directory = join(root, repository, 'blobs/sha256')
      const sizes = await Promise.all((await readdir(directory)).map((name) => stat(join(directory, name))))
      return sizes.reduce((sum, info) => sum + info.size, 0)
    }
    const gauge = (text: string, repository: string) =>
      Number(new RegExp(`^zot_repo_storage_bytes\\{repo="${repository}"\\} (\\d+)`, 'm').exec(text)?.[1])
    // Pushes are measured again a moment later: wait until the gauge has caught up with the disk.
    const expected = {
      'a/app': await bytesOnDisk(data.subRoot, 'a/app'),
      'library/alpine': await bytesOnDisk(data.root, 'library/alpine'),
    }
    let seen: Record<string, number> = {}
    for (let attempt = 0; attempt < 40; attempt++) {
      const text = await (await fetch(`${server.url}/metrics`)).text()
      seen = { 'a/app': gauge(text, 'a/app'), 'library/alpine': gauge(text, 'library/alpine') }
      if (seen['a/app'] === expected['a/app'] && seen['library/alpine'] === expected['library/alpine']) break
      await Bun.sleep(250)
    }
    expect(seen).toEqual(expected)
    expect(expected['a/app']).toBeGreaterThan(data.images.get('a/app:v1')!.manifest.byteLength)
  })

  test("zot's own files in both roots are left alone", async () => {
    await expectZotFilesUntouched(data)
  })
})

describe('zot gc and zot scrub visit every store with its own settings', () => {
  let data: ZotSubPathsData
  let configPath: string
  let directory: string

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'zot-subpaths-commands-'))
    data = await writeZotSubPathsData(join(directory, 'root'), join(directory, 'sub-a'))
    // Written 90 minutes ago: past the default store's gcDelay (1h), within /a's (3h).
    await ageTree(directory, 90 * 60_000)
    configPath = join(directory, 'config.json')
    await writeFile(
      configPath,
      JSON.stringify({
        storage: {
          rootDirectory: data.root,
          gcDelay: '1h',
          subPaths: { '/a': { rootDirectory: data.subRoot, gc: true, gcDelay: '3h' } },
        },
        http: { address: '127.0.0.1', port: String(await freePort()) },
      }),
    )
  })
  afterAll(() => rm(directory, { recursive: true, force: true }))

  test('gc deletes what is idle past each store its own gcDelay, and reports every store', async () => {
    const dry = await runZot('gc', configPath, '--dry-run', '--json')
    expect(dry.code, dry.err).toBe(0)
    const planned = JSON.parse(dry.out) as { decisions: { repository: string; action: string; reference: string }[] }
    const deletions = planned.decisions.filter((decision) => decision.action === 'delete')
    expect(new Set(deletions.map((decision) => decision.repository))).toEqual(new Set(['library/alpine']))

    const run = await runZot('gc', configPath)
    expect(run.code, run.err).toBe(0)
    const [alpineOrphan, appOrphan] = data.orphans
    expect(await exists(blobFile(data.root, alpineOrphan!.repository, alpineOrphan!.blob.digest))).toBe(false)
    const untaggedAlpine = data.images.get('library/alpine@untagged')!
    expect(await exists(blobFile(data.root, 'library/alpine', untaggedAlpine.manifestDigest))).toBe(false)
    // /a's gcDelay is 3h: its orphan and its untagged manifest stay.
    expect(await exists(blobFile(data.subRoot, appOrphan!.repository, appOrphan!.blob.digest))).toBe(true)
    const untaggedApp = data.images.get('a/app@untagged')!
    expect(await exists(blobFile(data.subRoot, 'a/app', untaggedApp.manifestDigest))).toBe(true)
    expect(run.out).toMatch(/^gc: \d+ repositories, deleted 0 tags, 1 manifest, 3 blobs/m)
    await expectZotFilesUntouched(data)
  })

  test('gc leaves a sub-store whose gc is off alone, and says so', async () => {
    const gcOff = join(directory, 'gc-off.json')
    const written = JSON.parse(await readFile(configPath, 'utf8')) as { storage: Record<string, unknown> }
    const storage = { ...written.storage, subPaths: { '/a': { rootDirectory: data.subRoot } } }
    await writeFile(gcOff, JSON.stringify({ ...written, storage }))
    const run = await runZot('gc', gcOff)
    expect(run.code, run.err).toBe(0)
    expect(run.err).toContain('zot gc: storage.subPaths["/a"] has gc off: not collected (set "gc": true there)')
    const appOrphan = data.orphans[1]!
    expect(await exists(blobFile(data.subRoot, 'a/app', appOrphan.blob.digest))).toBe(true)
  })

  test('scrub checks both stores and quarantines a corrupt blob in the /a store', async () => {
    const web = data.images.get('a/team/web:v2')!
    const layer = web.blobs[1]!
    const file = blobFile(data.subRoot, 'a/team/web', layer.digest)
    const rotten = new Uint8Array(layer.bytes)
    rotten[0] = rotten[0]! ^ 0xff
    await writeFile(file, rotten)

    const run = await runZot('scrub', configPath, '--json')
    expect(run.code, run.err).toBe(2)
    const { scrubResults } = JSON.parse(run.out) as {
      scrubResults: { imageName: string; tag: string; status: string; affectedBlob: string }[]
    }
    const affected = scrubResults.filter((row) => row.status === 'affected')
    expect(affected).toEqual([
      expect.objectContaining({ imageName: 'a/team/web', tag: 'v2', affectedBlob: layer.digest.slice(7) }),
    ])
    const checked = new Set(scrubResults.map((row) => row.imageName))
    for (const repository of REACHABLE) expect(checked.has(repository), repository).toBe(true)
    expect(await exists(file)).toBe(false)
    expect(await exists(join(data.subRoot, 'a/team/web/.quarantine/sha256', layer.digest.slice(7)))).toBe(true)
    await expectZotFilesUntouched(data)
  })
})

describe("serve's maintenance runs per store", () => {
  let directory: string
  let data: ZotSubPathsData
  let runtime: Runtime | undefined
  const storageSection = (subGcDelay: string) => ({
    rootDirectory: data.root,
    gcDelay: '1s',
    // No schedule of its own: the only passes are the ones these tests ask for.
    gcInterval: '0s',
    subPaths: { '/a': { rootDirectory: data.subRoot, gc: true, gcDelay: subGcDelay, gcInterval: '0s' } },
  })

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'zot-subpaths-serve-'))
    data = await writeZotSubPathsData(join(directory, 'root'), join(directory, 'sub-a'))
    await ageTree(directory, 90 * 60_000)
    runtime = await createRuntime(testConfig({ storage: storageSection('3h') }), silentLogger())
    // A server counts everything as touched at its start: idle for gcDelay only from then on.
    await Bun.sleep(1500)
  })
  afterAll(async () => {
    await runtime?.close()
    await rm(directory, { recursive: true, force: true })
  })

  test('one GC pass applies each store its own gcDelay and counts a run per store', async () => {
    const report = await runtime!.maintenance.runGc()
    expect(report.errors).toEqual([])
    const [alpineOrphan, appOrphan] = data.orphans
    expect(await exists(blobFile(data.root, 'library/alpine', alpineOrphan!.blob.digest))).toBe(false)
    expect(await exists(blobFile(data.subRoot, 'a/app', appOrphan!.blob.digest))).toBe(true)
    const deleted = new Set(report.decisions.filter((d) => d.action === 'delete').map((d) => d.repository))
    expect(deleted).toEqual(new Set(['library/alpine']))
    expect(runtime!.metrics.registry.render()).toMatch(/^zot_gc_runs_total\{error="false"\} 2$/m)
  })

  test("a reload applies a route's new GC settings; its store itself needs a restart", async () => {
    const started = testConfig({ storage: storageSection('3h') })
    const shorter = testConfig({ storage: storageSection('1s') })
    expect(restartOnlyChanges(started, shorter)).toEqual([])
    const moved = testConfig({
      storage: { ...storageSection('3h'), subPaths: { '/a': { rootDirectory: '/elsewhere' } } },
    })
    expect(restartOnlyChanges(started, moved)).toEqual(['storage.subPaths'])

    await runtime!.reconfigure(shorter)
    // Restarted maintenance counts its own start as the last touch, as a server's start.
    await Bun.sleep(1500)
    await runtime!.maintenance.runGc()
    const appOrphan = data.orphans[1]!
    expect(await exists(blobFile(data.subRoot, 'a/app', appOrphan.blob.digest))).toBe(false)
  })

  test('a reload that drops the route keeps maintaining the store that is still open', async () => {
    await runtime!.reconfigure(testConfig({ storage: { rootDirectory: data.root, gcDelay: '1s', gcInterval: '0s' } }))
    const report = await runtime!.maintenance.runGc({ dryRun: true })
    expect(report.errors).toEqual([])
    expect(report.repositories).toBeGreaterThan(4)
  })
})
