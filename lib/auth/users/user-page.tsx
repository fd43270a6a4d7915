/** @jsxImportSource hono/jsx */
/**
 * @module
 * The `/user/apikey` page in the UI's frame, server-rendered with hono/jsx: list, create and
 * revoke API keys (visitors without a session get the sign-in page). A new key is shown exactly
 * once, in the answer to the form that created it. Every form carries a CSRF token.
 */
import type { FC } from 'hono/jsx'
import { DataTable } from '../../ui/components'
import { CsrfField, ErrorLine, htmlDocument, Layout, PATHS, type Viewer } from '../../ui/layout'
import { SignInPage, type SignInProps } from '../../ui/pages/sign-in'
import type { ApiKeyDetails } from '../keys/api-key-store'
import { ZERO_TIME } from '../keys/api-key-store'

export const PAGE_PATH = PATHS.apiKeys

export interface KeysProps {
  viewer: Viewer
  keys: ApiKeyDetails[]
  /** Default expiry date for new keys (YYYY-MM-DD). */
  defaultExpiry: string
  created?: { apiKey: string; label: string }
  error?: string
}

const date = (value: string): string => (value === ZERO_TIME ? 'never' : value.slice(0, 10))

const KeyRow: FC<{ apiKey: ApiKeyDetails; viewer: Viewer }> = ({ apiKey, viewer }) => (
  <tr>
    <td>{apiKey.label}</td>
    <td>{apiKey.scopes.length > 0 ? apiKey.scopes.join(', ') : 'all your rights'}</td>
    <td>{date(apiKey.createdAt)}</td>
    <td>{apiKey.isExpired ? `expired ${date(apiKey.expirationDate)}` : date(apiKey.expirationDate)}</td>
    <td>{date(apiKey.lastUsed)}</td>
    <td>
      <form method="post" action={`${PAGE_PATH}/revoke`}>
        <CsrfField viewer={viewer} />
        <input type="hidden" name="id" value={apiKey.uuid} />
        <button type="submit" class="danger">
          Revoke
        </button>
      </form>
    </td>
  </tr>
)

/** The page for a signed-in user. */
export const KeysPage: FC<KeysProps> = ({ viewer, keys, defaultExpiry, created, error }) => (
  <Layout title="API keys" viewer={viewer} here={PAGE_PATH}>
    <p class="muted">Use a key as the password with your user name, for docker, podman, skopeo, helm or zli.</p>
    {created && (
      <div class="key" role="status">
        <p>
          New key <strong>{created.label}</strong>. Copy it now: it is not shown again.
        </p>
        <div class="pull">
          <code id="new-key">{created.apiKey}</code>
          <button type="button" data-copy="new-key" hidden>
            Copy
          </button>
        </div>
        <p>
          For example <code>docker login -u {viewer.username}</code> and paste the key as the password.
        </p>
      </div>
    )}
    <ErrorLine error={error} />
    <h2>Your keys</h2>
    {keys.length === 0 ? (
      <p>No keys yet.</p>
    ) : (
      <DataTable headers={['Label', 'Scopes', 'Created', 'Expires', 'Last used', '']}>
        {keys.map((apiKey) => (
          <KeyRow apiKey={apiKey} viewer={viewer} />
        ))}
      </DataTable>
    )}
    <h2>New key</h2>
    <form method="post" action={`${PAGE_PATH}/create`} class="narrow">
      <CsrfField viewer={viewer} />
      <label>
        Label
        <br />
        <input name="label" required maxlength={100} />
      </label>
      <label>
        Scopes, one per line (e.g. <code>ci/**:read,create</code>; empty: all your rights)
        <br />
        <textarea name="scopes" rows={3} cols={40} />
      </label>
      <label>
        Expires on (empty: never)
        <br />
        <input name="expires" type="date" value={defaultExpiry} />
      </label>
      <button type="submit">Create key</button>
    </form>
  </Layout>
)

/** The sign-in page as an HTML document. */
export const renderSignIn = (props: SignInProps): Promise<string> => htmlDocument(<SignInPage {...props} />)

/** The keys page as an HTML document. */
export const renderKeys = (props: KeysProps): Promise<string> => htmlDocument(<KeysPage {...props} />)
