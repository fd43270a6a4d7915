/**
 * @module
 * The queries answering with images (a repository and a tag): ImageList, ImageListForDigest,
 * GlobalSearch's tag and digest searches, DerivedImageList and BaseImageList.
 */
import type { CatalogView } from '../catalog-view'
import type { ManifestMeta } from '../index/manifest-meta'
import type { Repository, TaggedImage } from '../index/repository'
import type { Viewer } from '../viewer'
import { imageAccepted, type Filter } from './filter'
import { byText, newestFirst, paginate, type Compare, type PageInput, type SortCriteria } from './page'
import { imageObject } from './summaries'

/** An image of a result, possibly narrowed to the manifests of an index that matched. */
export interface Found {
  repository: Repository
  image: TaggedImage
}

const byRepositoryAndTag: Compare<Found> = (a, b) =>
  byText(a.repository.name, b.repository.name) || byText(a.image.tag, b.image.tag)

/** Candidates arrive by repository and tag (the index's order); sorting is stable, as above. */
const IMAGE_SORTS: Partial<Record<SortCriteria, Compare<Found>>> = {
  ALPHABETIC_ASC: () => 0,
  ALPHABETIC_DSC: (a, b) => byRepositoryAndTag(b, a),
  RELEVANCE: () => 0,
  UPDATE_TIME: (a, b) => newestFirst(a.image.lastUpdated, b.image.lastUpdated),
  DOWNLOADS: (a, b) =>
    (b.repository.stats.manifests.get(b.image.digest)?.pullCount ?? 0) -
    (a.repository.stats.manifests.get(a.image.digest)?.pullCount ?? 0),
}

export function imagePage(viewer: Viewer, found: Found[], page: PageInput | null | undefined, fallback: SortCriteria) {
  const { items, info } = paginate(found, page, fallback, IMAGE_SORTS)
  return { Page: info, Results: items.map(({ repository, image }) => imageObject(repository, image, viewer)) }
}

/**
 * Every image of the readable repositories (or of the one named `only`) that `accept` takes,
 * and the filter, if any.
 */
export async function findImages(
  view: CatalogView,
  viewer: Viewer,
  accept: (repository: Repository, image: TaggedImage) => TaggedImage | undefined,
  filter: Filter = {},
  only?: string,
): Promise<Found[]> {
  const found: Found[] = []
  const single = only === undefined ? undefined : await view.readable(viewer, only)
  const repositories =
    only === undefined ? (await view.visible(viewer)).map((entry) => entry.current) : single ? [single] : []
  for (const repository of repositories) {
    for (const candidate of repository.images) {
      const image = accept(repository, candidate)
      if (image && imageAccepted(repository, image, filter, viewer, view.marks)) found.push({ repository, image })
    }
  }
  return found
}

const containsDigest = (manifest: ManifestMeta, digest: string): boolean =>
  manifest.digest.includes(digest) ||
  manifest.configDigest.includes(digest) ||
  manifest.layers.some((layer) => layer.digest.includes(digest))

/**
 * zot's FilterByDigest: the image's own digest, or one of its manifests, configs or layers
 * containing the searched digest; an index keeps only its matching manifests.
 */
export function matchDigest(digest: string) {
  return (_repository: Repository, image: TaggedImage): TaggedImage | undefined => {
    if (image.digest === digest) return image
    const manifests = image.manifests.filter((manifest) => containsDigest(manifest, digest))
    if (manifests.length === 0) return undefined
    return manifests.length === image.manifests.length ? image : { ...image, manifests }
  }
}

/** Whether `base`'s layers start `derived`'s (and they are different manifests). */
function buildsOn(base: ManifestMeta, derived: ManifestMeta): boolean {
  if (base.digest === derived.digest) return false
  if (base.layers.length === 0 || base.layers.length > derived.layers.length) return false
  return base.layers.every((layer, i) => layer.digest === derived.layers[i]!.digest)
}

/** DerivedImageList (`direction` derived) and BaseImageList (`direction` base) for one image. */
export function related(of: ManifestMeta[], direction: 'derived' | 'base') {
  return (_repository: Repository, image: TaggedImage): TaggedImage | undefined => {
    const first = image.manifests[0]
    if (!first) return undefined
    const matches = of.some((manifest) =>
      direction === 'derived' ? buildsOn(manifest, first) : buildsOn(first, manifest),
    )
    return matches ? image : undefined
  }
}
