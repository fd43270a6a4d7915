/**
 * @module
 * Builds every auth piece from zot's `http.auth` and `http.accessControl` in one call, so the
 * server wires three things: `middleware` (authentication then authorization), `routes` (the
 * `/zot/auth/...` endpoints and the key page) and the catalog filter; plus `metricsGuard` on the
 * metrics path. API keys and OpenID state persist in the registry's state store.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono'
import type { AccessControlConfig, AuthConfig } from '../config'
import { unimplementedLoginsInUse } from '../config/implementation/auth-methods'
import type { AppEnv, Principal } from '../http/context'
import type { Logger } from '../log/logger'
import type { StateStore } from '../registry/registry'
import { createAccessControl, type AccessControl } from './policy/access-control'
import { authorize, authorizeMetrics } from './policy/authorize'
import { isOpenIdKind } from './openid/openid-kinds'
import { anonymousPrincipal } from './policy/principal'
import { requestFacts } from './policy/request-facts'
import type { TagExists } from './policy/required-actions'
import type { SessionKeys } from './sessions/seal'
import type { UiAuth } from './users/ui-auth'

export interface AuthSetupOptions {
  /** `http.auth`, absent when the config has none. */
  auth?: AuthConfig
  /** `http.accessControl`. */
  accessControl?: AccessControlConfig
  /** `http.realm`. */
  realm?: string
  /** `http.externalUrl`. */
  externalUrl?: string
  /** True when serving TLS (cookies get `Secure`). */
  tls: boolean
  /** `http.tls.cacert` is set: verified client certificates identify users (zot's mTLS). */
  clientCertificates?: boolean
  /** The registry's state store: API keys, user groups and logouts live under `_zot/`. */
  state: StateStore
  /** Whether a tag exists: decides `create` vs `update` on manifest PUTs. */
  tagExists: TagExists
  logger: Logger
  /** `extensions.ui` is on. */
  ui?: boolean
}

export interface AuthSetup {
  access: AccessControl
  /** Pass to `createApp({ middleware })`, in this order, after request logging. */
  middleware: MiddlewareHandler<AppEnv>[]
  /** Call from `createApp({ routes })`: mounts `/zot/auth/*` and `/user/apikey` as configured. */
  routes(app: Hono<AppEnv>): void
  /** Mount on the metrics path: `app.use(path, setup.metricsGuard)`. */
  metricsGuard: MiddlewareHandler<AppEnv>
  /**
   * The repositories of a catalog page the principal may read (filter before paginating); with
   * the request `c`, policy conditions are judged on it, without it conditional entries grant nothing.
   */
  readable(principal: Principal | undefined, repositories: readonly string[], c?: Context<AppEnv>): string[]
  /** True when any authentication method is configured. */
  authenticating: boolean
  /** Sign-in and session pieces for the web UI; absent when nobody can log in. */
  ui?: UiAuth
}

/**
 * The configured methods nobody can log in with here, e.g. `openid.keycloak`: the methods whose
 * schema status is not implemented (the list the config loader's rule refuses with) and OpenID
 * providers of an unknown kind. The loader refuses a config with only these; `setupAuth` checks
 * again, as it is also called with configs the loader never read.
 */
function unsupportedMethods(auth: AuthConfig | undefined): string[] {
  const providers = Object.keys(auth?.openid?.providers ?? {}).filter((id) => !isOpenIdKind(id))
  return [...unimplementedLoginsInUse(auth), ...providers.map((id) => `openid.${id}`)]
}

/** True when bearer tokens are checked: a token server's keys (`cert`, `awsSecretsManager`) or OIDC workload issuers. */
const usesBearer = (auth: AuthConfig | undefined) =>
  Boolean(auth?.bearer?.cert || auth?.bearer?.awsSecretsManager || auth?.bearer?.oidc.length)

/** The token server's keys: `cert`'s, or an AWS Secrets Manager secret's (whose SDK loads only then). */
async function tokenServerKeys(bearer: NonNullable<AuthConfig['bearer']>, logger: Logger) {
  if (bearer.cert) return (await import('./bearer/verification-key')).readVerificationKey(bearer.cert)
  if (!bearer.awsSecretsManager) return undefined
  return (await import('./bearer/aws-secrets-keys')).awsSecretsManagerKeys(bearer.awsSecretsManager, logger)
}

/** The bearer-token setup: zot's traditional bearer (`cert`, `awsSecretsManager`) and OIDC workload identity (`oidc`). */
async function bearerSetup(
  auth: AuthConfig | undefined,
  logger: Logger,
  access: AccessControl,
  authorizeWorkload: MiddlewareHandler<AppEnv>,
) {
  const bearer = auth?.bearer
  if (!bearer || !usesBearer(auth)) return undefined
  const { bearerAuth, bearerReadable } = await import('./bearer/bearer-auth')
  const issuers = bearer.oidc
  const upstream = bearer.upstreamTokenEndpoint
  const workload = issuers.length > 0 && {
    verify: (await import('./bearer/oidc-workload')).workloadIdentity(issuers, logger),
    access,
    authorize: authorizeWorkload,
  }
  const others = (['htpasswd', 'ldap', 'openid', 'mtls'] as const).filter((method) => auth?.[method] !== undefined)
  if (others.length > 0 || auth?.apikey) {
    // As in zot: with bearer tokens configured, no other method is consulted.
    logger.warn('bearer authentication replaces the other configured methods', { ignored: others })
  }
  const key = await tokenServerKeys(bearer, logger)
  const middleware = bearerAuth({
    realm: bearer.realm ?? '',
    service: bearer.service ?? '',
    ...(bearer.upstreamTokenEndpoint?.service && { upstreamService: bearer.upstreamTokenEndpoint.service }),
    ...(key && { key }),
    ...(workload && { workload }),
    logger,
  })
  // Token-server principals carry their grants; workload principals are judged by accessControl.
  const readable: AuthSetup['readable'] = (principal, repositories, c) =>
    principal && 'access' in principal
      ? bearerReadable(principal, repositories)
      : readableBy(access, principal ?? anonymousPrincipal(), repositories, c)
  const exchange =
    workload &&
    (await import('./bearer/token-exchange')).tokenExchange({
      verify: workload.verify,
      issuers,
      loginProviders: Object.entries(auth?.openid?.providers ?? {}).flatMap(([kind, provider]) =>
        isOpenIdKind(kind) && kind !== 'github' && provider.issuer
          ? [{ issuer: provider.issuer, clientid: provider.clientid ?? '' }]
          : [],
      ),
      realm: bearer.realm ?? '',
      ...(upstream?.realm && upstream.service && { upstream: { realm: upstream.realm, service: upstream.service } }),
      logger,
    })
  // zot's token endpoint for clients that send an ID token as a password (docker login, kubelet).
  const routes = (app: Hono<AppEnv>) => {
    if (!exchange) return
    app.on(['GET', 'POST'], '/zot/auth/token', exchange)
    app.options('/zot/auth/token', (c) => c.body(null, 204))
  }
  return { middleware, readable, routes }
}

/** True when somebody can log in: htpasswd, LDAP, API keys or a supported OpenID provider. */
function hasLogins(auth: AuthConfig | undefined): auth is AuthConfig {
  return Boolean(
    auth?.htpasswd?.path || auth?.ldap || auth?.apikey || Object.keys(auth?.openid?.providers ?? {}).some(isOpenIdKind),
  )
}

/**
 * Builds the auth layer for a config.
 *
 * @throws Error for unusable files (htpasswd, credentialsFile, sessionKeysFile, bearer cert), and when every
 *   configured method is unsupported: serving would then silently drop authentication
 * @example
 * const auth = await setupAuth({ auth: config.http.auth, accessControl: config.http.accessControl,
 *   realm: config.http.realm, externalUrl: config.http.externalUrl, tls: Boolean(config.http.tls),
 *   state: registry.state, tagExists: (repo, tag) => registry.tagExists(repo, tag), logger })
 * createApp({ ..., middleware: [requestLog(...), ...auth.middleware], routes: auth.routes })
 */
export async function setupAuth(options: AuthSetupOptions): Promise<AuthSetup> {
  const { auth, logger } = options
  const warn = (message: string, fields: Record<string, unknown>) => logger.warn(message, fields)
  const access = createAccessControl(options.accessControl, warn)
  const failure = {
    ...(options.realm !== undefined && { realm: options.realm }),
    // Without `http.auth` nobody logs in, so no failure is slowed down.
    ...(auth && { failDelay: auth.failDelay }),
  }
  const unsupported = unsupportedMethods(auth)
  const bearerTokens = usesBearer(auth)
  // Imported only when used, like the logins: a registry without them never loads node:crypto's X509.
  const mtls = options.clientCertificates
    ? (await import('./mtls/certificate-identity')).certificateIdentifier(auth?.mtls)
    : undefined
  if (auth?.mtls && !mtls) logger.warn('http.auth.mtls has no effect without http.tls.cacert: no client asks for it')
  const authenticating = hasLogins(auth) || mtls !== undefined
  if (unsupported.length > 0 && !authenticating && !bearerTokens) {
    throw new Error(`http.auth: ${unsupported.join(', ')} not supported yet; refusing to run open`)
  }
  if (unsupported.length > 0) {
    logger.warn('authentication methods not supported yet: nobody logs in with them', {
      methods: unsupported,
    })
  }
  const authorization = authorize({ ...failure, access, tagExists: options.tagExists })
  const bearer = await bearerSetup(auth, logger, access, authorization)
  if (bearer) {
    return {
      access,
      middleware: [bearer.middleware],
      authenticating: true,
      metricsGuard: authorizeMetrics({ ...failure, access }),
      readable: bearer.readable,
      routes: bearer.routes,
    }
  }
  const logins = hasLogins(auth)
    ? (await import('./logins')).setupLogins({
        ...(await sessionKeysOf(auth, options.state)),
        auth,
        failure,
        access,
        secure: options.tls || auth.secureSession,
        ...(options.externalUrl && { externalUrl: options.externalUrl }),
        state: options.state,
        logger,
        ui: options.ui ?? false,
        ...(mtls && { mtls }),
      })
    : undefined
  // Certificates alone (no password method): only the certificate identifies anyone.
  const authentication =
    logins?.authentication ??
    (mtls && (await import('./authenticate')).authenticate({ ...failure, access, mtls, logger }))

  return {
    access,
    middleware: authentication ? [authentication, authorization] : [authorization],
    authenticating,
    metricsGuard: authorizeMetrics({ ...failure, access }),
    readable: (principal, repositories, c) => {
      if (principal === undefined && !access.configured) return [...repositories]
      return readableBy(access, principal ?? anonymousPrincipal(), repositories, c)
    },
    routes: (app) => logins?.routes(app),
    ...(logins && { ui: logins.ui }),
  }
}

/** The repositories `who` may read, judged on the request `c` when policies have conditions. */
function readableBy(
  access: AccessControl,
  who: Principal,
  repositories: readonly string[],
  c: Context<AppEnv> | undefined,
): string[] {
  const request = c && access.conditional ? { facts: requestFacts(c) } : undefined
  return repositories.filter((repository) => access.canRead(who, repository, request))
}

/** The key of session cookies: zot's `sessionKeysFile`; with a `sessionDriver` but no file, the
 * key the replicas share (sessions/shared-key.ts); otherwise none (a random one per process). */
async function sessionKeysOf(auth: AuthConfig, state: StateStore): Promise<{ sessionKeys?: SessionKeys }> {
  if (auth.sessionKeysFile) {
    const { readSessionKeysFile } = await import('./sessions/seal')
    return { sessionKeys: readSessionKeysFile(auth.sessionKeysFile) }
  }
  if (!auth.sessionDriver) return {}
  const { sharedSessionKeys } = await import('./sessions/shared-key')
  return { sessionKeys: await sharedSessionKeys(state) }
}
