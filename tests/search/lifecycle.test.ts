/**
 * The search metadata stays true as the registry changes: pushes and pulls (download counts,
 * pull times), tag and manifest deletes through the API, GC and retention removing tags and
 * whole repositories (they raise no registry event), and a restart, after which the index is
 * rebuilt from storage and stars, bookmarks and statistics come back from the metadata store.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pushImage, startSearchRegistry, type SearchRegistry } from './support'

const CONFIG = {
  storage: {
    gcDelay: '0s',
    retention: {
      delay: '0s',
      policies: [{ repositories: ['ret/**'], deleteUntagged: true, keepTags: [{ patterns: ['^keep'] }] }],
    },
  },
  extensions: { search: { enable: true }, ui: { enable: true } },
  http: {
    auth: { htpasswd: { path: 'HTPASSWD' } },
    accessControl: {
      repositories: { '**': { defaultPolicy: ['read', 'create', 'update', 'delete'], anonymousPolicy: ['read'] } },
    },
  },
}

let registry: SearchRegistry
const bob = () => registry.as('bob')

beforeAll(async () => {
  registry = await startSearchRegistry(CONFIG)
})
afterAll(() => registry?.close())

const tags = async (repo: string) =>
  (
    (await registry.query(`{ImageList(repo:"${repo}"){Page{TotalCount} Results{Tag}}}`, bob())).body.data as {
      ImageList: { Page: { TotalCount: number }; Results: { Tag: string }[] }
    }
  ).ImageList

const repositories = async () =>
  (
    (await registry.query('{RepoListWithNewestImage{Results{Name DownloadCount}}}', bob())).body.data as {
      RepoListWithNewestImage: { Results: { Name: string; DownloadCount: number }[] }
    }
  ).RepoListWithNewestImage.Results

test('pulls count as downloads of the image and its repository, with the last pull time', async () => {
  const pushed = await pushImage(registry, 'app/web', 'v1', { headers: bob() })
  const before = Date.now()
  for (let i = 0; i < 3; i++) {
    const response = await registry.fetch('/v2/app/web/manifests/v1', {
      headers: { ...bob(), Accept: pushed.mediaType },
    })
    expect(response.status).toBe(200)
    await response.arrayBuffer()
  }
  // HEAD is not a download.
  await registry.fetch('/v2/app/web/manifests/v1', { method: 'HEAD', headers: bob() })
  const { body } = await registry.query(
    '{Image(image:"app/web:v1"){DownloadCount LastPullTimestamp PushTimestamp Manifests{DownloadCount}}}',
    bob(),
  )
  const image = (
    body.data as { Image: { DownloadCount: number; LastPullTimestamp: string; Manifests: { DownloadCount: number }[] } }
  ).Image
  expect(image.DownloadCount).toBe(3)
  expect(image.Manifests[0]!.DownloadCount).toBe(3)
  expect(Date.parse(image.LastPullTimestamp)).toBeGreaterThanOrEqual(before - 1000)
  expect((await repositories()).find((repo) => repo.Name === 'app/web')?.DownloadCount).toBe(3)
})

test('a tag deleted through the API disappears; the last manifest deleted removes the repository', async () => {
  const v2 = await pushImage(registry, 'app/api', 'v2', { headers: bob() })
  const v3 = await pushImage(registry, 'app/api', 'v3', { headers: bob() })
  expect((await tags('app/api')).Results.map((r) => r.Tag)).toEqual(['v2', 'v3'])
  expect((await registry.fetch('/v2/app/api/manifests/v3', { method: 'DELETE', headers: bob() })).status).toBe(202)
  expect((await tags('app/api')).Results.map((r) => r.Tag)).toEqual(['v2'])
  const byDigest = await registry.query(`{ImageListForDigest(id:"${v3.digest}"){Page{TotalCount}}}`, bob())
  expect(byDigest.body.data).toEqual({ ImageListForDigest: { Page: { TotalCount: 0 } } })
  expect(
    (await registry.fetch(`/v2/app/api/manifests/${v2.digest}`, { method: 'DELETE', headers: bob() })).status,
  ).toBe(202)
  expect((await repositories()).map((repo) => repo.Name)).not.toContain('app/api')
  const search = await registry.query('{GlobalSearch(query:"app/api"){Page{TotalCount} Repos{Name}}}', bob())
  expect(search.body.data).toEqual({ GlobalSearch: { Page: { TotalCount: 0 }, Repos: [] } })
})

test('a moved tag shows the new image', async () => {
  await pushImage(registry, 'app/moving', 'latest', { headers: bob(), created: '2024-01-01T00:00:00Z' })
  const second = await pushImage(registry, 'app/moving', 'latest', { headers: bob(), created: '2024-06-01T00:00:00Z' })
  const { body } = await registry.query('{Image(image:"app/moving:latest"){Digest LastUpdated}}', bob())
  expect(body.data).toEqual({ Image: { Digest: second.digest, LastUpdated: '2024-06-01T00:00:00Z' } })
})

test('retention and GC: removed tags and emptied repositories leave the index', async () => {
  await pushImage(registry, 'ret/a', 'keep-1', { headers: bob() })
  await pushImage(registry, 'ret/a', 'drop-1', { headers: bob() })
  await pushImage(registry, 'ret/b', 'drop-2', { headers: bob() })
  expect((await tags('ret/a')).Page.TotalCount).toBe(2)
  await registry.runtime.maintenance.runGc()
  expect((await tags('ret/a')).Results.map((r) => r.Tag)).toEqual(['keep-1'])
  expect((await repositories()).map((repo) => repo.Name)).not.toContain('ret/b')
  const search = await registry.query('{GlobalSearch(query:"ret/"){Page{TotalCount} Repos{Name}}}', bob())
  expect(search.body.data).toEqual({ GlobalSearch: { Page: { TotalCount: 1 }, Repos: [{ Name: 'ret/a' }] } })
})

test('after a restart the index is rebuilt from storage; stars, bookmarks and downloads are kept', async () => {
  for (const action of ['toggleStar', 'toggleBookmark']) {
    const response = await registry.fetch(`/v2/_zot/ext/userprefs?action=${action}&repo=app/web`, {
      method: 'PUT',
      headers: bob(),
    })
    expect(response.status).toBe(200)
  }
  const query =
    '{RepoListWithNewestImage(requestedPage:{sortBy:ALPHABETIC_ASC}){Results{Name DownloadCount StarCount IsStarred IsBookmarked NewestImage{Tag}}}}'
  const before = await registry.query(query, bob())
  await registry.stop()
  registry = await startSearchRegistry(CONFIG, registry.directory)
  const after = await registry.query(query, bob())
  expect(after).toEqual(before)
  expect(after.body.data).toMatchObject({
    RepoListWithNewestImage: {
      Results: [
        { Name: 'app/moving' },
        {
          Name: 'app/web',
          DownloadCount: 3,
          StarCount: 1,
          IsStarred: true,
          IsBookmarked: true,
          NewestImage: { Tag: 'v1' },
        },
        { Name: 'ret/a' },
      ],
    },
  })
})

test('a restart reads saved metadata, not every config again; without it (zot data) it reads storage', async () => {
  const pushed = await pushImage(registry, 'saved/meta', '1', {
    headers: bob(),
    architecture: 'arm64',
    created: '2024-07-01T00:00:00Z',
  })
  const query = '{Image(image:"saved/meta:1"){LastUpdated Manifests{Platform{Os Arch}}}}'
  const expected = {
    Image: { LastUpdated: '2024-07-01T00:00:00Z', Manifests: [{ Platform: { Os: 'linux', Arch: 'arm64' } }] },
  }
  expect((await registry.query(query, bob())).body.data).toEqual(expected)
  const manifest = (await (
    await registry.fetch(`/v2/saved/meta/manifests/${pushed.digest}`, { headers: bob() })
  ).json()) as { config: { digest: string } }
  const configFile = join(registry.rootDirectory, 'saved/meta/blobs/sha256', manifest.config.digest.slice(7))
  const configBytes = await readFile(configFile)

  // The config is gone from storage: only the saved metadata can still tell the platform.
  await registry.stop()
  await rm(configFile)
  registry = await startSearchRegistry(CONFIG, registry.directory)
  expect((await registry.query(query, bob())).body.data).toEqual(expected)

  // No metadata store at all (a registry migrated from zot): everything is read from storage.
  await registry.stop()
  await writeFile(configFile, configBytes)
  await rm(join(registry.rootDirectory, '_meta.sqlite'))
  registry = await startSearchRegistry(CONFIG, registry.directory)
  expect((await registry.query(query, bob())).body.data).toEqual(expected)
})

test('searches arriving together right after pushes all see them (none answers before the index caught up)', async () => {
  for (let i = 0; i < 5; i++) await pushImage(registry, `burst/app${i}`, 'v1', { headers: bob() })
  const answers = await Promise.all(
    Array.from({ length: 4 }, () =>
      registry.query(
        '{a: GlobalSearch(query:"burst/"){Repos{Name}} b: GlobalSearch(query:"burst/"){Repos{Name}}}',
        bob(),
      ),
    ),
  )
  for (const answer of answers) {
    const data = answer.body.data as Record<'a' | 'b', { Repos: { Name: string }[] }>
    expect(data.a.Repos).toHaveLength(5)
    expect(data.b.Repos).toHaveLength(5)
  }
})
