/**
 * @module
 * zot's `Filter` input: platforms (OS and architecture, case-insensitive, any platform of the
 * image or repository), signed, starred and bookmarked. Applied to repositories as zot's
 * `RepoSumAcceptedByFilter`; to images as `ImgSumAcceptedByFilter`, plus the starred and
 * bookmarked conditions (on the image's repository), which zot ignores for images.
 */
import type { PlatformMeta } from '../index/manifest-meta'
import { isSigned, type Repository, type TaggedImage } from '../index/repository'
import type { UserMarks } from '../user-marks'
import type { Viewer } from '../viewer'

export interface FilterInput {
  Os?: (string | null)[] | null
  Arch?: (string | null)[] | null
  HasToBeSigned?: boolean | null
  IsBookmarked?: boolean | null
  IsStarred?: boolean | null
}

export interface Filter {
  os?: string[]
  arch?: string[]
  signed?: boolean
  bookmarked?: boolean
  starred?: boolean
}

const clean = (values: (string | null)[] | null | undefined): string[] | undefined =>
  values ? values.map((value) => (value ?? '').trim().toLowerCase()).filter(Boolean) : undefined

export function cleanFilter(input: FilterInput | null | undefined): Filter {
  if (!input) return {}
  const os = clean(input.Os)
  const arch = clean(input.Arch)
  return {
    ...(os && { os }),
    ...(arch && { arch }),
    ...(typeof input.HasToBeSigned === 'boolean' && { signed: input.HasToBeSigned }),
    ...(typeof input.IsBookmarked === 'boolean' && { bookmarked: input.IsBookmarked }),
    ...(typeof input.IsStarred === 'boolean' && { starred: input.IsStarred }),
  }
}

function platformsAccepted(platforms: PlatformMeta[], filter: Filter): boolean {
  if (platforms.length === 0) return filter.os === undefined && filter.arch === undefined
  return platforms.some(
    (platform) =>
      (!filter.os?.length || filter.os.includes(platform.os.toLowerCase())) &&
      (!filter.arch?.length || filter.arch.includes(platform.arch.toLowerCase())),
  )
}

function marksAccepted(repository: string, filter: Filter, viewer: Viewer, marks: UserMarks): boolean {
  if (filter.bookmarked !== undefined && filter.bookmarked !== marks.has(viewer.username, repository, 'bookmark'))
    return false
  return filter.starred === undefined || filter.starred === marks.has(viewer.username, repository, 'star')
}

export function repositoryAccepted(repository: Repository, filter: Filter, viewer: Viewer, marks: UserMarks): boolean {
  if (filter.signed && !(repository.newest && isSigned(repository, repository.newest.digest))) return false
  if (!marksAccepted(repository.name, filter, viewer, marks)) return false
  return platformsAccepted(repository.platforms, filter)
}

export function imageAccepted(
  repository: Repository,
  image: TaggedImage,
  filter: Filter,
  viewer: Viewer,
  marks: UserMarks,
): boolean {
  if (filter.signed && !isSigned(repository, image.digest)) return false
  if (!marksAccepted(repository.name, filter, viewer, marks)) return false
  return platformsAccepted(image.platforms, filter)
}
