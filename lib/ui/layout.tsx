/** @jsxImportSource hono/jsx */
/**
 * @module
 * The one page frame of the web UI and the API-key page: a header with the name, the search box
 * (when the UI is on), and the sign-in or user menu; then the page; then a footer. Plain HTML
 * with one stylesheet and one deferred script; everything works without the script.
 */
import type { FC, PropsWithChildren } from 'hono/jsx'
import { SCRIPT_PATH, STYLESHEET_PATH } from './assets/asset-routes'

/** Paths shared by the UI and the auth pages. */
export const PATHS = {
  home: '/',
  explore: '/explore',
  signIn: '/login',
  apiKeys: '/user/apikey',
  passwordSignIn: '/user/apikey/login',
  signOut: '/user/apikey/logout',
} as const

/** Who is looking, and what the header may offer them. */
export interface Viewer {
  /** Empty for anonymous visitors. */
  username: string
  /** The CSRF token for this user's forms; empty for anonymous visitors. */
  csrf: string
  /** The UI (explore, search) is enabled. */
  ui: boolean
  /** Somebody can sign in here (htpasswd or OpenID configured). */
  signIn: boolean
  /** API keys are enabled: the header links the key page. */
  apiKeys: boolean
}

export interface LayoutProps {
  title: string
  viewer: Viewer
  /** The current search text, kept in the header's box. */
  query?: string
  /** Where sign-in and sign-out come back to (the current page). */
  here?: string
}

export const CsrfField: FC<{ viewer: Viewer }> = ({ viewer }) => <input type="hidden" name="csrf" value={viewer.csrf} />

const UserMenu: FC<{ viewer: Viewer; here: string }> = ({ viewer, here }) => {
  if (viewer.username === '') {
    return viewer.signIn ? <a href={`${PATHS.signIn}?next=${encodeURIComponent(here)}`}>Sign in</a> : null
  }
  return (
    <>
      {viewer.apiKeys && <a href={PATHS.apiKeys}>API keys</a>}
      <span>
        Signed in as <strong id="username">{viewer.username}</strong>
      </span>
      <form method="post" action={PATHS.signOut}>
        <CsrfField viewer={viewer} />
        <input type="hidden" name="next" value={viewer.ui ? PATHS.home : PATHS.apiKeys} />
        <button type="submit" class="plain">
          Sign out
        </button>
      </form>
    </>
  )
}

export const Layout: FC<PropsWithChildren<LayoutProps>> = ({ title, viewer, query, here, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · zot`}</title>
      <link rel="stylesheet" href={STYLESHEET_PATH} />
      <script src={SCRIPT_PATH} defer />
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={viewer.ui ? PATHS.home : PATHS.apiKeys}>
          <span>zot</span> registry
        </a>
        {viewer.ui && (
          <form class="search" method="get" action={PATHS.explore}>
            <label for="search-input" class="skip">
              Search repositories
            </label>
            <input
              id="search-input"
              type="search"
              name="q"
              value={query ?? ''}
              placeholder="Search repositories, or repo:tag"
              autocomplete="off"
              aria-controls="search-suggest"
            />
            <button type="submit">Search</button>
            <ul id="search-suggest" class="suggest" hidden aria-label="Suggestions" />
          </form>
        )}
        <nav class="user" aria-label="Account">
          {viewer.ui && <a href={PATHS.explore}>Explore</a>}
          <UserMenu viewer={viewer} here={here ?? PATHS.home} />
        </nav>
      </header>
      <main id="main">
        <h1>{title}</h1>
        {children}
      </main>
      <footer>Served by zot-bun.</footer>
    </body>
  </html>
)

export const ErrorLine: FC<{ error: string | undefined }> = ({ error }) =>
  error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null

/** A page as an HTML document. */
export const htmlDocument = async (page: ReturnType<FC>): Promise<string> => `<!doctype html>${await page}`
