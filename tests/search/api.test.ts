/**
 * The endpoint and its answers as zot gives them: GET and POST transports, gqlgen's statuses
 * (422 for a query that does not parse or validate, 400 for a body that is not JSON), pagination
 * (limit 0 is everything, TotalCount counts every match), every sort criteria, GlobalSearch's
 * targets and filters and zot's input errors, userprefs' statuses, and 404 without search.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { pushImage, pushIndex, startSearchRegistry, type SearchRegistry } from './support'

let registry: SearchRegistry
const bob = () => registry.as('bob')
const NAMES = ['alpha/one', 'beta/two', 'gamma/three', 'delta/alpha', 'epsilon/five']

beforeAll(async () => {
  registry = await startSearchRegistry({
    http: {
      auth: { htpasswd: { path: 'HTPASSWD' } },
      accessControl: { repositories: { '**': { defaultPolicy: ['read', 'create'], anonymousPolicy: ['read'] } } },
    },
    extensions: { search: { enable: true }, ui: { enable: true } },
  })
  // Created one day apart, in name order: the last is the newest.
  for (const [i, name] of NAMES.entries()) {
    await pushImage(registry, name, '1.0', { headers: bob(), created: `2024-01-0${i + 1}T00:00:00Z` })
  }
  await pushImage(registry, 'alpha/one', '2.0', { headers: bob(), created: '2024-02-01T00:00:00Z', os: 'windows' })
  await pushIndex(
    registry,
    'beta/two',
    'multi',
    [
      { os: 'linux', architecture: 'arm', variant: 'v7' },
      { os: 'freebsd', architecture: 'amd64' },
    ],
    undefined,
    bob(),
  )
  // Downloads: epsilon/five twice, beta/two once.
  for (const name of ['epsilon/five', 'epsilon/five', 'beta/two']) {
    await (
      await registry.fetch(`/v2/${name}/manifests/1.0`, {
        headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
      })
    ).arrayBuffer()
  }
})
afterAll(() => registry?.close())

type Repos = { Page: { TotalCount: number; ItemCount: number }; Results: { Name: string }[] }
const repoList = async (page: string) => {
  const { body } = await registry.query(
    `{RepoListWithNewestImage(requestedPage:${page}){Page{TotalCount ItemCount} Results{Name}}}`,
  )
  expect(body.errors).toBeUndefined()
  const list = (body.data as { RepoListWithNewestImage: Repos }).RepoListWithNewestImage
  return { page: list.Page, names: list.Results.map((r) => r.Name) }
}

describe('transports', () => {
  test('POST with a JSON body, variables and an operation name', async () => {
    const response = await registry.fetch('/v2/_zot/ext/search', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        query: 'query Other { __typename } query Find($q: String!) { GlobalSearch(query: $q) { Repos { Name } } }',
        variables: { q: 'three' },
        operationName: 'Find',
      }),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ data: { GlobalSearch: { Repos: [{ Name: 'gamma/three' }] } } })
  })

  test('GET with variables in the query string', async () => {
    const query = encodeURIComponent('query($r: String!) { ImageList(repo: $r) { Results { Tag } } }')
    const variables = encodeURIComponent(JSON.stringify({ r: 'gamma/three' }))
    const response = await registry.fetch(`/v2/_zot/ext/search?query=${query}&variables=${variables}`)
    expect(await response.json()).toEqual({ data: { ImageList: { Results: [{ Tag: '1.0' }] } } })
  })

  test('gqlgen statuses: 422 without an operation or for an invalid one, 400 for a body that is not JSON', async () => {
    expect((await registry.fetch('/v2/_zot/ext/search')).status).toBe(422)
    const invalid = await registry.query('{ RepoListWithNewestImage { Nope } }')
    expect(invalid.status).toBe(422)
    expect(invalid.body.errors?.[0]?.message).toContain('Nope')
    const syntax = await registry.query('{ RepoListWithNewestImage { ')
    expect(syntax.status).toBe(422)
    const notJson = await registry.fetch('/v2/_zot/ext/search', { method: 'POST', body: '{nope' })
    expect(notJson.status).toBe(400)
  })

  test('an oversized body is refused before it is read whole', async () => {
    const response = await registry.fetch('/v2/_zot/ext/search', {
      method: 'POST',
      body: JSON.stringify({ query: `{ __typename ${' '.repeat(300_000)}}` }),
    })
    expect(response.status).toBe(413)
  })
})

describe('pagination and sorting', () => {
  test('limit and offset cut the page, TotalCount counts all; no limit is everything', async () => {
    expect(await repoList('{limit:2 offset:1 sortBy:ALPHABETIC_ASC}')).toEqual({
      page: { TotalCount: 5, ItemCount: 2 },
      names: ['beta/two', 'delta/alpha'],
    })
    expect((await repoList('{sortBy:ALPHABETIC_DSC}')).names).toEqual([...NAMES].sort().reverse())
    expect(await repoList('{limit:2 offset:10}')).toEqual({ page: { TotalCount: 5, ItemCount: 0 }, names: [] })
  })

  test('UPDATE_TIME (the default) is newest first; DOWNLOADS most pulled first', async () => {
    // beta/two's index has no creation time: its tag push time is later than every created time.
    expect((await repoList('{}')).names).toEqual([
      'beta/two',
      'alpha/one',
      'epsilon/five',
      'delta/alpha',
      'gamma/three',
    ])
    expect((await repoList('{sortBy:DOWNLOADS}')).names.slice(0, 2)).toEqual(['epsilon/five', 'beta/two'])
  })

  test('STARS sorts by stars (zot refuses it), RELEVANCE by rank', async () => {
    const star = await registry.fetch('/v2/_zot/ext/userprefs?action=toggleStar&repo=gamma/three', {
      method: 'PUT',
      headers: bob(),
    })
    expect(star.status).toBe(200)
    expect((await repoList('{sortBy:STARS}')).names[0]).toBe('gamma/three')
    const { body } = await registry.query('{GlobalSearch(query:"alpha"){Repos{Name Rank}}}')
    // "alpha" is the last path segment of delta/alpha (rank 1), the first of alpha/one (rank 10).
    expect(body.data).toEqual({
      GlobalSearch: {
        Repos: [
          { Name: 'delta/alpha', Rank: 1 },
          { Name: 'alpha/one', Rank: 10 },
        ],
      },
    })
  })

  test("negative limits and offsets and unknown criteria are refused with zot's messages", async () => {
    const negative = await registry.query('{RepoListWithNewestImage(requestedPage:{limit:-1}){Page{TotalCount}}}')
    expect(negative.body.errors?.[0]?.message).toBe('pagination limit has negative value')
    const global = await registry.query('{GlobalSearch(query:"a", requestedPage:{offset:-1}){Page{TotalCount}}}')
    expect(global.body.errors?.[0]?.message).toBe(
      "requested page offset parameter can't be negative request parameter has invalid value",
    )
    const severity = await registry.query('{ImageList(repo:"", requestedPage:{sortBy:SEVERITY}){Page{TotalCount}}}')
    expect(severity.body.errors?.[0]?.message).toBe(
      "sorting repos by 'SEVERITY' is not supported the pagination sort criteria is not supported",
    )
  })
})

describe('GlobalSearch', () => {
  const images = async (query: string, filter = '') => {
    const { body } = await registry.query(
      `{GlobalSearch(query:"${query}"${filter}){Page{TotalCount ItemCount} Repos{Name} Images{RepoName Tag}}}`,
    )
    return body
  }

  test('repo:tag searches tags by prefix in that repository, :tag across all', async () => {
    expect((await images('alpha/one:')).data).toEqual({
      GlobalSearch: {
        Page: { TotalCount: 2, ItemCount: 2 },
        Repos: null,
        Images: [
          { RepoName: 'alpha/one', Tag: '1.0' },
          { RepoName: 'alpha/one', Tag: '2.0' },
        ],
      },
    })
    const all = (await images(':mul')).data as { GlobalSearch: { Images: unknown[] } }
    expect(all.GlobalSearch.Images).toEqual([{ RepoName: 'beta/two', Tag: 'multi' }])
  })

  test('filters by OS and architecture (any platform of the image), case-insensitive', async () => {
    const windows = (await images('alpha/one:', ', filter:{Os:["WINDOWS"]}')).data as {
      GlobalSearch: { Images: unknown[] }
    }
    expect(windows.GlobalSearch.Images).toEqual([{ RepoName: 'alpha/one', Tag: '2.0' }])
    const arm = (await images('', ', filter:{Arch:["arm/v7"]}')).data as { GlobalSearch: { Repos: unknown[] } }
    expect(arm.GlobalSearch.Repos).toEqual([{ Name: 'beta/two' }])
  })

  test('starred and bookmarked filters apply to the viewer', async () => {
    const { body } = await registry.query('{GlobalSearch(query:"", filter:{IsStarred:true}){Repos{Name}}}', bob())
    expect(body.data).toEqual({ GlobalSearch: { Repos: [{ Name: 'gamma/three' }] } })
    const anonymous = await registry.query('{GlobalSearch(query:"", filter:{IsStarred:true}){Repos{Name}}}')
    expect(anonymous.body.data).toEqual({ GlobalSearch: { Repos: [] } })
  })

  test("zot's input errors", async () => {
    expect((await images('@nope')).errors?.[0]?.message).toBe('invalid search query')
    expect((await images('a:b:c')).errors?.[0]?.message).toContain('invalid image reference format')
    expect((await images('x'.repeat(257))).errors?.[0]?.message).toBe(
      'max string size limit exceeded for query parameter. max=256 current=257 request parameter has invalid value',
    )
  })
})

describe('userprefs', () => {
  const put = (query: string, headers: Record<string, string> = bob()) =>
    registry.fetch(`/v2/_zot/ext/userprefs${query}`, { method: 'PUT', headers }).then((r) => r.status)

  test("zot's statuses", async () => {
    expect(await put('?repo=alpha/one')).toBe(400)
    expect(await put('?action=toggleStar')).toBe(400)
    expect(await put('?action=other&repo=alpha/one')).toBe(400)
    expect(await put('?action=toggleStar&repo=')).toBe(404)
    expect(await put('?action=toggleStar&repo=no/such')).toBe(404)
    expect(await put('?action=toggleBookmark&repo=alpha/one', {})).toBe(403)
  })

  test('a toggle flips: starred, then not; StarCount follows', async () => {
    const count = async () =>
      (
        (await registry.query('{ExpandedRepoInfo(repo:"delta/alpha"){Summary{StarCount IsStarred}}}', bob())).body
          .data as {
          ExpandedRepoInfo: { Summary: { StarCount: number; IsStarred: boolean } }
        }
      ).ExpandedRepoInfo.Summary
    expect(await put('?action=toggleStar&repo=delta/alpha')).toBe(200)
    expect(await count()).toEqual({ StarCount: 1, IsStarred: true })
    expect(await put('?action=toggleStar&repo=delta/alpha')).toBe(200)
    expect(await count()).toEqual({ StarCount: 0, IsStarred: false })
  })
})

describe('without search', () => {
  let plain: SearchRegistry
  beforeAll(async () => {
    plain = await startSearchRegistry({})
  })
  afterAll(() => plain?.close())

  test('the search endpoint does not exist (404), as in zot', async () => {
    expect((await plain.fetch('/v2/_zot/ext/search?query={__typename}')).status).toBe(404)
  })
})

describe('userprefs under concurrency', () => {
  test('an even number of simultaneous toggles leaves the star unset, an odd one set', async () => {
    const toggle = () =>
      registry.fetch('/v2/_zot/ext/userprefs?action=toggleStar&repo=epsilon/five', { method: 'PUT', headers: bob() })
    const statuses = await Promise.all(Array.from({ length: 6 }, toggle))
    expect(statuses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200])
    const starred = async () =>
      (
        (await registry.query('{ExpandedRepoInfo(repo:"epsilon/five"){Summary{IsStarred StarCount}}}', bob())).body
          .data as { ExpandedRepoInfo: { Summary: unknown } }
      ).ExpandedRepoInfo.Summary
    expect(await starred()).toEqual({ IsStarred: false, StarCount: 0 })
    await Promise.all(Array.from({ length: 3 }, toggle))
    expect(await starred()).toEqual({ IsStarred: true, StarCount: 1 })
  })
})

describe('request bounds', () => {
  test('more than 10 root fields, or more than 1,000 fields with fragments expanded, are refused unrun', async () => {
    const aliases = Array.from({ length: 11 }, (_, i) => `r${i}: RepoListWithNewestImage { Page { TotalCount } }`)
    const roots = await registry.query(`{ ${aliases.join(' ')} }`)
    expect(roots.body).toEqual({ errors: [{ message: 'a request may ask for at most 10 root fields' }] })
    // 50 aliases of a fragment of 50 fields: 2,500 fields from a query of a few kilobytes.
    const fields = Array.from({ length: 50 }, (_, i) => `f${i}: Name`).join(' ')
    const uses = Array.from({ length: 50 }, (_, i) => `u${i}: Results { ...F }`).join(' ')
    const fanOut = await registry.query(
      `{ RepoListWithNewestImage { ${uses} } } fragment F on RepoSummary { ${fields} }`,
    )
    expect(fanOut.body).toEqual({ errors: [{ message: 'a request may select at most 1000 fields' }] })
  })
})

test('a fragment cycle is refused by validation, not looped over', async () => {
  const { status, body } = await registry.query(
    '{ RepoListWithNewestImage { Results { ...A } } } fragment A on RepoSummary { Name ...B } fragment B on RepoSummary { ...A }',
  )
  expect(status).toBe(422)
  expect(body.errors?.[0]?.message).toContain('Cannot spread fragment')
})
