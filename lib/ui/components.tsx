/** @jsxImportSource hono/jsx */
/**
 * @module
 * Pieces shared by the UI's pages: repository cards, badges, pull commands, the pager.
 */
import type { FC, PropsWithChildren } from 'hono/jsx'
import { counted, distinctPlatforms, formatSize, formatTime, shortDigest } from './format'
import type { RepoCard } from './queries'

const segments = (repository: string): string => repository.split('/').map(encodeURIComponent).join('/')

/** The repository page of `repository` (names keep their slashes). */
export const repositoryHref = (repository: string): string => `/image/${segments(repository)}`

/** The image page of a tag, optionally on one manifest of its index. */
export const tagHref = (repository: string, tag: string, digest?: string): string =>
  `/image/${segments(repository)}/tag/${encodeURIComponent(tag)}${digest ? `?digest=${encodeURIComponent(digest)}` : ''}`

/** The raw JSON view of a manifest (and its config). */
export const manifestHref = (repository: string, digest: string): string =>
  `/image/${segments(repository)}/manifest/${encodeURIComponent(digest)}`

export const SignedBadge: FC<{ signed: boolean | null | undefined }> = ({ signed }) =>
  signed ? <span class="badge signed">signed</span> : <span class="badge unsigned">not signed</span>

export const CachedBadge: FC<{ upstream: string | undefined }> = ({ upstream }) =>
  upstream ? (
    <span class="badge cached" title={`Pulled through from ${upstream}`}>
      cached from {upstream}
    </span>
  ) : null

export const PlatformBadges: FC<{ platforms: string[] }> = ({ platforms }) => (
  <>
    {platforms.map((platform) => (
      <span class="badge">{platform}</span>
    ))}
  </>
)

export interface CardContext {
  upstreamOf(repository: string): string | undefined
}

export const RepoCardItem: FC<{ repo: RepoCard; context: CardContext }> = ({ repo, context }) => {
  const newest = repo.NewestImage
  return (
    <li>
      <div class="card-head">
        <a href={repositoryHref(repo.Name)}>{repo.Name}</a>
        <span>
          <SignedBadge signed={newest?.IsSigned} />
          <CachedBadge upstream={context.upstreamOf(repo.Name)} />
          {repo.IsStarred && <span class="badge">★ starred</span>}
        </span>
      </div>
      {(newest?.Description || newest?.Title) && <p>{newest.Description || newest.Title}</p>}
      <PlatformBadges platforms={distinctPlatforms(repo.Platforms ?? [])} />
      <p class="facts">
        {newest?.Tag && <span>newest tag {newest.Tag}</span>}
        {repo.LastUpdated && <span>updated {formatTime(repo.LastUpdated)}</span>}
        {repo.Size && <span>{formatSize(repo.Size)}</span>}
        <span>{counted(repo.DownloadCount, 'download')}</span>
        <span>{counted(repo.StarCount, 'star')}</span>
        {newest?.Vendor && <span>by {newest.Vendor}</span>}
      </p>
    </li>
  )
}

export const RepoList: FC<{ repos: RepoCard[]; context: CardContext; empty: string }> = ({ repos, context, empty }) =>
  repos.length === 0 ? (
    <p class="muted">{empty}</p>
  ) : (
    <ul class="cards">
      {repos.map((repo) => (
        <RepoCardItem repo={repo} context={context} />
      ))}
    </ul>
  )

/** Where and how clients reach this registry. */
export interface RegistryAddress {
  /** host[:port] as clients write it in image references. */
  host: string
  /** Served over plain HTTP: clients need their insecure-registry switch. */
  plainHttp: boolean
}

const PULLERS: { tool: string; command: (reference: string, plainHttp: boolean) => string }[] = [
  { tool: 'docker', command: (reference) => `docker pull ${reference}` },
  { tool: 'podman', command: (reference, plain) => `podman pull ${plain ? '--tls-verify=false ' : ''}${reference}` },
  { tool: 'nerdctl', command: (reference, plain) => `nerdctl pull ${plain ? '--insecure-registry ' : ''}${reference}` },
  { tool: 'ctr', command: (reference, plain) => `ctr images pull ${plain ? '--plain-http ' : ''}${reference}` },
]

/** Copyable pull commands for `name` (`repo:tag`), and by digest when `digest` is given. */
export const PullCommands: FC<{ address: RegistryAddress; name: string; digest?: string | null }> = ({
  address,
  name,
  digest,
}) => {
  const rows = PULLERS.map(({ tool, command }) => ({
    label: tool,
    text: command(`${address.host}/${name}`, address.plainHttp),
  }))
  if (digest) {
    const repository = name.slice(0, name.lastIndexOf(':'))
    rows.push({ label: 'by digest', text: `docker pull ${address.host}/${repository}@${digest}` })
  }
  return (
    <div>
      {rows.map(({ label, text }, index) => {
        const elementId = `pull-${index}`
        return (
          <div class="pull">
            <span class="tool">{label}</span>
            <code id={elementId}>{text}</code>
            <button type="button" data-copy={elementId} hidden aria-label={`Copy the ${label} command`}>
              Copy
            </button>
          </div>
        )
      })}
    </div>
  )
}

/** Previous/next links for a page of `size` results out of `total`; `hrefFor(page)` builds a link. */
export const Pager: FC<{ page: number; size: number; total: number; hrefFor: (page: number) => string }> = ({
  page,
  size,
  total,
  hrefFor,
}) => {
  const pages = Math.max(1, Math.ceil(total / size))
  if (pages <= 1) return null
  return (
    <nav class="pages" aria-label="Pages">
      {page > 1 ? <a href={hrefFor(page - 1)}>← Previous</a> : <span class="muted">← Previous</span>}
      <span>
        Page {page} of {pages}
      </span>
      {page < pages ? <a href={hrefFor(page + 1)}>Next →</a> : <span class="muted">Next →</span>}
    </nav>
  )
}

/** A digest cut short, the whole of it in a tooltip and for screen readers. */
export const shortDigestCell = (digest: string | null | undefined) =>
  digest ? (
    <code class="digest" title={digest}>
      {shortDigest(digest)}
    </code>
  ) : null

/** A table that scrolls sideways on narrow screens; an empty header names an actions column. */
export const DataTable: FC<PropsWithChildren<{ id?: string; headers: string[] }>> = ({ id, headers, children }) => (
  <div class="scroll">
    <table id={id}>
      <thead>
        <tr>
          {headers.map((header) => (
            <th>{header || <span class="skip">Actions</span>}</th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
)
