/** @jsxImportSource hono/jsx */
/**
 * @module
 * The sign-in page: one button per OpenID/GitHub provider and the htpasswd form, whichever are
 * configured. Both end in the same session cookie, then return to `next` (a same-origin path).
 */
import type { FC } from 'hono/jsx'
import { ErrorLine, Layout, PATHS, type Viewer } from '../layout'

export interface SignInProps {
  viewer: Viewer
  providers: { id: string; name: string }[]
  passwordLogin: boolean
  /** Where to go once signed in. */
  next: string
  error?: string
}

export const SignInPage: FC<SignInProps> = ({ viewer, providers, passwordLogin, next, error }) => (
  <Layout title="Sign in" viewer={viewer} here={next}>
    <div class="narrow">
      <ErrorLine error={error} />
      {providers.map((provider) => (
        <p>
          <a
            class="button"
            href={`/zot/auth/login?provider=${encodeURIComponent(provider.id)}&callback_ui=${encodeURIComponent(next)}`}
          >
            Sign in with {provider.name}
          </a>
        </p>
      ))}
      {passwordLogin && (
        <form method="post" action={PATHS.passwordSignIn}>
          <input type="hidden" name="next" value={next} />
          <label>
            User name
            <br />
            <input name="username" autocomplete="username" required />
          </label>
          <label>
            Password
            <br />
            <input name="password" type="password" autocomplete="current-password" required />
          </label>
          <button type="submit">Sign in</button>
        </form>
      )}
      {providers.length === 0 && !passwordLogin && <p>No sign-in method is configured.</p>}
    </div>
  </Layout>
)
