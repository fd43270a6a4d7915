/**
 * @module
 * The login half of the auth layer: htpasswd, LDAP, API keys, OpenID Connect and GitHub logins, the
 * sessions they share and their routes. `setupAuth` imports it only when `http.auth` configures
 * a method, so a registry without logins never loads the crypto and OAuth code (its idle-memory
 * cost is in docs/performance.md).
 */
import { readFileSync } from 'node:fs'
import type { Hono, MiddlewareHandler } from 'hono'
import type { AuthConfig } from '../config'
import type { AppEnv } from '../http/context'
import type { Logger } from '../log/logger'
import type { StateStore } from '../registry/registry'
import type { AccessControl } from './policy/access-control'
import { apiKeyRoutes } from './keys/api-key-routes'
import { createApiKeyStore } from './keys/api-key-store'
import { authenticate } from './authenticate'
import { trustedOriginsOf } from './openid/callback-ui'
import type { FailureOptions } from './failures'
import { createGitHubProvider } from './openid/github-provider'
import { createHtpasswd } from './htpasswd/htpasswd'
import { createLoginThrottle } from './htpasswd/login-throttle'
import type { LdapDirectory } from './ldap/ldap-directory'
import { ldapPasswordSource } from './ldap/ldap-login'
import { createOpenIdProvider, type OpenIdProvider } from './openid/openid-provider'
import { isOpenIdKind, type OpenIdKind } from './openid/openid-kinds'
import { openIdRoutes } from './openid/openid-routes'
import { createSealer, type SessionKeys } from './sessions/seal'
import { createSessions } from './sessions/sessions'
import { createFormCsrf } from './users/form-csrf'
import { createUiAuth, type UiAuth } from './users/ui-auth'
import { createUserGroups, type UserGroups } from './users/user-groups'
import { userPageRoutes } from './users/user-page-routes'
import { createUserValidity, LDAP_PROVIDER } from './users/user-validity'

/** How each of zot's login kinds is built: OpenID Connect, or GitHub's plain OAuth2. */
const OPENID_CREATORS: Record<OpenIdKind, typeof createOpenIdProvider> = {
  oidc: createOpenIdProvider,
  google: createOpenIdProvider,
  gitlab: createOpenIdProvider,
  github: createGitHubProvider,
}

export interface LoginOptions {
  auth: AuthConfig
  failure: FailureOptions
  access: AccessControl
  /** True when serving TLS or `secureSession` is set: cookies get `Secure`. */
  secure: boolean
  externalUrl?: string
  /** Where API keys, user groups and logouts persist (the registry's state store). */
  state: StateStore
  logger: Logger
  /** Identifies clients by their certificate (`http.tls.cacert`); see `mtls/certificate-identity`. */
  mtls?: (certificate: Buffer) => string | undefined
  /** The web UI is on (the key page then links search and explore). */
  ui: boolean
  /** Seals session cookies; from `sessionKeysFile`, the shared key, or random (this process only). */
  sessionKeys?: SessionKeys
}

export interface Logins {
  /** Establishes the principal from Basic credentials, API keys or a session cookie. */
  authentication: MiddlewareHandler<AppEnv>
  /** Mounts `/zot/auth/*`, `/user/apikey` and the key page as configured. */
  routes(app: Hono<AppEnv>): void
  /** What the web UI needs: sign-in methods, session principals, CSRF tokens. */
  ui: UiAuth
}

function openIdProviders(auth: AuthConfig, logger: Logger): Record<string, OpenIdProvider> {
  const providers: Record<string, OpenIdProvider> = {}
  for (const [id, options] of Object.entries(auth.openid?.providers ?? {})) {
    if (!isOpenIdKind(id)) continue
    if (options.keypath) {
      const message = 'openid keypath (JWT client authentication) is not supported; the secret is used'
      logger.warn(message, { provider: id })
    }
    providers[id] = OPENID_CREATORS[id](id, options)
  }
  return providers
}

/**
 * LDAP logins when `http.auth.ldap` is set; bindDN/bindPassword come from `credentialsFile`. Each
 * directory login records the user's groups, which their API keys act with (as for OpenID).
 */
function ldapLogins(ldap: AuthConfig['ldap'], userGroups: UserGroups, logger: Logger) {
  if (!ldap?.address || !ldap.baseDN || !ldap.userAttribute) return undefined
  const caCert = ldap.caCert ? readFileSync(ldap.caCert, 'utf8') : undefined
  const { address, baseDN, userAttribute } = ldap
  const record = (username: string, groups: string[]) =>
    userGroups.set(username, groups, LDAP_PROVIDER).catch((error: unknown) => {
      logger.warn('could not record the groups of an LDAP login', { username, error: (error as Error).message })
    })
  // The LDAP client loads only for configs that use it (idle memory, docs/performance.md).
  const loading = import('./ldap/ldap-directory').then(({ createLdapDirectory }) =>
    createLdapDirectory({ ...ldap, address, baseDN, userAttribute, caCert }),
  )
  const directory: LdapDirectory = { login: async (username, password) => (await loading).login(username, password) }
  return ldapPasswordSource(directory, record)
}

/** @throws Error for unusable htpasswd, LDAP caCert or sessionKeysFile files */
export function setupLogins(options: LoginOptions): Logins {
  const { auth, failure, access, logger, state, secure } = options
  const warn = (message: string, fields: Record<string, unknown>) => logger.warn(message, fields)
  const htpasswd = auth.htpasswd?.path ? createHtpasswd({ path: auth.htpasswd.path, onWarning: warn }) : undefined
  const providers = openIdProviders(auth, logger)
  const hasOpenId = Object.keys(providers).length > 0
  const userGroups = createUserGroups(state)
  const validity = createUserValidity({
    state,
    htpasswd,
    userGroups,
    openIdProviders: Object.keys(providers),
    ldap: auth.ldap !== undefined,
  })
  // zot forces API keys on whenever OpenID is configured: they are how CLIs log in then.
  const apiKeys =
    auth.apikey || hasOpenId
      ? createApiKeyStore({ state, userGroups, ownerExists: validity.exists, onError: warn })
      : undefined
  const sealer = createSealer(options.sessionKeys)
  const sessions = createSessions({ sealer, userGroups, validity, secure })
  const trustedOrigins = trustedOriginsOf(options.externalUrl, auth.openid?.callbackAllowOrigins)
  // One throttle for both password entrances, so the sign-in form is no way around it.
  const throttle = createLoginThrottle()
  const csrf = createFormCsrf(sessions, sealer)
  const providerList = Object.values(providers).map(({ id, name }) => ({ id, name }))

  return {
    authentication: authenticate({
      ...failure,
      access,
      htpasswd,
      throttle,
      apiKeys,
      ldap: ldapLogins(auth.ldap, userGroups, logger),
      ...(options.mtls && { mtls: options.mtls }),
      session: sessions.principal,
      logger,
    }),
    routes(app) {
      if (apiKeys) app.route('/', apiKeyRoutes({ ...failure, store: apiKeys, trustedOrigins }))
      if (hasOpenId) {
        app.route(
          '/',
          openIdRoutes({
            providers,
            sessions,
            sealer,
            userGroups,
            secure,
            externalUrl: options.externalUrl,
            callbackAllowOrigins: auth.openid?.callbackAllowOrigins,
            logger,
          }),
        )
      }
      app.route(
        '/',
        userPageRoutes({
          ...failure,
          ...(apiKeys && { store: apiKeys }),
          sessions,
          csrf,
          htpasswd,
          throttle,
          providers: providerList,
          trustedOrigins,
          ui: options.ui,
        }),
      )
    },
    ui: createUiAuth({
      providers: providerList,
      passwordLogin: htpasswd !== undefined,
      apiKeys: apiKeys !== undefined,
      sessions,
      csrf,
      access,
    }),
  }
}
