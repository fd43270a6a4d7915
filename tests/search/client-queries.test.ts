/**
 * The queries zui and zli send, copied verbatim from their sources (zui's `src/api.js`
 * endpoints, zli's `pkg/cli/client/service.go` and `discover.go`), replayed over HTTP against
 * pushed images: each answer has exactly the shape zot's schema gives it, with the values zot
 * would compute.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { shapeProblems } from './shape'
import {
  pushCosignSignature,
  pushImage,
  pushIndex,
  pushReferrer,
  randomLayer,
  startSearchRegistry,
  type GraphQLAnswer,
  type Pushed,
  type SearchRegistry,
} from './support'

// zui, src/api.js (endpoints), verbatim.
const zui = {
  repoList: ({ pageNumber = 1, pageSize = 15 } = {}) =>
    `/v2/_zot/ext/search?query={RepoListWithNewestImage(requestedPage: {limit:${pageSize} offset:${
      (pageNumber - 1) * pageSize
    }}){Results {Name LastUpdated Size Platforms {Os Arch}  NewestImage { Tag Vulnerabilities {MaxSeverity Count} Description  Licenses Title Source IsSigned SignatureInfo { Tool IsTrusted Author } Documentation Vendor Labels} IsStarred IsBookmarked StarCount DownloadCount}}}`,
  detailedRepoInfo: (name: string) =>
    `/v2/_zot/ext/search?query={ExpandedRepoInfo(repo:"${name}"){Images {Manifests {Digest Platform {Os Arch} Size} Vulnerabilities {MaxSeverity Count} Tag LastUpdated Vendor IsDeletable } Summary {Name LastUpdated Size Platforms {Os Arch} Vendors IsStarred IsBookmarked NewestImage {RepoName IsSigned SignatureInfo { Tool IsTrusted Author } Vulnerabilities {MaxSeverity Count} Manifests {Digest} Tag Vendor Title Documentation DownloadCount Source Description Licenses}}}}`,
  detailedImageInfo: (name: string, tag: string) =>
    `/v2/_zot/ext/search?query={Image(image: "${name}:${tag}"){RepoName IsSigned SignatureInfo { Tool IsTrusted Author } Vulnerabilities {MaxSeverity Count}  Referrers {MediaType ArtifactType Size Digest Annotations{Key Value}} Tag TaggedTimestamp ArtifactType Manifests {ArtifactType Layers {Size Digest} History {Layer {Size Digest} HistoryDescription {CreatedBy EmptyLayer}} Digest ConfigDigest LastUpdated Size Platform {Os Arch} Referrers {MediaType ArtifactType Size Digest Annotations{Key Value}}} Vendor Licenses }}`,
  dependsOnForImage: (name: string, { pageNumber = 1, pageSize = 15 } = {}) =>
    `/v2/_zot/ext/search?query={BaseImageList(image: "${name}", requestedPage: {limit:${pageSize} offset:${
      (pageNumber - 1) * pageSize
    }}){Page {TotalCount ItemCount} Results { RepoName Tag Description Manifests {Digest Platform {Os Arch} Size} Vendor DownloadCount LastUpdated IsSigned SignatureInfo { Tool IsTrusted Author } Vulnerabilities {MaxSeverity Count}}}}`,
  isDependentOnForImage: (name: string, { pageNumber = 1, pageSize = 15 } = {}) =>
    `/v2/_zot/ext/search?query={DerivedImageList(image: "${name}", requestedPage: {limit:${pageSize} offset:${
      (pageNumber - 1) * pageSize
    }}){Page {TotalCount ItemCount} Results {RepoName Tag Description Manifests {Digest Platform {Os Arch} Size} Vendor DownloadCount LastUpdated IsSigned SignatureInfo { Tool IsTrusted Author } Vulnerabilities {MaxSeverity Count}}}}`,
  globalSearch: ({
    searchQuery = '""',
    pageNumber = 1,
    pageSize = 15,
    sortBy = 'RELEVANCE',
    filter = {} as Record<string, unknown>,
  }) => {
    const isEmpty = (value: unknown) => value === undefined || value === '' || (Array.isArray(value) && !value.length)
    const searchParam = !isEmpty(searchQuery) ? `query:"${searchQuery}"` : `query:""`
    const paginationParam = `requestedPage: {limit:${pageSize} offset:${(pageNumber - 1) * pageSize} sortBy: ${sortBy}}`
    let filterParam = `,filter: {`
    if (filter.Os) filterParam += ` Os:${!isEmpty(filter.Os) ? `${JSON.stringify(filter.Os)}` : '""'}`
    if (filter.Arch) filterParam += ` Arch:${!isEmpty(filter.Arch) ? `${JSON.stringify(filter.Arch)}` : '""'}`
    if (filter.HasToBeSigned) filterParam += ` HasToBeSigned: ${filter.HasToBeSigned}`
    if (filter.IsBookmarked) filterParam += ` IsBookmarked: ${filter.IsBookmarked}`
    if (filter.IsStarred) filterParam += ` IsStarred: ${filter.IsStarred}`
    filterParam += '}'
    if (Object.keys(filter).length === 0) filterParam = ''
    return `/v2/_zot/ext/search?query={GlobalSearch(${searchParam}, ${paginationParam} ${filterParam}) {Page {TotalCount ItemCount} Repos {Name LastUpdated Size Platforms { Os Arch } IsStarred IsBookmarked NewestImage { Tag Vulnerabilities {MaxSeverity Count} Description IsSigned SignatureInfo { Tool IsTrusted Author } Licenses Vendor Labels } StarCount DownloadCount}}}`
  },
  imageSuggestions: ({ searchQuery = '""', pageNumber = 1, pageSize = 15 }) => {
    const searchParam = searchQuery !== '' ? `query:"${searchQuery}"` : `query:""`
    const paginationParam = `requestedPage: {limit:${pageSize} offset:${(pageNumber - 1) * pageSize} sortBy:RELEVANCE}`
    return `/v2/_zot/ext/search?query={GlobalSearch(${searchParam}, ${paginationParam}) {Images {RepoName Tag}}}`
  },
  referrers: ({ repo, digest, type = '' }: { repo: string; digest: string; type?: string }) =>
    `/v2/_zot/ext/search?query={Referrers(repo: "${repo}" digest: "${digest}" type: "${type}"){MediaType ArtifactType Size Digest Annotations{Key Value}}}`,
  allVulnerabilitiesForRepo: (name: string) =>
    `/v2/_zot/ext/search?query={CVEListForImage(image: "${name}"){Tag Page {TotalCount ItemCount} CVEList {Id Title Description Severity Reference PackageList {Name PackagePath InstalledVersion FixedVersion}}}}`,
}

// zli, pkg/cli/client/service.go and discover.go, verbatim (Go's %s filled in).
const IMAGE_RESULTS = `
				RepoName Tag
				Digest
				MediaType
				Manifests {
					Digest
					ConfigDigest
					Size
					Platform {Os Arch}
					IsSigned
					Layers {Size Digest}
					LastUpdated
				}
				LastUpdated
				Size
				IsSigned`
const zli = {
  images: (repo: string, sortBy: string) => `
	{
		ImageList(repo: "${repo}", requestedPage: {sortBy: ${sortBy}}) {
			Results {${IMAGE_RESULTS}
			}
		}
	}`,
  imagesForDigest: (digest: string, sortBy: string) => `
	{
		ImageListForDigest(id: "${digest}", requestedPage: {sortBy: ${sortBy}}) {
			Results {${IMAGE_RESULTS}
			}
		}
	}`,
  derived: (image: string, sortBy: string) => `
		{
			DerivedImageList(image:"${image}", requestedPage: {sortBy: ${sortBy}}){
				Results{${IMAGE_RESULTS}
				}
			}
		}`,
  base: (image: string, sortBy: string) => `
		{
			BaseImageList(image:"${image}", requestedPage: {sortBy: ${sortBy}}){
				Results{${IMAGE_RESULTS}
				}
			}
		}`,
  referrers: (repo: string, digest: string) => `
		{
			Referrers( repo: "${repo}", digest: "${digest}" ){
				ArtifactType,
				Digest,
				MediaType,
				Size,
				Annotations{
					Key
					Value
				}
			}
		}`,
  globalSearch: (query: string, sortBy: string) => `
		{
			GlobalSearch(query:"${query}", requestedPage: {sortBy: ${sortBy}}){
				Images {
					RepoName
					Tag
					MediaType
					Digest
					Size
					IsSigned
					LastUpdated
					Manifests {
						Digest
						ConfigDigest
						Platform {Os Arch}
						Size
						IsSigned
						Layers {Size Digest}
						LastUpdated
					}
				}
				Repos {
					Name
					Platforms { Os Arch }
					LastUpdated
					Size
					DownloadCount
					StarCount
				}
			}
		}`,
  cveForImage: (image: string, searchedCVE: string, sortBy: string) => `
	{
		CVEListForImage (image:"${image}", searchedCVE:"${searchedCVE}", requestedPage: {sortBy: ${sortBy}}) {
			Tag
			CVEList {
				Id Title Severity Description
				PackageList {Name PackagePath InstalledVersion FixedVersion}
			}
			Summary {
				Count UnknownCount LowCount MediumCount HighCount CriticalCount MaxSeverity
			}
		}
	}`,
  schema: `
		{
			__schema {
				queryType {
					fields {
						name
						args {
							name
						}
						type {
							name
							kind
						}
					}
					__typename
				}
				types {
					name
					fields {
						name
					}
				}
			}
		}`,
}

let registry: SearchRegistry
let alpine: Pushed
let derived: Pushed
let sbom: string
let notation: string
const base = [randomLayer(), randomLayer()]

beforeAll(async () => {
  registry = await startSearchRegistry({ extensions: { search: { enable: true }, ui: { enable: true } } })
  alpine = await pushImage(registry, 'library/alpine', '3.19', {
    layers: base,
    created: '2024-01-02T03:04:05Z',
    annotations: {
      'org.opencontainers.image.vendor': 'Alpine Linux',
      'org.opencontainers.image.description': 'A minimal image',
      'org.opencontainers.image.licenses': 'MIT',
      'org.opencontainers.image.title': 'alpine',
    },
    history: [
      { created: '2024-01-02T03:04:05Z', created_by: '/bin/sh -c #(nop) ADD file:abc in /' },
      { created: '2024-01-02T03:04:05Z', created_by: '/bin/sh -c #(nop) CMD ["/bin/sh"]', empty_layer: true },
      { created: '2024-01-02T03:04:05Z', created_by: 'RUN apk add curl' },
    ],
  })
  await pushCosignSignature(registry, 'library/alpine', alpine.digest)
  notation = await pushReferrer(registry, 'library/alpine', alpine, 'application/vnd.cncf.notary.signature')
  sbom = await pushReferrer(registry, 'library/alpine', alpine, 'application/spdx+json', {
    'org.opencontainers.image.created': '2024-02-01T00:00:00Z',
  })
  await pushIndex(registry, 'library/busybox', 'latest', [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ])
  derived = await pushImage(registry, 'team/app', 'v1', {
    layers: [...base, randomLayer()],
    created: '2024-03-01T00:00:00Z',
  })
})

afterAll(() => registry?.close())

/** Fetches a zui endpoint as the browser does (the URL parser encodes the query). */
async function zuiGet(path: string): Promise<{ status: number; body: GraphQLAnswer; query: string }> {
  const url = new URL(path, registry.url)
  const response = await fetch(url, { headers: { Accept: 'application/json', 'X-ZOT-API-CLIENT': 'zot-ui' } })
  return {
    status: response.status,
    body: (await response.json()) as GraphQLAnswer,
    query: url.searchParams.get('query')!,
  }
}

/** Sends a zli query as zli does: GET, `?query=`, the query also as a JSON-typed body. */
async function zliGet(query: string): Promise<{ status: number; body: GraphQLAnswer; query: string }> {
  const response = await registry.fetch(`/v2/_zot/ext/search?query=${encodeURIComponent(query)}`, {
    headers: { 'Content-Type': 'application/json' },
  })
  return { status: response.status, body: (await response.json()) as GraphQLAnswer, query }
}

function expectShape(answer: { status: number; body: GraphQLAnswer; query: string }) {
  expect(answer.body.errors).toBeUndefined()
  expect(answer.status).toBe(200)
  expect(shapeProblems(answer.query, answer.body.data)).toEqual([])
  // biome-ignore lint/suspicious/noExplicitAny: shapeProblems just checked the answer against the schema
  return answer.body.data as Record<string, any>
}

describe('zui', () => {
  test('repository list: every repository with its newest image, signed, with vendor and platforms', async () => {
    const data = expectShape(await zuiGet(zui.repoList()))
    const names = data.RepoListWithNewestImage.Results.map((repo: { Name: string }) => repo.Name)
    // UPDATE_TIME: pushed times here (the index has no creation time), then images' created times.
    expect(names.sort()).toEqual(['library/alpine', 'library/busybox', 'team/app'])
    const alpineRepo = data.RepoListWithNewestImage.Results.find(
      (repo: { Name: string }) => repo.Name === 'library/alpine',
    )
    expect(alpineRepo.NewestImage).toMatchObject({
      Tag: '3.19',
      IsSigned: true,
      Vendor: 'Alpine Linux',
      Description: 'A minimal image',
      Licenses: 'MIT',
      Title: 'alpine',
      Vulnerabilities: { MaxSeverity: '', Count: 0 },
    })
    expect(alpineRepo.NewestImage.SignatureInfo.map((s: { Tool: string }) => s.Tool).sort()).toEqual([
      'cosign',
      'notation',
    ])
    expect(alpineRepo).toMatchObject({ Platforms: [{ Os: 'linux', Arch: 'amd64' }], StarCount: 0, IsStarred: false })
  })

  test('repository page: images with manifests and platforms, summary with vendors', async () => {
    const data = expectShape(await zuiGet(zui.detailedRepoInfo('library/busybox')))
    const [image] = data.ExpandedRepoInfo.Images
    expect(image.Tag).toBe('latest')
    expect(image.IsDeletable).toBe(true)
    expect(image.Manifests.map((m: { Platform: unknown }) => m.Platform)).toEqual([
      { Os: 'linux', Arch: 'amd64' },
      { Os: 'linux', Arch: 'arm64/v8' },
    ])
    expect(data.ExpandedRepoInfo.Summary.Platforms).toHaveLength(2)
  })

  test('image page: layers, history (empty layers without a layer), referrers with artifact types', async () => {
    const data = expectShape(await zuiGet(zui.detailedImageInfo('library/alpine', '3.19')))
    const image = data.Image
    expect(image.ArtifactType).toBe('application/vnd.oci.image.config.v1+json')
    expect(image.Referrers.map((r: { Digest: string }) => r.Digest).sort()).toEqual([notation, sbom].sort())
    const sbomReferrer = image.Referrers.find((r: { Digest: string }) => r.Digest === sbom)
    expect(sbomReferrer.ArtifactType).toBe('application/spdx+json')
    expect(sbomReferrer.Annotations).toEqual([
      { Key: 'org.opencontainers.image.created', Value: '2024-02-01T00:00:00Z' },
    ])
    const [manifest] = image.Manifests
    expect(manifest.Layers.map((l: { Digest: string }) => l.Digest)).toEqual(alpine.layers)
    expect(manifest.Size).toBe(String(alpine.imageSize))
    expect(manifest.History.map((h: { Layer: unknown }) => h.Layer === null)).toEqual([false, true, false])
    expect(manifest.History[2].HistoryDescription).toEqual({ CreatedBy: 'RUN apk add curl', EmptyLayer: false })
    expect(manifest.LastUpdated).toBe('2024-01-02T03:04:05Z')
  })

  test('base and derived images: the image built on alpine, and alpine under it', async () => {
    const derivedAnswer = expectShape(await zuiGet(zui.isDependentOnForImage('library/alpine:3.19')))
    expect(derivedAnswer.DerivedImageList.Page).toEqual({ TotalCount: 1, ItemCount: 1 })
    expect(derivedAnswer.DerivedImageList.Results[0]).toMatchObject({ RepoName: 'team/app', Tag: 'v1' })
    const baseAnswer = expectShape(await zuiGet(zui.dependsOnForImage('team/app:v1')))
    expect(baseAnswer.BaseImageList.Results.map((r: { RepoName: string }) => r.RepoName)).toEqual(['library/alpine'])
  })

  test('global search and suggestions', async () => {
    const data = expectShape(await zuiGet(zui.globalSearch({ searchQuery: 'alpine' })))
    expect(data.GlobalSearch.Page).toEqual({ TotalCount: 1, ItemCount: 1 })
    expect(data.GlobalSearch.Repos[0].Name).toBe('library/alpine')
    const filtered = expectShape(
      await zuiGet(zui.globalSearch({ searchQuery: '', filter: { Arch: ['arm64/v8'], Os: ['linux'] } })),
    )
    expect(filtered.GlobalSearch.Repos.map((r: { Name: string }) => r.Name)).toEqual(['library/busybox'])
    const signed = expectShape(await zuiGet(zui.globalSearch({ searchQuery: '', filter: { HasToBeSigned: true } })))
    expect(signed.GlobalSearch.Repos.map((r: { Name: string }) => r.Name)).toEqual(['library/alpine'])
    const suggestions = expectShape(await zuiGet(zui.imageSuggestions({ searchQuery: 'library/alpine:3' })))
    expect(suggestions.GlobalSearch.Images).toEqual([{ RepoName: 'library/alpine', Tag: '3.19' }])
  })

  test("referrers with zui's empty type filter: all of them", async () => {
    const answer = await zuiGet(zui.referrers({ repo: 'library/alpine', digest: alpine.digest }))
    const data = expectShape(answer)
    expect(data.Referrers.map((r: { Digest: string }) => r.Digest).sort()).toEqual([notation, sbom].sort())
  })

  test("vulnerabilities: zot's error, data null, as zot without a scanner", async () => {
    const answer = await zuiGet(zui.allVulnerabilitiesForRepo('library/alpine:3.19'))
    expect(answer.status).toBe(200)
    expect(answer.body.data).toBeNull()
    expect(answer.body.errors?.map((e) => [e.message, e.path])).toEqual([
      ['cve search is disabled', ['CVEListForImage']],
    ])
  })
})

describe('zli', () => {
  test('the schema introspection zli checks before each command lists its queries with their arguments', async () => {
    const answer = await zliGet(zli.schema)
    expect(answer.status).toBe(200)
    const schema = (
      answer.body.data as {
        __schema: { queryType: { fields: { name: string; args: { name: string }[] }[] }; types: { name: string }[] }
      }
    ).__schema
    const args = Object.fromEntries(schema.queryType.fields.map((f) => [f.name, f.args.map((a) => a.name)]))
    expect(args.ImageList).toEqual(['repo', 'requestedPage'])
    expect(args.ImageListForDigest).toEqual(['id', 'requestedPage'])
    expect(args.DerivedImageList).toEqual(['image', 'digest', 'requestedPage'])
    expect(args.BaseImageList).toEqual(['image', 'digest', 'requestedPage'])
    expect(args.GlobalSearch).toEqual(['query', 'filter', 'requestedPage'])
    expect(args.Referrers).toEqual(['repo', 'digest', 'type'])
    const types = schema.types.map((t) => t.name)
    for (const type of [
      'PaginatedImagesResult',
      'GlobalSearchResult',
      'Referrer',
      'CVEResultForImage',
      'CVEDiffResult',
    ])
      expect(types).toContain(type)
  })

  test('images of a repository and of all, sorted as asked', async () => {
    const data = expectShape(await zliGet(zli.images('library/busybox', 'ALPHABETIC_ASC')))
    const [busybox] = data.ImageList.Results
    expect(busybox).toMatchObject({
      RepoName: 'library/busybox',
      Tag: 'latest',
      MediaType: 'application/vnd.oci.image.index.v1+json',
    })
    const all = expectShape(await zliGet(zli.images('', 'ALPHABETIC_DSC')))
    expect(all.ImageList.Results.map((r: { RepoName: string }) => r.RepoName)).toEqual([
      'team/app',
      'library/busybox',
      'library/alpine',
    ])
    const newest = expectShape(await zliGet(zli.images('', 'UPDATE_TIME')))
    expect(newest.ImageList.Results[0].RepoName).toBe('team/app')
  })

  test('images containing a digest: a shared layer finds both images', async () => {
    const data = expectShape(await zliGet(zli.imagesForDigest(alpine.layers[0]!, 'RELEVANCE')))
    expect(data.ImageListForDigest.Results.map((r: { RepoName: string }) => r.RepoName)).toEqual([
      'library/alpine',
      'team/app',
    ])
  })

  test('derived and base images, referrers, global search', async () => {
    expect(
      expectShape(await zliGet(zli.derived('library/alpine:3.19', 'UPDATE_TIME'))).DerivedImageList.Results[0].Digest,
    ).toBe(derived.digest)
    expect(expectShape(await zliGet(zli.base('team/app:v1', 'ALPHABETIC_ASC'))).BaseImageList.Results[0].Digest).toBe(
      alpine.digest,
    )
    expect(expectShape(await zliGet(zli.referrers('library/alpine', alpine.digest))).Referrers).toHaveLength(2)
    const search = expectShape(await zliGet(zli.globalSearch('app', 'RELEVANCE')))
    expect(search.GlobalSearch.Repos.map((r: { Name: string }) => r.Name)).toEqual(['team/app'])
    const tags = expectShape(await zliGet(zli.globalSearch('library/busybox:lat', 'RELEVANCE')))
    expect(tags.GlobalSearch.Images.map((i: { Manifests: unknown[] }) => i.Manifests.length)).toEqual([2])
  })

  test('CVE commands get zot\'s "cve search is disabled"', async () => {
    const answer = await zliGet(zli.cveForImage('library/alpine:3.19', '', 'SEVERITY'))
    expect(answer.body.errors?.[0]?.message).toBe('cve search is disabled')
  })
})
