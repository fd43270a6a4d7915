/**
 * @module
 * Search speed with many repositories, run by hand: an index of `--repos` repositories holding
 * `--tags` tags in all (default 10,000 and 100,000: ten tags each, two platforms, three layers,
 * signatures on some), behind an `accessControl` policy, queried through the real route
 * (`/v2/_zot/ext/search`, in-process, JSON included) with zui's own queries: GlobalSearch with a
 * page of 15 and RepoListWithNewestImage's first page. Each is timed warm (the viewer's readable
 * list cached) and right after a push (one repository reloaded, the readable list recomputed).
 * The repositories come from a generated source instead of storage: this measures the queries,
 * not the start-up read of the disk.
 *
 *   bun scripts/bench/search.ts [--repos 10000] [--tags 100000] [--rounds 300]
 */
import { Hono } from 'hono'
import { parseArgs } from 'node:util'
import { createAccessControl } from '../../lib/auth/policy/access-control'
import { anonymousPrincipal } from '../../lib/auth/policy/principal'
import { parseConfigText } from '../../lib/config'
import type { AppEnv, Principal } from '../../lib/http/context'
import { searchRoutes } from '../../lib/http/routes/search'
import { silentLogger } from '../../lib/log/logger'
import { openSqliteMetaStore } from '../../lib/meta'
import { CatalogView } from '../../lib/search/catalog-view'
import { createSearchEngine } from '../../lib/search/engine'
import { provideSearch } from '../../lib/search/execute'
import type { ManifestMeta } from '../../lib/search/index/manifest-meta'
import { buildRepository, type StoredManifest } from '../../lib/search/index/repository'
import { SearchIndex } from '../../lib/search/index/search-index'
import type { RepositorySource } from '../../lib/search/index/storage-source'
import { rootResolvers } from '../../lib/search/resolvers/root'
import { UserMarks } from '../../lib/search/user-marks'
import { viewerFor } from '../../lib/search/viewers'

const { values } = parseArgs({
  options: {
    repos: { type: 'string', default: '10000' },
    tags: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '300' },
  },
})
const REPOS = Number(values.repos)
const TAGS_PER_REPO = Math.max(1, Math.round(Number(values.tags) / REPOS))
const ROUNDS = Number(values.rounds)

const hex = (n: number, salt: string) => new Bun.CryptoHasher('sha256').update(`${salt}${n}`).digest('hex')
const digest = (n: number, salt: string) => `sha256:${hex(n, salt)}`
const names = Array.from({ length: REPOS }, (_, i) => `team-${i % 97}/service-${i}`)

function image(repo: number, tag: number, arch: string): ManifestMeta {
  const n = repo * 1000 + tag
  return {
    digest: digest(n, arch),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    kind: 'image',
    size: 1200,
    artifactType: 'application/vnd.oci.image.config.v1+json',
    annotations: { 'org.opencontainers.image.vendor': `vendor-${repo % 13}` },
    configDigest: digest(n, `config${arch}`),
    configSize: 900,
    layers: [0, 1, 2].map((layer) => ({
      digest: digest(layer === 0 ? 0 : n * 3 + layer, 'layer'),
      size: 4_000_000,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    })),
    platform: { os: 'linux', arch },
    labels: {},
    author: '',
    created: new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString(),
    history: [],
    children: [],
  }
}

/** Ten (or `--tags / --repos`) tags per repository: multi-platform indexes, every fourth signed. */
const source: RepositorySource = {
  list: async () => names,
  async load(name) {
    const repo = Number(name.slice(name.lastIndexOf('-') + 1))
    const manifests = new Map<string, ManifestMeta>()
    const stored: StoredManifest[] = []
    for (let tag = 0; tag < TAGS_PER_REPO; tag++) {
      const children = ['amd64', 'arm64'].map((arch) => image(repo, tag, arch))
      const index: ManifestMeta = {
        ...children[0]!,
        digest: digest(repo * 1000 + tag, 'index'),
        mediaType: 'application/vnd.oci.image.index.v1+json',
        kind: 'index',
        artifactType: '',
        annotations: {},
        configDigest: '',
        configSize: 0,
        layers: [],
        children: children.map((child) => ({
          digest: child.digest,
          mediaType: child.mediaType,
          size: child.size,
          platform: child.platform,
        })),
      }
      for (const manifest of [index, ...children]) manifests.set(manifest.digest, manifest)
      stored.push({ digest: index.digest, mediaType: index.mediaType, tag: `v${tag}.0` })
      for (const child of children) stored.push({ digest: child.digest, mediaType: child.mediaType })
      if (tag % 4 === 0) {
        const signature: ManifestMeta = {
          ...children[0]!,
          digest: digest(repo * 1000 + tag, 'sig'),
          subject: index.digest,
          artifactType: 'application/vnd.cncf.notary.signature',
        }
        manifests.set(signature.digest, signature)
        stored.push({ digest: signature.digest, mediaType: signature.mediaType })
      }
    }
    const stats = {
      tags: new Map(),
      manifests: new Map([[stored[0]!.digest, { pullCount: repo % 50, pushedAt: Date.UTC(2024, 0, 1) }]]),
    }
    return buildRepository(name, stored, manifests, stats)
  },
}

const { config } = await parseConfigText(
  JSON.stringify({
    storage: { rootDirectory: '/tmp/unused' },
    http: {
      auth: { htpasswd: { path: import.meta.path } },
      accessControl: {
        repositories: {
          '**': { anonymousPolicy: ['read'], defaultPolicy: ['read'] },
          'team-1*/**': { policies: [{ users: ['alice'], actions: ['read'] }] },
        },
      },
    },
  }),
  'json',
  'search bench',
)
const access = createAccessControl(config.http.accessControl)
const readable = (principal: Principal | undefined, repositories: readonly string[]) =>
  repositories.filter((repository) => access.canRead(principal ?? anonymousPrincipal(), repository))

const started = performance.now()
const index = new SearchIndex(source, silentLogger())
await index.start()
const built = performance.now() - started
const marks = new UserMarks(openSqliteMetaStore(':memory:'))
const view = new CatalogView(index, marks)
const engine = createSearchEngine({
  viewer: viewerFor({ access, readable }),
  root: rootResolvers(view),
  toggle: async () => 'forbidden',
})
const app = new Hono<AppEnv>()
app.use('*', provideSearch(engine))
searchRoutes(app)

// zui's queries (src/api.js), with its default page of 15.
const globalSearch = (term: string) =>
  `{GlobalSearch(query:"${term}", requestedPage: {limit:15 offset:0 sortBy: RELEVANCE} ) {Page {TotalCount ItemCount} Repos {Name LastUpdated Size Platforms { Os Arch } IsStarred IsBookmarked NewestImage { Tag Vulnerabilities {MaxSeverity Count} Description IsSigned SignatureInfo { Tool IsTrusted Author } Licenses Vendor Labels } StarCount DownloadCount}}}`
const repoList = `{RepoListWithNewestImage(requestedPage: {limit:15 offset:0}){Results {Name LastUpdated Size Platforms {Os Arch}  NewestImage { Tag Vulnerabilities {MaxSeverity Count} Description  Licenses Title Source IsSigned SignatureInfo { Tool IsTrusted Author } Documentation Vendor Labels} IsStarred IsBookmarked StarCount DownloadCount}}}`
const TERMS = ['service-12', 'team-3', 'service', 'vice-99', 'team-42/service-4242', 'nothing', 's', '']

/** Wall time and the process's CPU time of one request (CPU time shows the cost on a busy machine). */
async function timed(query: string): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage()
  const begin = performance.now()
  const response = await app.request(`http://bench/v2/_zot/ext/search?query=${encodeURIComponent(query)}`)
  const body = (await response.json()) as { errors?: unknown }
  if (response.status !== 200 || body.errors) throw new Error(`query failed: ${JSON.stringify(body).slice(0, 300)}`)
  const used = process.cpuUsage(cpu)
  return { wall: performance.now() - begin, cpu: (used.user + used.system) / 1000 }
}

function percentiles(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1)
  return `p50 ${at(0.5).padStart(6)}  p95 ${at(0.95).padStart(6)}  max ${at(1).padStart(6)}`
}

async function scenario(label: string, query: (round: number) => string, afterPush: boolean): Promise<void> {
  const wall: number[] = []
  const cpu: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    if (afterPush) index.changed(names[round % names.length]!)
    const sample = await timed(query(round))
    wall.push(sample.wall)
    cpu.push(sample.cpu)
  }
  console.log(`${label.padEnd(44)} wall ms: ${percentiles(wall)} | cpu ms: ${percentiles(cpu)}`)
}

const { loadavg } = await import('node:os')
console.log(
  `load average: ${loadavg()
    .map((load) => load.toFixed(1))
    .join(' ')}`,
)
console.log(
  `${REPOS} repositories, ${REPOS * TAGS_PER_REPO} tags (${TAGS_PER_REPO} per repository); index built in ${built.toFixed(0)} ms`,
)
await timed(repoList) // the first query fills the anonymous viewer's readable list
await scenario('GlobalSearch (zui, page of 15), warm', (round) => globalSearch(TERMS[round % TERMS.length]!), false)
await scenario('GlobalSearch, right after a push', (round) => globalSearch(TERMS[round % TERMS.length]!), true)
await scenario('RepoListWithNewestImage first page, warm', () => repoList, false)
await scenario('RepoListWithNewestImage, right after a push', () => repoList, true)
await scenario(
  'GlobalSearch tag search (repo:tag), warm',
  (round) => `{GlobalSearch(query:"${names[round % names.length]}:v1"){Page{TotalCount} Images{RepoName Tag Size}}}`,
  false,
)
console.log(`heap used: ${(process.memoryUsage().heapUsed / 1024 / 1024).toFixed(0)} MiB`)
