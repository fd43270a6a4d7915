/**
 * A user who may not read `secret/**` never sees it through search: not in lists, searches,
 * counts, digests, referrers, base/derived images or error messages (an unreadable repository
 * answers exactly as a missing one), while its owner and the admin see everything. Anonymous
 * callers see the anonymous-readable repositories only; where nothing is, search is a 401.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { pushImage, pushReferrer, randomLayer, startSearchRegistry, type Pushed, type SearchRegistry } from './support'

const POLICY = {
  repositories: {
    '**': { defaultPolicy: ['read', 'create', 'update'], anonymousPolicy: ['read'] },
    'secret/**': { policies: [{ users: ['alice'], actions: ['read', 'create', 'update', 'delete'] }] },
  },
  adminPolicy: { users: ['admin'], actions: ['read', 'create', 'update', 'delete'] },
}

let registry: SearchRegistry
let secret: Pushed
let shared: Uint8Array
const alice = () => registry.as('alice')

beforeAll(async () => {
  registry = await startSearchRegistry({
    http: { auth: { htpasswd: { path: 'HTPASSWD' } }, accessControl: POLICY },
    extensions: { search: { enable: true }, ui: { enable: true } },
  })
  shared = randomLayer()
  secret = await pushImage(registry, 'secret/db', '1.0', {
    layers: [shared],
    headers: alice(),
    created: '2024-05-01T00:00:00Z',
  })
  await pushImage(registry, 'secret/db', 'secret-tag', { headers: alice() })
  await pushImage(registry, 'public/web', '1.0', {
    layers: [shared],
    headers: registry.as('bob'),
    created: '2024-01-01T00:00:00Z',
  })
  // Built on the public image: secret/derived must not show up as public/web's derived image.
  await pushImage(registry, 'secret/derived', '1.0', { layers: [shared, randomLayer()], headers: alice() })
  await pushReferrer(registry, 'secret/db', secret, 'application/spdx+json', {}, alice())
})
afterAll(() => registry?.close())

/** Every query of zui's and zli's kinds that could mention a repository. */
function probes(secretDigest: string, sharedLayer: string): string[] {
  return [
    '{RepoListWithNewestImage{Page{TotalCount ItemCount} Results{Name NewestImage{RepoName Tag}}}}',
    '{GlobalSearch(query:""){Page{TotalCount ItemCount} Repos{Name}}}',
    '{GlobalSearch(query:"secret"){Page{TotalCount ItemCount} Repos{Name}}}',
    '{GlobalSearch(query:"db"){Page{TotalCount ItemCount} Repos{Name}}}',
    '{GlobalSearch(query:"secret/db:"){Page{TotalCount ItemCount} Images{RepoName Tag}}}',
    '{GlobalSearch(query:":1"){Page{TotalCount ItemCount} Images{RepoName Tag}}}',
    `{GlobalSearch(query:"${sharedLayer}"){Page{TotalCount ItemCount} Images{RepoName Tag}}}`,
    `{ImageListForDigest(id:"${sharedLayer}"){Page{TotalCount ItemCount} Results{RepoName Tag}}}`,
    `{ImageListForDigest(id:"${secretDigest}"){Page{TotalCount ItemCount} Results{RepoName Tag}}}`,
    '{ImageList(repo:""){Page{TotalCount ItemCount} Results{RepoName Tag}}}',
    '{ImageList(repo:"secret/db"){Page{TotalCount ItemCount} Results{RepoName Tag}}}',
    '{DerivedImageList(image:"public/web:1.0"){Page{TotalCount ItemCount} Results{RepoName Tag}}}',
    '{BaseImageList(image:"public/web:1.0"){Page{TotalCount ItemCount} Results{RepoName Tag}}}',
    `{Referrers(repo:"secret/db" digest:"${secretDigest}"){Digest ArtifactType}}`,
    '{StarredRepos{Page{TotalCount ItemCount} Results{Name}}}',
    '{BookmarkedRepos{Page{TotalCount ItemCount} Results{Name}}}',
  ]
}

const answerText = async (query: string, headers: Record<string, string>) =>
  JSON.stringify((await registry.query(query, headers)).body)

describe('a user who may not read secret/**', () => {
  test('no query, count or error mentions it', async () => {
    // Alice stars and bookmarks her repository: Bob's lists must not show it either.
    for (const action of ['toggleStar', 'toggleBookmark']) {
      const response = await registry.fetch(`/v2/_zot/ext/userprefs?action=${action}&repo=secret/db`, {
        method: 'PUT',
        headers: alice(),
      })
      expect(response.status).toBe(200)
    }
    for (const [who, headers] of [
      ['bob', registry.as('bob')],
      ['anonymous', {}],
    ] as const) {
      for (const query of probes(secret.digest, secret.layers[0]!)) {
        const text = await answerText(query, headers)
        expect({ who, query, leaks: text.includes('secret') }).toEqual({ who, query, leaks: false })
      }
    }
  })

  test('counts are those of what they can read', async () => {
    const { body } = await registry.query(
      '{RepoListWithNewestImage{Page{TotalCount ItemCount} Results{Name}}}',
      registry.as('bob'),
    )
    expect(body.data).toEqual({
      RepoListWithNewestImage: { Page: { TotalCount: 1, ItemCount: 1 }, Results: [{ Name: 'public/web' }] },
    })
  })

  test('a hidden repository answers exactly as a missing one', async () => {
    for (const [hidden, missing] of [
      ['{ExpandedRepoInfo(repo:"secret/db"){Summary{Name}}}', '{ExpandedRepoInfo(repo:"nothing/here"){Summary{Name}}}'],
      ['{Image(image:"secret/db:1.0"){Tag}}', '{Image(image:"nothing/here:1.0"){Tag}}'],
      [
        '{DerivedImageList(image:"secret/db:1.0"){Results{Tag}}}',
        '{DerivedImageList(image:"nothing/here:1.0"){Results{Tag}}}',
      ],
    ]) {
      const a = await registry.query(hidden!, registry.as('bob'))
      const b = await registry.query(missing!, registry.as('bob'))
      expect(a).toEqual(b)
      expect(a.body.errors).toHaveLength(1)
    }
  })

  test('stars and bookmarks on it are refused (403), as for any repository they cannot read', async () => {
    for (const repo of ['secret/db', 'secret/missing']) {
      const response = await registry.fetch(`/v2/_zot/ext/userprefs?action=toggleStar&repo=${repo}`, {
        method: 'PUT',
        headers: registry.as('bob'),
      })
      expect(response.status).toBe(403)
    }
  })
})

describe('who may read it', () => {
  test('its owner and the admin see it, with its referrer and derived image', async () => {
    for (const user of ['alice', 'admin']) {
      const { body } = await registry.query(
        '{RepoListWithNewestImage{Page{TotalCount} Results{Name}}}',
        registry.as(user),
      )
      expect(body.data).toMatchObject({ RepoListWithNewestImage: { Page: { TotalCount: 3 } } })
      const referrers = await registry.query(
        `{Referrers(repo:"secret/db" digest:"${secret.digest}"){ArtifactType}}`,
        registry.as(user),
      )
      expect(referrers.body.data).toEqual({ Referrers: [{ ArtifactType: 'application/spdx+json' }] })
    }
    const derived = await registry.query('{DerivedImageList(image:"public/web:1.0"){Results{RepoName}}}', alice())
    // zot's rule: another manifest whose layers start with all of the image's layers is derived
    // from it, so secret/db:1.0 (the same single layer) counts too.
    expect(derived.body.data).toEqual({
      DerivedImageList: { Results: [{ RepoName: 'secret/db' }, { RepoName: 'secret/derived' }] },
    })
    const starred = await registry.query('{StarredRepos{Results{Name StarCount IsStarred}}}', alice())
    expect(starred.body.data).toEqual({
      StarredRepos: { Results: [{ Name: 'secret/db', StarCount: 1, IsStarred: true }] },
    })
  })

  test('IsDeletable follows the delete action of the policy', async () => {
    const query = '{ExpandedRepoInfo(repo:"public/web"){Images{Tag IsDeletable}}}'
    expect((await registry.query(query, registry.as('bob'))).body.data).toEqual({
      ExpandedRepoInfo: { Images: [{ Tag: '1.0', IsDeletable: false }] },
    })
    expect((await registry.query(query, registry.as('admin'))).body.data).toEqual({
      ExpandedRepoInfo: { Images: [{ Tag: '1.0', IsDeletable: true }] },
    })
  })
})

describe('without anonymous access anywhere', () => {
  let closed: SearchRegistry
  beforeAll(async () => {
    closed = await startSearchRegistry({
      http: { auth: { htpasswd: { path: 'HTPASSWD' } } },
      extensions: { search: { enable: true } },
    })
  })
  afterAll(() => closed?.close())

  test("an anonymous search is challenged (401), a user's search answers", async () => {
    const anonymous = await closed.fetch('/v2/_zot/ext/search?query={RepoListWithNewestImage{Page{TotalCount}}}')
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('WWW-Authenticate')).toContain('Basic')
    const bob = await closed.query('{RepoListWithNewestImage{Page{TotalCount ItemCount}}}', closed.as('bob'))
    expect(bob).toEqual({
      status: 200,
      body: { data: { RepoListWithNewestImage: { Page: { TotalCount: 0, ItemCount: 0 } } } },
    })
  })
})
