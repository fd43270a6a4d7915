/** @jsxImportSource hono/jsx */
/**
 * @module
 * The `/user/apikey` page, server-rendered with hono/jsx and no script at all: sign in (OpenID
 * providers, or htpasswd credentials), then list, create and revoke API keys. A new key is shown
 * exactly once, in the answer to the form that created it. Every form carries a CSRF token.
 */
import type { FC, PropsWithChildren } from 'hono/jsx'
import type { ApiKeyDetails } from '../keys/api-key-store'
import { ZERO_TIME } from '../keys/api-key-store'

export const PAGE_PATH = '/user/apikey'

export interface SignInProps {
  providers: { id: string; name: string }[]
  passwordLogin: boolean
  error?: string
}

export interface KeysProps {
  username: string
  keys: ApiKeyDetails[]
  csrf: string
  /** Default expiry date for new keys (YYYY-MM-DD). */
  defaultExpiry: string
  created?: { apiKey: string; label: string }
  error?: string
}

const STYLE = `
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}
.error{color:#a00}.key{background:#efe;padding:1rem;border:1px solid #9c9}code{word-break:break-all}
form.inline{display:inline}label{display:block;margin:.5rem 0}`

const Layout: FC<PropsWithChildren<{ title: string }>> = ({ title, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{title}</title>
      <style>{STYLE}</style>
    </head>
    <body>
      <h1>{title}</h1>
      {children}
    </body>
  </html>
)

const ErrorLine: FC<{ error: string | undefined }> = ({ error }) =>
  error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null

/** The page for visitors without a session. */
export const SignInPage: FC<SignInProps> = ({ providers, passwordLogin, error }) => (
  <Layout title="Sign in to manage API keys">
    <ErrorLine error={error} />
    {providers.map((provider) => (
      <p>
        <a
          href={`/zot/auth/login?provider=${encodeURIComponent(provider.id)}&callback_ui=${encodeURIComponent(PAGE_PATH)}`}
        >
          Sign in with {provider.name}
        </a>
      </p>
    ))}
    {passwordLogin && (
      <form method="post" action={`${PAGE_PATH}/login`}>
        <label>
          User name <input name="username" autocomplete="username" required />
        </label>
        <label>
          Password <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <button type="submit">Sign in</button>
      </form>
    )}
  </Layout>
)

const date = (value: string): string => (value === ZERO_TIME ? 'never' : value.slice(0, 10))

const KeyRow: FC<{ apiKey: ApiKeyDetails; csrf: string }> = ({ apiKey, csrf }) => (
  <tr>
    <td>{apiKey.label}</td>
    <td>{apiKey.scopes.length > 0 ? apiKey.scopes.join(', ') : 'all your rights'}</td>
    <td>{date(apiKey.createdAt)}</td>
    <td>{apiKey.isExpired ? `expired ${date(apiKey.expirationDate)}` : date(apiKey.expirationDate)}</td>
    <td>{date(apiKey.lastUsed)}</td>
    <td>
      <form class="inline" method="post" action={`${PAGE_PATH}/revoke`}>
        <input type="hidden" name="csrf" value={csrf} />
        <input type="hidden" name="id" value={apiKey.uuid} />
        <button type="submit">Revoke</button>
      </form>
    </td>
  </tr>
)

/** The page for a signed-in user. */
export const KeysPage: FC<KeysProps> = ({ username, keys, csrf, defaultExpiry, created, error }) => (
  <Layout title="API keys">
    <p>
      Signed in as <strong id="username">{username}</strong>.{' '}
      <form class="inline" method="post" action={`${PAGE_PATH}/logout`}>
        <input type="hidden" name="csrf" value={csrf} />
        <button type="submit">Sign out</button>
      </form>
    </p>
    {created && (
      <div class="key" role="status">
        <p>
          New key <strong>{created.label}</strong>. Copy it now: it is not shown again.
        </p>
        <p>
          <code id="new-key">{created.apiKey}</code>
        </p>
        <p>
          Use it as the password with your user name, e.g. <code>docker login -u {username}</code>.
        </p>
      </div>
    )}
    <ErrorLine error={error} />
    <h2>Your keys</h2>
    {keys.length === 0 ? (
      <p>No keys yet.</p>
    ) : (
      <table>
        <thead>
          <tr>
            <th>Label</th>
            <th>Scopes</th>
            <th>Created</th>
            <th>Expires</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {keys.map((apiKey) => (
            <KeyRow apiKey={apiKey} csrf={csrf} />
          ))}
        </tbody>
      </table>
    )}
    <h2>New key</h2>
    <form method="post" action={`${PAGE_PATH}/create`}>
      <input type="hidden" name="csrf" value={csrf} />
      <label>
        Label <input name="label" required maxlength={100} />
      </label>
      <label>
        Scopes, one per line (e.g. <code>ci/**:read,create</code>; empty: all your rights)
        <br />
        <textarea name="scopes" rows={3} cols={50} />
      </label>
      <label>
        Expires on <input name="expires" type="date" value={defaultExpiry} /> (empty: never)
      </label>
      <button type="submit">Create key</button>
    </form>
  </Layout>
)

/** The sign-in page as an HTML document. */
export const renderSignIn = async (props: SignInProps): Promise<string> =>
  `<!doctype html>${await (<SignInPage {...props} />)}`

/** The keys page as an HTML document. */
export const renderKeys = async (props: KeysProps): Promise<string> =>
  `<!doctype html>${await (<KeysPage {...props} />)}`
