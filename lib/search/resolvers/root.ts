/**
 * @module
 * zot's Query resolvers (its `schema.resolvers.go` and `resolver.go`) over the search index.
 * Where zot answers a repository the user cannot read differently from one that does not exist
 * (an empty object instead of an error), both get the same answer here, so a query cannot probe
 * for hidden names.
 */
import { GraphQLError } from 'graphql'
import type { CatalogView } from '../catalog-view'
import type { TaggedImage } from '../index/repository'
import type { Viewer } from '../viewer'
import { cleanFilter, type FilterInput } from './filter'
import { findImages, imagePage, matchDigest, related } from './images'
import { checkPage, newestFirst, type PageInput } from './page'
import { listRepositories, searchRepositories } from './repositories'
import { imageObject, referrerObject, repoObject } from './summaries'

/** zot's limit on GlobalSearch's query and each filter value. */
const QUERY_SIZE_LIMIT = 256
const INVALID_PARAMS = 'request parameter has invalid value'
/** zot's error for every CVE query when no scanner runs (this build has none). */
export const CVE_DISABLED = 'cve search is disabled'

const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/

type Paged = { requestedPage?: PageInput | null }

/** zot's GetImageDirAndTag: `repo:tag`, split at the first colon. */
function splitImage(image: string): { repository: string; tag: string } {
  const colon = image.indexOf(':')
  return colon < 0 ? { repository: image, tag: '' } : { repository: image.slice(0, colon), tag: image.slice(colon + 1) }
}

function checkGlobalSearch(query: string, filter: FilterInput | null | undefined, page: PageInput | null | undefined) {
  const tooLong = (what: string, value: string) =>
    new GraphQLError(
      `max string size limit exceeded for ${what} parameter. max=${QUERY_SIZE_LIMIT} current=${value.length} ${INVALID_PARAMS}`,
    )
  if (query.length > QUERY_SIZE_LIMIT) throw tooLong('query', query)
  for (const arch of filter?.Arch ?? []) if ((arch ?? '').length > QUERY_SIZE_LIMIT) throw tooLong('arch', arch ?? '')
  for (const os of filter?.Os ?? []) if ((os ?? '').length > QUERY_SIZE_LIMIT) throw tooLong('os', os ?? '')
  if ((page?.limit ?? 0) < 0)
    throw new GraphQLError(`requested page limit parameter can't be negative ${INVALID_PARAMS}`)
  if ((page?.offset ?? 0) < 0)
    throw new GraphQLError(`requested page offset parameter can't be negative ${INVALID_PARAMS}`)
}

const cleanQuery = (query: string): string =>
  query
    .trim()
    .replace(/^\/+|\/+$/g, '')
    .toLowerCase()

export function rootResolvers(view: CatalogView) {
  return (viewer: Viewer) => {
    /** The tagged image `repo:tag` (narrowed to `digest` when given), or zot's not-found error. */
    const imageAt = async (image: string, digest?: string | null) => {
      const { repository: name, tag } = splitImage(image)
      if (tag === '') throw new GraphQLError('no reference provided')
      const repository = await view.readable(viewer, name)
      if (!repository) throw new GraphQLError('repo metadata not found for given repo name')
      const found = repository.tags.get(tag)
      if (!found) throw new GraphQLError(`can't find image: ${name}:${tag}`)
      if (!digest || digest === found.digest) return { repository, image: found }
      const manifest = repository.manifests.get(digest)
      if (!manifest) throw new GraphQLError(`can't find image: ${name}:${tag}`)
      const narrowed: TaggedImage = { ...found, digest, meta: manifest, manifests: [manifest] }
      return { repository, image: narrowed }
    }
    const cveDisabled = () => {
      throw new GraphQLError(CVE_DISABLED)
    }

    return {
      CVEListForImage: cveDisabled,
      CVEDiffListForImages: cveDisabled,
      ImageListForCVE: cveDisabled,
      ImageListWithCVEFixed: cveDisabled,

      RepoListWithNewestImage: ({ requestedPage }: Paged) => listRepositories(view, viewer, requestedPage),
      StarredRepos: ({ requestedPage }: Paged) => listRepositories(view, viewer, requestedPage, 'star'),
      BookmarkedRepos: ({ requestedPage }: Paged) => listRepositories(view, viewer, requestedPage, 'bookmark'),

      async ImageList({ repo, requestedPage }: Paged & { repo: string }) {
        checkPage(requestedPage)
        const found = await findImages(view, viewer, (_repository, image) => image, {}, repo === '' ? undefined : repo)
        return imagePage(viewer, found, requestedPage, 'RELEVANCE')
      },

      async ImageListForDigest({ id, requestedPage }: Paged & { id: string }) {
        checkPage(requestedPage)
        return imagePage(viewer, await findImages(view, viewer, matchDigest(id)), requestedPage, 'RELEVANCE')
      },

      async ExpandedRepoInfo({ repo }: { repo: string }) {
        const repository = await view.readable(viewer, repo)
        if (!repository || repository.images.length === 0) {
          throw new GraphQLError('repo metadata not found for given repo name')
        }
        const images = [...repository.images].sort((a, b) => newestFirst(a.lastUpdated, b.lastUpdated))
        return {
          Summary: repoObject(repository, viewer, view.marks),
          Images: images.map((image) => imageObject(repository, image, viewer)),
        }
      },

      async GlobalSearch(args: Paged & { query: string; filter?: FilterInput | null }) {
        checkGlobalSearch(args.query, args.filter, args.requestedPage)
        const query = cleanQuery(args.query)
        const filter = cleanFilter(args.filter)
        const page = args.requestedPage
        const images = async (accept: Parameters<typeof findImages>[2], only?: string) => {
          const found = await findImages(view, viewer, accept, filter, only)
          const { Page, Results } = imagePage(viewer, found, page, 'RELEVANCE')
          return { Page, Images: Results, Repos: null, Layers: [] }
        }
        if (!/[:@]/.test(query)) {
          const { Page, Results } = await searchRepositories(view, viewer, query, filter, page)
          return { Page, Repos: Results, Images: [], Layers: [] }
        }
        if (query.startsWith('sha256:')) return images(matchDigest(query))
        const colon = query.indexOf(':')
        if (colon > 0) {
          const [repo, tag, ...rest] = query.split(':')
          if (rest.length > 0) {
            throw new GraphQLError(
              'failed to parse search text, invalid format invalid image reference format, use [repo:tag] or [repo@digest]',
            )
          }
          return images((_repository, image) => (image.tag.startsWith(tag!) ? image : undefined), repo)
        }
        if (colon === 0 && query.length > 1) {
          const wanted = query.slice(1)
          return images((_repository, image) => (image.tag.toLowerCase().includes(wanted) ? image : undefined))
        }
        throw new GraphQLError('invalid search query')
      },

      async DerivedImageList(args: Paged & { image: string; digest?: string | null }) {
        const { image } = await imageAt(args.image, args.digest)
        const found = await findImages(view, viewer, related(image.manifests, 'derived'))
        return imagePage(viewer, found, args.requestedPage, 'UPDATE_TIME')
      },

      async BaseImageList(args: Paged & { image: string; digest?: string | null }) {
        const { image } = await imageAt(args.image, args.digest)
        const found = await findImages(view, viewer, related(image.manifests, 'base'))
        return imagePage(viewer, found, args.requestedPage, 'UPDATE_TIME')
      },

      async Image({ image }: { image: string }) {
        const found = await imageAt(image)
        return imageObject(found.repository, found.image, viewer)
      },

      async Referrers(args: { repo: string; digest: string; type?: string[] | null }) {
        if (!DIGEST.test(args.digest)) {
          throw new GraphQLError(`bad digest string from request '${args.digest}' invalid checksum digest format`)
        }
        const repository = await view.readable(viewer, args.repo)
        const types = args.type ?? []
        return (
          (repository?.referrers.get(args.digest) ?? [])
            // zot: an empty type (zui sends `type: ""`) matches every referrer.
            .filter(
              (referrer) => types.length === 0 || types.some((type) => type === '' || type === referrer.artifactType),
            )
            .map(referrerObject)
        )
      },
    }
  }
}
