/**
 * @module
 * Builds every auth piece from zot's `http.auth` and `http.accessControl` in one call, so the
 * server wires three things: `middleware` (authentication then authorization), `routes` (the
 * `/zot/auth/...` endpoints and the key page) and the catalog filter; plus `metricsGuard` on the
 * metrics path. API keys and OpenID state persist through the registry's storage driver.
 */
import type { Hono, MiddlewareHandler } from 'hono'
import type { AppEnv, Principal } from '../http/context'
import type { Logger } from '../log/logger'
import type { StorageDriver } from '../storage/driver'
import { createAccessControl, type AccessControl } from './access-control'
import { apiKeyRoutes } from './api-key-routes'
import { createApiKeyStore, type ApiKeyStore } from './api-key-store'
import { authenticate } from './authenticate'
import { authorize, authorizeMetrics } from './authorize'
import { trustedOriginsOf } from './callback-ui'
import { createGitHubProvider } from './github-provider'
import { createHtpasswd, type Htpasswd } from './htpasswd'
import { createOpenIdProvider, type OpenIdProvider } from './openid-provider'
import { openIdRoutes } from './openid-routes'
import type { AccessControlOptions, AuthOptions } from './options'
import { anonymousPrincipal } from './principal'
import type { TagExists } from './required-actions'
import { createSealer, readSessionKeysFile } from './seal'
import { createSessions, type Sessions } from './sessions'
import { createUserGroups } from './user-groups'
import { userPageRoutes } from './user-page-routes'

export interface AuthSetupOptions {
  /** `http.auth`, absent when the config has none. */
  auth?: AuthOptions
  /** `http.accessControl`. */
  accessControl?: AccessControlOptions
  /** `http.realm`. */
  realm?: string
  /** `http.externalUrl`. */
  externalUrl?: string
  /** True when serving TLS (cookies get `Secure`). */
  tls: boolean
  /** The registry's storage driver: API keys and user groups live under `_zot/`. */
  driver: StorageDriver
  /** Whether a tag exists: decides `create` vs `update` on manifest PUTs. */
  tagExists: TagExists
  logger: Logger
}

export interface AuthSetup {
  access: AccessControl
  /** Pass to `createApp({ middleware })`, in this order, after request logging. */
  middleware: MiddlewareHandler<AppEnv>[]
  /** Call from `createApp({ routes })`: mounts `/zot/auth/*` and `/user/apikey` as configured. */
  routes(app: Hono<AppEnv>): void
  /** Mount on the metrics path: `app.use(path, setup.metricsGuard)`. */
  metricsGuard: MiddlewareHandler<AppEnv>
  /** The repositories of a catalog page the principal may read (filter before paginating). */
  readable(principal: Principal | undefined, repositories: readonly string[]): string[]
  /** True when any authentication method is configured. */
  authenticating: boolean
}

/** zot's login kinds and how each is built: OpenID Connect, or GitHub's plain OAuth2. */
const OPENID_KINDS = new Map<string, typeof createOpenIdProvider>([
  ['oidc', createOpenIdProvider],
  ['google', createOpenIdProvider],
  ['gitlab', createOpenIdProvider],
  ['github', createGitHubProvider],
])
/** zot's authentication methods this build does not implement yet. */
const UNSUPPORTED_METHODS = ['ldap', 'bearer', 'mtls'] as const

/** The configured methods nobody can log in with here, e.g. `ldap`, `openid.keycloak`. */
function unsupportedMethods(auth: AuthOptions | undefined): string[] {
  const methods = UNSUPPORTED_METHODS.filter((method) => auth?.[method] !== undefined)
  const providers = Object.keys(auth?.openid?.providers ?? {}).filter((id) => !OPENID_KINDS.has(id))
  return [...methods, ...providers.map((id) => `openid.${id}`)]
}

function openIdProviders(
  auth: AuthOptions | undefined,
  logger: Logger,
): Record<string, OpenIdProvider> {
  const providers: Record<string, OpenIdProvider> = {}
  for (const [id, options] of Object.entries(auth?.openid?.providers ?? {})) {
    const create = OPENID_KINDS.get(id)
    if (!create) continue
    if (options.keypath) {
      const message =
        'openid keypath (JWT client authentication) is not supported; the secret is used'
      logger.warn(message, { provider: id })
    }
    providers[id] = create(id, options)
  }
  return providers
}

/**
 * Builds the auth layer for a config.
 *
 * @throws Error for unusable files (htpasswd, credentialsFile, sessionKeysFile), and when every
 *   configured method is unsupported: serving would then silently drop authentication
 * @example
 * const auth = setupAuth({ auth: config.http.auth, accessControl: config.http.accessControl,
 *   realm: config.http.realm, externalUrl: config.http.externalUrl, tls: Boolean(config.http.tls),
 *   driver, tagExists: (repo, tag) => registry.tagExists(repo, tag), logger })
 * createApp({ ..., middleware: [requestLog(...), ...auth.middleware], routes: auth.routes })
 */
export function setupAuth(options: AuthSetupOptions): AuthSetup {
  const { auth, logger, driver } = options
  const warn = (message: string, fields: Record<string, unknown>) => logger.warn(message, fields)
  const access = createAccessControl(options.accessControl, warn)
  const failure = {
    ...(options.realm !== undefined && { realm: options.realm }),
    failDelay: auth?.failDelay ?? 0,
  }
  const htpasswd: Htpasswd | undefined = auth?.htpasswd?.path
    ? createHtpasswd({ path: auth.htpasswd.path, onWarning: warn })
    : undefined
  const providers = openIdProviders(auth, logger)
  const hasOpenId = Object.keys(providers).length > 0
  const userGroups = createUserGroups(driver)
  // zot forces API keys on whenever OpenID is configured: they are how CLIs log in then.
  const apiKeys: ApiKeyStore | undefined =
    auth?.apikey || hasOpenId ? createApiKeyStore({ driver, userGroups, onError: warn }) : undefined
  const authenticating = Boolean(htpasswd || hasOpenId || apiKeys)
  const unsupported = unsupportedMethods(auth)
  if (unsupported.length > 0 && !authenticating) {
    throw new Error(`http.auth: ${unsupported.join(', ')} not supported yet; refusing to run open`)
  }
  if (unsupported.length > 0) {
    logger.warn('authentication methods not supported yet: nobody logs in with them', {
      methods: unsupported,
    })
  }
  const secure = options.tls || Boolean(auth?.secureSession)
  const sealer = createSealer(
    auth?.sessionKeysFile ? readSessionKeysFile(auth.sessionKeysFile) : undefined,
  )
  const sessions: Sessions | undefined = authenticating
    ? createSessions({ sealer, userGroups, secure })
    : undefined
  const trustedOrigins = trustedOriginsOf(options.externalUrl, auth?.openid?.callbackAllowOrigins)

  const session = sessions?.principal
  const authentication = authenticate({ ...failure, access, htpasswd, apiKeys, session, logger })
  const authorization = authorize({ ...failure, access, tagExists: options.tagExists })
  const middleware = authenticating ? [authentication, authorization] : [authorization]

  return {
    access,
    middleware,
    authenticating,
    metricsGuard: authorizeMetrics({ ...failure, access }),
    readable: (principal, repositories) => {
      if (principal === undefined && !access.configured) return [...repositories]
      const who = principal ?? anonymousPrincipal()
      return repositories.filter((repository) => access.canRead(who, repository))
    },
    routes(app) {
      if (apiKeys) app.route('/', apiKeyRoutes({ ...failure, store: apiKeys, trustedOrigins }))
      if (hasOpenId && sessions) {
        app.route(
          '/',
          openIdRoutes({
            providers,
            sessions,
            sealer,
            userGroups,
            secure,
            externalUrl: options.externalUrl,
            callbackAllowOrigins: auth?.openid?.callbackAllowOrigins,
            logger,
          }),
        )
      }
      if (apiKeys && sessions) {
        const page = {
          ...failure,
          store: apiKeys,
          sessions,
          sealer,
          htpasswd,
          providers,
          trustedOrigins,
        }
        app.route('/', userPageRoutes(page))
      }
    },
  }
}
