/** @jsxImportSource hono/jsx */
/**
 * @module
 * Home (recently updated, most downloaded, the viewer's stars) and Explore (search with filters
 * and pages). Filters are a plain GET form, so results have shareable URLs and need no script.
 */
import type { FC } from 'hono/jsx'
import { type CardContext, Pager, RepoList, repositoryHref, SignedBadge, tagHref } from '../components'
import { formatPlatform, formatSize, formatTime } from '../format'
import { Layout, PATHS, type Viewer } from '../layout'
import type { ExploreResult, HomeResult, SortCriteria } from '../queries'

export interface HomeProps {
  viewer: Viewer
  context: CardContext
  data: HomeResult
}

export const HomePage: FC<HomeProps> = ({ viewer, context, data }) => {
  const total = data.Recent.Page?.TotalCount ?? 0
  return (
    <Layout title="Repositories" viewer={viewer} here={PATHS.home}>
      <p>
        {total} {total === 1 ? 'repository' : 'repositories'} you can read. <a href={PATHS.explore}>Explore all</a>
      </p>
      {data.Starred && (
        <section aria-labelledby="starred">
          <h2 id="starred">Your stars</h2>
          <RepoList repos={data.Starred.Results} context={context} empty="You have not starred a repository yet." />
        </section>
      )}
      <div class="columns">
        <section aria-labelledby="recent">
          <h2 id="recent">Recently updated</h2>
          <RepoList repos={data.Recent.Repos ?? []} context={context} empty="Nothing pushed yet." />
        </section>
        <section aria-labelledby="popular">
          <h2 id="popular">Most downloaded</h2>
          <RepoList repos={data.Popular.Repos ?? []} context={context} empty="Nothing pushed yet." />
        </section>
      </div>
    </Layout>
  )
}

export const OS_CHOICES = ['linux', 'windows', 'darwin', 'freebsd']
export const ARCH_CHOICES = ['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64']
export const SORT_CHOICES: { value: SortCriteria; label: string }[] = [
  { value: 'RELEVANCE', label: 'Relevance' },
  { value: 'UPDATE_TIME', label: 'Recently updated' },
  { value: 'DOWNLOADS', label: 'Most downloaded' },
  { value: 'STARS', label: 'Most starred' },
  { value: 'ALPHABETIC_ASC', label: 'Name A–Z' },
  { value: 'ALPHABETIC_DSC', label: 'Name Z–A' },
]

/** The explore form's state, parsed from the query string. */
export interface ExploreQuery {
  text: string
  os: string[]
  arch: string[]
  signed: boolean
  starred: boolean
  bookmarked: boolean
  sort: SortCriteria
  page: number
}

export interface ExploreProps {
  viewer: Viewer
  context: CardContext
  query: ExploreQuery
  pageSize: number
  data: ExploreResult
  /** The explore URL of the same search on another page. */
  hrefFor: (page: number) => string
}

const Check: FC<{ name: string; value: string; checked: boolean; label: string }> = ({
  name,
  value,
  checked,
  label,
}) => (
  <label>
    <input type="checkbox" name={name} value={value} checked={checked} /> {label}
  </label>
)

const Filters: FC<{ query: ExploreQuery; viewer: Viewer }> = ({ query, viewer }) => (
  <form method="get" action={PATHS.explore} aria-label="Filters">
    <input type="hidden" name="q" value={query.text} />
    <label>
      Sort by
      <br />
      <select name="sort">
        {SORT_CHOICES.map((choice) => (
          <option value={choice.value} selected={choice.value === query.sort}>
            {choice.label}
          </option>
        ))}
      </select>
    </label>
    <fieldset>
      <legend>Operating system</legend>
      {OS_CHOICES.map((os) => (
        <Check name="os" value={os} checked={query.os.includes(os)} label={os} />
      ))}
    </fieldset>
    <fieldset>
      <legend>Architecture</legend>
      {ARCH_CHOICES.map((arch) => (
        <Check name="arch" value={arch} checked={query.arch.includes(arch)} label={arch} />
      ))}
    </fieldset>
    <fieldset>
      <legend>Only</legend>
      <Check name="signed" value="1" checked={query.signed} label="Signed images" />
      {viewer.username !== '' && <Check name="starred" value="1" checked={query.starred} label="Starred by me" />}
      {viewer.username !== '' && (
        <Check name="bookmarked" value="1" checked={query.bookmarked} label="Bookmarked by me" />
      )}
    </fieldset>
    <button type="submit">Apply filters</button>
  </form>
)

export const ExplorePage: FC<ExploreProps> = ({ viewer, context, query, pageSize, data, hrefFor }) => {
  const result = data.GlobalSearch
  const total = result.Page?.TotalCount ?? 0
  const images = result.Images ?? []
  const title = query.text ? `Search: ${query.text}` : 'Explore'
  return (
    <Layout title={title} viewer={viewer} query={query.text} here={hrefFor(query.page)}>
      <div class="layout">
        <aside>
          <Filters query={query} viewer={viewer} />
        </aside>
        <section aria-labelledby="results">
          <h2 id="results">
            {total} {total === 1 ? 'result' : 'results'}
          </h2>
          {images.length > 0 ? (
            <ul class="cards">
              {images.map((image) => (
                <li>
                  <div class="card-head">
                    <a href={tagHref(image.RepoName ?? '', image.Tag ?? '')}>
                      {image.RepoName}:{image.Tag}
                    </a>
                    <SignedBadge signed={image.IsSigned} />
                  </div>
                  {image.Description && <p>{image.Description}</p>}
                  <p class="facts">
                    <span>
                      in <a href={repositoryHref(image.RepoName ?? '')}>{image.RepoName}</a>
                    </span>
                    {(image.Manifests ?? [])
                      .map((manifest) => formatPlatform(manifest.Platform))
                      .filter(Boolean)
                      .join(', ')}
                    {image.LastUpdated && <span>updated {formatTime(image.LastUpdated)}</span>}
                    {image.Size && <span>{formatSize(image.Size)}</span>}
                  </p>
                </li>
              ))}
            </ul>
          ) : (
            <RepoList repos={result.Repos ?? []} context={context} empty="No repository matches." />
          )}
          <Pager page={query.page} size={pageSize} total={total} hrefFor={hrefFor} />
        </section>
      </div>
    </Layout>
  )
}
