/** @jsxImportSource hono/jsx */
/**
 * @module
 * The web UI (`extensions.ui`): home, explore, repository, image and raw-manifest pages, the
 * sign-in page, instant-search suggestions, and the star, bookmark and delete-tag forms.
 *
 * Pages read through `runSearch` as the visitor (their session cookie counts here, see
 * ui-auth.ts) and never show what the visitor may not read: a hidden repository answers like a
 * missing one. Forms change state only through the registry's own endpoints (`loopback`), with
 * the visitor's credentials and zui's header, so the same policy decides as for zui; each form
 * carries a CSRF token and passes the same-origin check first.
 */
import { Hono, type Context } from 'hono'
import type { UiAuth } from '../auth/users/ui-auth'
import { nextPath } from '../auth/users/user-page-routes'
import { trustedOriginsOf } from '../auth/openid/callback-ui'
import { sameOrigin } from '../auth/sessions/same-origin'
import { UI_CLIENT_HEADER, UI_CLIENT_VALUE } from '../auth/sessions/ui-client'
import type { AppEnv, Principal } from '../http/context'
import { readLimitedBody } from '../http/read-body'
import { isValidRepositoryName, isValidTag } from '../oci/names'
import type { Registry } from '../registry/registry'
import { assetRoutes } from './assets/asset-routes'
import { repositoryHref, type RegistryAddress, tagHref } from './components'
import { htmlDocument, PATHS, type Viewer } from './layout'
import { ExplorePage, type ExploreQuery, HomePage, SORT_CHOICES } from './pages/explore'
import { ImagePage } from './pages/image'
import { ManifestPage } from './pages/manifest'
import { MessagePage } from './pages/message'
import { ACTION_PATHS, RepositoryPage } from './pages/repository'
import { SignInPage } from './pages/sign-in'
import {
  EXPLORE,
  type ExploreResult,
  HOME,
  type HomeResult,
  IMAGE,
  type ImageResult,
  REPOSITORY,
  type RepositoryResult,
  type SearchFilter,
  SUGGEST,
  type SuggestResult,
} from './queries'
import { searchFor } from './search-client'
import { pageSecurityHeaders } from './security-headers'
import type { UpstreamOf } from './upstreams'

export interface UiOptions {
  /** Sign-in and sessions; absent when nobody can log in (everybody browses anonymously). */
  auth?: UiAuth
  /** The repositories a principal may read (the catalog's filter). */
  readable(principal: Principal | undefined, repositories: readonly string[]): string[]
  /** Raw manifests and configs are read from it directly (reading them is no download). */
  registry: Registry
  upstreamOf: UpstreamOf
  /** `http.externalUrl`: the host clients pull from, and an origin forms may come from. */
  externalUrl?: string
  /** The whole registry app: the forms' changes go through its endpoints and policy. */
  loopback(request: Request): Promise<Response>
}

const HOME_SIZE = 6
const EXPLORE_SIZE = 10
const FORM_LIMIT = 4 * 1024
const MAX_TEXT = 200
/** Raw views refuse bigger manifests and configs (real ones are a few KB). */
const RAW_LIMIT = 1024 * 1024
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/

type UiContext = Context<AppEnv>

/** What `/image/...` names: a repository, one of its tags, or a manifest by digest. */
type ImagePath =
  | { kind: 'repository'; repository: string }
  | { kind: 'tag'; repository: string; tag: string }
  | { kind: 'manifest'; repository: string; digest: string }

export function parseImagePath(pathname: string): ImagePath | undefined {
  let parts: string[]
  try {
    parts = pathname
      .replace(/^\/image\//, '')
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent)
  } catch {
    return undefined
  }
  if (parts.length === 0) return undefined
  const marker = parts.length >= 3 ? parts[parts.length - 2] : undefined
  const last = parts[parts.length - 1] as string
  const repository = (marker ? parts.slice(0, -2) : parts).join('/')
  if (marker === 'tag') return { kind: 'tag', repository, tag: last }
  if (marker === 'manifest' && DIGEST.test(last)) return { kind: 'manifest', repository, digest: last }
  return { kind: 'repository', repository: parts.join('/') }
}

/** A `?page=` number: 1 when absent or nonsense, at most 100,000. */
const pageNumber = (text: string | undefined): number =>
  Math.min(Math.max(Number.parseInt(text ?? '1', 10) || 1, 1), 100_000)

function exploreQuery(c: UiContext): ExploreQuery {
  const list = (name: string) =>
    c.req
      .queries(name)
      ?.filter((value) => value.length > 0 && value.length <= 32)
      .slice(0, 16) ?? []
  const text = (c.req.query('q') ?? '').trim().slice(0, MAX_TEXT)
  const sort = SORT_CHOICES.find((choice) => choice.value === c.req.query('sort'))?.value
  const page = pageNumber(c.req.query('page'))
  return {
    text,
    os: list('os'),
    arch: list('arch'),
    signed: c.req.query('signed') === '1',
    starred: c.req.query('starred') === '1',
    bookmarked: c.req.query('bookmarked') === '1',
    sort: sort ?? (text ? 'RELEVANCE' : 'UPDATE_TIME'),
    page,
  }
}

function exploreHref(query: ExploreQuery, page: number): string {
  const params = new URLSearchParams()
  if (query.text) params.set('q', query.text)
  for (const os of query.os) params.append('os', os)
  for (const arch of query.arch) params.append('arch', arch)
  if (query.signed) params.set('signed', '1')
  if (query.starred) params.set('starred', '1')
  if (query.bookmarked) params.set('bookmarked', '1')
  params.set('sort', query.sort)
  if (page > 1) params.set('page', String(page))
  return `${PATHS.explore}?${params}`
}

function filterOf(query: ExploreQuery, signedIn: boolean): SearchFilter | undefined {
  const filter: SearchFilter = {
    ...(query.os.length > 0 && { Os: query.os }),
    ...(query.arch.length > 0 && { Arch: query.arch }),
    ...(query.signed && { HasToBeSigned: true }),
    ...(signedIn && query.starred && { IsStarred: true }),
    ...(signedIn && query.bookmarked && { IsBookmarked: true }),
  }
  return Object.keys(filter).length > 0 ? filter : undefined
}

async function readText(content: Blob | ReadableStream<Uint8Array> | Uint8Array): Promise<string> {
  return content instanceof Uint8Array ? new TextDecoder().decode(content) : new Response(content).text()
}

/**
 * The UI as a hono app with full paths.
 *
 * @example
 * routes.route('/', uiRoutes({ auth: auth.ui, readable: auth.readable, registry, upstreamOf, loopback }))
 */
export function uiRoutes(options: UiOptions): Hono<AppEnv> {
  const { auth, registry } = options
  const app = new Hono<AppEnv>()
  const trustedOrigins = trustedOriginsOf(options.externalUrl)
  const context = { upstreamOf: options.upstreamOf }
  const external = options.externalUrl ? new URL(options.externalUrl) : undefined

  const here = (c: UiContext): string => {
    const url = new URL(c.req.url)
    return `${url.pathname}${url.search}`
  }

  const address = (c: UiContext): RegistryAddress => {
    const url = new URL(c.req.url)
    return {
      host: external?.host ?? c.req.header('Host') ?? url.host,
      plainHttp: (external ?? url).protocol === 'http:',
    }
  }

  /** The visitor: their session's user (set as the principal for the search), else anonymous. */
  async function viewerOf(c: UiContext): Promise<Viewer> {
    const principal = c.get('principal')
    let username = ''
    if (auth && (principal === undefined || principal.username === '')) {
      const session = await auth.sessionPrincipal(c)
      if (session) {
        c.set('principal', session)
        username = session.username
      }
    } else if (principal?.method === 'session') username = principal.username
    return {
      username,
      csrf: username && auth ? auth.csrf.token(username) : '',
      ui: true,
      signIn: auth !== undefined && (auth.passwordLogin || auth.providers.length > 0),
      apiKeys: auth?.apiKeys ?? false,
    }
  }

  const render = (c: UiContext, page: ReturnType<typeof MessagePage>, status: 200 | 400 | 403 | 404 | 502 = 200) =>
    c.html(htmlDocument(page), status)

  const message = (c: UiContext, viewer: Viewer, status: 400 | 403 | 404 | 502, title: string, text: string) =>
    render(c, <MessagePage viewer={viewer} title={title} message={text} here={here(c)} />, status)

  const searchOff = (c: UiContext, viewer: Viewer) =>
    message(c, viewer, 404, 'Search is off', 'The web UI needs extensions.search enabled in the configuration.')

  // Without logins the key page's routes do not exist, so the UI serves the assets itself.
  if (!auth) app.route('/', assetRoutes())
  for (const path of ['/', '/home', '/explore', '/explore/*', '/login', '/image/*']) app.use(path, pageSecurityHeaders)
  app.use('/ui/actions/*', pageSecurityHeaders, sameOrigin(trustedOrigins))

  app.get('/home', (c) => c.redirect(PATHS.home, 301))

  app.get(PATHS.home, async (c) => {
    const viewer = await viewerOf(c)
    const signedIn = viewer.username !== ''
    const answer = await searchFor<HomeResult>(c, HOME, {
      recent: { limit: HOME_SIZE, offset: 0, sortBy: 'UPDATE_TIME' },
      popular: { limit: HOME_SIZE, offset: 0, sortBy: 'DOWNLOADS' },
      starred: { limit: HOME_SIZE, offset: 0, sortBy: 'UPDATE_TIME' },
      signedIn,
    })
    if (answer.kind === 'disabled') return searchOff(c, viewer)
    if (answer.kind === 'error') return message(c, viewer, 502, 'Search failed', answer.message)
    // Nothing visible to an anonymous visitor who could sign in: zui sends them to sign in.
    if (!signedIn && viewer.signIn && (answer.data.Recent.Page?.TotalCount ?? 0) === 0) {
      return c.redirect(`${PATHS.signIn}?next=${encodeURIComponent(PATHS.home)}`, 303)
    }
    return render(c, <HomePage viewer={viewer} context={context} data={answer.data} />)
  })

  app.get(PATHS.explore, async (c) => {
    const viewer = await viewerOf(c)
    const query = exploreQuery(c)
    const filter = filterOf(query, viewer.username !== '')
    const answer = await searchFor<ExploreResult>(c, EXPLORE, {
      query: query.text,
      ...(filter && { filter }),
      page: { limit: EXPLORE_SIZE, offset: (query.page - 1) * EXPLORE_SIZE, sortBy: query.sort },
    })
    if (answer.kind === 'disabled') return searchOff(c, viewer)
    if (answer.kind === 'error') return message(c, viewer, 400, 'Search failed', answer.message)
    return render(
      c,
      <ExplorePage
        viewer={viewer}
        context={context}
        query={query}
        pageSize={EXPLORE_SIZE}
        data={answer.data}
        hrefFor={(page) => exploreHref(query, page)}
      />,
    )
  })

  app.get(`${PATHS.explore}/suggest`, async (c) => {
    await viewerOf(c)
    const text = (c.req.query('q') ?? '').trim().slice(0, MAX_TEXT)
    if (!text) return c.json([])
    const answer = await searchFor<SuggestResult>(c, SUGGEST, { query: text })
    if (answer.kind !== 'data') return c.json([])
    const { Repos, Images } = answer.data.GlobalSearch
    const images = (Images ?? []).map((image) => ({
      label: `${image.RepoName}:${image.Tag}`,
      href: tagHref(image.RepoName, image.Tag),
    }))
    const repos = (Repos ?? []).map((repo) => ({ label: repo.Name, href: repositoryHref(repo.Name) }))
    return c.json([...images, ...repos].slice(0, 8))
  })

  app.get(PATHS.signIn, async (c) => {
    const viewer = await viewerOf(c)
    const next = nextPath(c.req.query('next'), PATHS.home)
    if (!auth || viewer.username !== '') return c.redirect(next, 303)
    return render(
      c,
      <SignInPage viewer={viewer} providers={auth.providers} passwordLogin={auth.passwordLogin} next={next} />,
    )
  })

  app.get('/image/*', async (c) => {
    const viewer = await viewerOf(c)
    const target = parseImagePath(new URL(c.req.url).pathname)
    const notFound = () => message(c, viewer, 404, 'Not found', 'No such repository or image, or you may not read it.')
    if (!target) return notFound()
    if (target.kind === 'manifest') return manifestView(c, viewer, target.repository, target.digest, notFound)
    if (target.kind === 'tag') {
      const answer = await searchFor<ImageResult>(c, IMAGE, { image: `${target.repository}:${target.tag}` })
      if (answer.kind === 'disabled') return searchOff(c, viewer)
      const image = answer.kind === 'data' ? answer.data.Image : undefined
      if (!image?.RepoName) return notFound()
      const manifests = image.Manifests ?? []
      const selected = manifests.find((manifest) => manifest.Digest === c.req.query('digest')) ?? manifests[0]
      return render(
        c,
        <ImagePage
          viewer={viewer}
          repository={target.repository}
          tag={target.tag}
          here={here(c)}
          image={image}
          selected={selected}
          address={address(c)}
          upstream={options.upstreamOf(target.repository)}
        />,
      )
    }
    const answer = await searchFor<RepositoryResult>(c, REPOSITORY, { repo: target.repository })
    if (answer.kind === 'disabled') return searchOff(c, viewer)
    const info = answer.kind === 'data' ? answer.data.ExpandedRepoInfo : undefined
    if (!info?.Summary?.Name) return notFound()
    return render(
      c,
      <RepositoryPage
        viewer={viewer}
        name={target.repository}
        here={here(c)}
        info={info}
        address={address(c)}
        upstream={options.upstreamOf(target.repository)}
        page={pageNumber(c.req.query('page'))}
      />,
    )
  })

  async function manifestView(
    c: UiContext,
    viewer: Viewer,
    repository: string,
    digest: string,
    notFound: () => Response | Promise<Response>,
  ) {
    if (options.readable(c.get('principal'), [repository]).length === 0) return notFound()
    const descriptor = await registry.resolveManifest(repository, digest).catch(() => undefined)
    if (!descriptor) return notFound()
    if (descriptor.size > RAW_LIMIT) return message(c, viewer, 400, 'Too large', 'This manifest is too large to show.')
    const manifest = await readText(await registry.openManifest(repository, descriptor))
    const configDigest = configOf(manifest)
    const configSize = configDigest ? (await registry.statBlob(repository, configDigest))?.size : undefined
    const config =
      configDigest && configSize !== undefined && configSize <= RAW_LIMIT
        ? { digest: configDigest, text: await readText(await registry.openBlob(repository, configDigest)) }
        : undefined
    return render(
      c,
      <ManifestPage
        viewer={viewer}
        repository={repository}
        digest={digest}
        here={here(c)}
        mediaType={descriptor.mediaType}
        manifest={manifest}
        {...(config && { config })}
      />,
    )
  }

  /** Runs a form's change as the visitor through the registry's own endpoint. */
  async function asVisitor(c: UiContext, method: 'PUT' | 'DELETE', path: string): Promise<Response> {
    const headers = new Headers({ [UI_CLIENT_HEADER]: UI_CLIENT_VALUE })
    for (const name of ['Cookie', 'Authorization']) {
      const value = c.req.header(name)
      if (value) headers.set(name, value)
    }
    return options.loopback(new Request(new URL(path, c.req.url).href, { method, headers }))
  }

  async function formAction(c: UiContext, change: (fields: URLSearchParams) => Promise<Response>) {
    const fields = new URLSearchParams(new TextDecoder().decode(await readLimitedBody(c.req.raw, FORM_LIMIT)))
    const viewer = await viewerOf(c)
    if (!auth || !(await auth.csrf.session(c, fields.get('csrf')))) {
      return message(c, viewer, 403, 'Refused', 'Your session has ended or the form is stale; sign in and try again.')
    }
    const repository = fields.get('repo') ?? ''
    const tag = fields.get('tag')
    if (!isValidRepositoryName(repository) || (tag !== null && !isValidTag(tag))) {
      return message(c, viewer, 400, 'Refused', 'The form names no valid repository or tag.')
    }
    const next = nextPath(fields.get('next'), repositoryHref(repository))
    const answer = await change(fields)
    if (answer.ok) return c.redirect(next, 303)
    const detail = await answer.text()
    return message(c, viewer, answer.status === 404 ? 404 : 403, 'Not done', errorText(answer.status, detail))
  }

  const toggle = (action: 'toggleStar' | 'toggleBookmark') => (c: UiContext) =>
    formAction(c, (fields) =>
      asVisitor(
        c,
        'PUT',
        `/v2/_zot/ext/userprefs?action=${action}&repo=${encodeURIComponent(fields.get('repo') ?? '')}`,
      ),
    )
  app.post(ACTION_PATHS.star, toggle('toggleStar'))
  app.post(ACTION_PATHS.bookmark, toggle('toggleBookmark'))
  app.post(ACTION_PATHS.deleteTag, (c) =>
    formAction(c, (fields) => {
      const repository = fields.get('repo') ?? ''
      const tag = fields.get('tag') ?? ''
      return asVisitor(c, 'DELETE', `/v2/${repository}/manifests/${encodeURIComponent(tag)}`)
    }),
  )

  return app
}

/** The config digest of an image manifest's JSON, if it has one. */
function configOf(manifest: string): string | undefined {
  try {
    const digest = (JSON.parse(manifest) as { config?: { digest?: unknown } }).config?.digest
    return typeof digest === 'string' && DIGEST.test(digest) ? digest : undefined
  } catch {
    return undefined
  }
}

/** A registry error answer as one sentence for the page. */
function errorText(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { message?: string; detail?: { description?: string } }[] }
    const first = parsed.errors?.[0]
    const text = first?.detail?.description ?? first?.message
    if (text) return `The registry refused (${status}): ${text}`
  } catch {
    // not a registry error body
  }
  return `The registry refused (${status}).`
}
