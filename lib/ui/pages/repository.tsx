/** @jsxImportSource hono/jsx */
/**
 * @module
 * A repository: its description (from the newest image's `org.opencontainers.image.*`
 * annotations), pull commands, star and bookmark, and every tag with digest, platforms, size,
 * update time and signature, deletable by users the policy lets delete.
 */
import type { FC } from 'hono/jsx'
import {
  CachedBadge,
  DataTable,
  Pager,
  PlatformBadges,
  PullCommands,
  repositoryHref,
  type RegistryAddress,
  SignedBadge,
  shortDigestCell,
  tagHref,
} from '../components'
import { counted, distinctPlatforms, formatSize, formatTime } from '../format'
import { CsrfField, Layout, type Viewer } from '../layout'
import type { Annotated, RepositoryResult, TagRow } from '../queries'

export const ACTION_PATHS = {
  star: '/ui/actions/star',
  bookmark: '/ui/actions/bookmark',
  deleteTag: '/ui/actions/delete-tag',
} as const

export interface RepositoryProps {
  viewer: Viewer
  name: string
  here: string
  info: RepositoryResult['ExpandedRepoInfo']
  address: RegistryAddress
  upstream: string | undefined
  /** The page of the tag list (TAGS_PER_PAGE tags each, newest first). */
  page: number
}

export const TAGS_PER_PAGE = 50

const Toggle: FC<{
  viewer: Viewer
  action: string
  repository: string
  here: string
  on: boolean
  labels: [string, string]
}> = ({ viewer, action, repository, here, on, labels }) => (
  <form method="post" action={action}>
    <CsrfField viewer={viewer} />
    <input type="hidden" name="repo" value={repository} />
    <input type="hidden" name="next" value={here} />
    <button type="submit" class={on ? '' : 'plain'} aria-pressed={on ? 'true' : 'false'}>
      {on ? labels[1] : labels[0]}
    </button>
  </form>
)

/** The `org.opencontainers.image.*` facts an image carries, as a definition list. */
export const Annotations: FC<{ image: Annotated | null | undefined }> = ({ image }) => {
  if (!image) return null
  const rows: [string, string | null, boolean][] = [
    ['Title', image.Title, false],
    ['Description', image.Description, false],
    ['Source', image.Source, true],
    ['Documentation', image.Documentation, true],
    ['Licenses', image.Licenses, false],
    ['Vendor', image.Vendor, false],
    ['Authors', image.Authors, false],
  ]
  const present = rows.filter(([, value]) => value)
  if (present.length === 0) return <p class="muted">No org.opencontainers.image annotations.</p>
  return (
    <dl class="meta">
      {present.map(([label, value, link]) => (
        <>
          <dt>{label}</dt>
          <dd>{link && /^https?:\/\//.test(value ?? '') ? <a href={value ?? ''}>{value}</a> : value}</dd>
        </>
      ))}
    </dl>
  )
}

const TagTableRow: FC<{ viewer: Viewer; name: string; here: string; row: TagRow }> = ({ viewer, name, here, row }) => (
  <tr>
    <td>
      <a href={tagHref(name, row.Tag)}>{row.Tag}</a>
    </td>
    <td>{shortDigestCell(row.Digest)}</td>
    <td>
      <PlatformBadges platforms={distinctPlatforms((row.Manifests ?? []).map((manifest) => manifest.Platform))} />
    </td>
    <td>{formatSize(row.Size)}</td>
    <td>{formatTime(row.LastUpdated)}</td>
    <td>
      <SignedBadge signed={row.IsSigned} />
    </td>
    <td>
      {row.IsDeletable && viewer.username !== '' && (
        <form method="post" action={ACTION_PATHS.deleteTag} data-confirm={`Delete ${name}:${row.Tag}?`}>
          <CsrfField viewer={viewer} />
          <input type="hidden" name="repo" value={name} />
          <input type="hidden" name="tag" value={row.Tag} />
          <input type="hidden" name="next" value={here} />
          <button type="submit" class="danger" aria-label={`Delete tag ${row.Tag}`}>
            Delete
          </button>
        </form>
      )}
    </td>
  </tr>
)

export const RepositoryPage: FC<RepositoryProps> = ({ viewer, name, here, info, address, upstream, page }) => {
  const summary = info.Summary
  const tags = [...(info.Images ?? [])].sort((a, b) => (b.LastUpdated ?? '').localeCompare(a.LastUpdated ?? ''))
  const newest = summary?.NewestImage
  const pullTag = newest?.Tag ?? tags[0]?.Tag
  return (
    <Layout title={name} viewer={viewer} here={here}>
      <div class="actions">
        <CachedBadge upstream={upstream} />
        <span class="muted">
          {counted(summary?.StarCount, 'star')} · {counted(summary?.DownloadCount, 'download')}
          {summary?.LastUpdated && ` · updated ${formatTime(summary.LastUpdated)}`}
          {summary?.Size && ` · ${formatSize(summary.Size)}`}
        </span>
        {viewer.username !== '' && (
          <>
            <Toggle
              viewer={viewer}
              action={ACTION_PATHS.star}
              repository={name}
              here={here}
              on={summary?.IsStarred === true}
              labels={['☆ Star', '★ Starred']}
            />
            <Toggle
              viewer={viewer}
              action={ACTION_PATHS.bookmark}
              repository={name}
              here={here}
              on={summary?.IsBookmarked === true}
              labels={['Bookmark', 'Bookmarked']}
            />
          </>
        )}
      </div>
      <section aria-labelledby="about">
        <h2 id="about">About</h2>
        <Annotations image={newest} />
      </section>
      {pullTag && (
        <section aria-labelledby="pull">
          <h2 id="pull">Pull</h2>
          <PullCommands address={address} name={`${name}:${pullTag}`} />
        </section>
      )}
      <h2>Tags</h2>
      {tags.length === 0 ? (
        <p class="muted">No tags.</p>
      ) : (
        <DataTable id="tags" headers={['Tag', 'Digest', 'Platforms', 'Size', 'Last updated', 'Signature', '']}>
          {tags.slice((page - 1) * TAGS_PER_PAGE, page * TAGS_PER_PAGE).map((row) => (
            <TagTableRow viewer={viewer} name={name} here={here} row={row} />
          ))}
        </DataTable>
      )}
      <Pager
        page={page}
        size={TAGS_PER_PAGE}
        total={tags.length}
        hrefFor={(number) => `${repositoryHref(name)}${number > 1 ? `?page=${number}` : ''}`}
      />
    </Layout>
  )
}
