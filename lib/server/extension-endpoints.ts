/**
 * @module
 * What `GET /v2/_oci/ext/discover` and `GET /v2/_zot/ext/mgmt` answer for a configuration, in
 * zot's shapes (docs/zot-compatibility.md 2.7): discover lists the `_zot` endpoints this server
 * has; mgmt exists only with search on and tells clients (zui, `zli`) the version and which
 * sign-in methods to offer, never a path, secret or LDAP detail.
 */
import type { Config } from '../config'
import type { ExtensionEndpoints } from '../http/routes/extensions'
import { COMMIT, DIST_SPEC_VERSION, VERSION } from '../version'

/** The zot release whose API and config this build implements; zot's clients compare it. */
export const ZOT_RELEASE_TAG = 'v2.1.22'

const SEARCH = '/v2/_zot/ext/search'
const USER_PREFS = '/v2/_zot/ext/userprefs'
const MGMT = '/v2/_zot/ext/mgmt'

export function extensionEndpoints(config: Config): ExtensionEndpoints {
  const search = config.extensions?.search?.enable === true
  const ui = config.extensions?.ui?.enable === true
  // zot's order; image-trust endpoints (notation, cosign) are not implemented, so not listed.
  const endpoints = [...(search ? [SEARCH] : []), ...(search && ui ? [USER_PREFS] : []), ...(search ? [MGMT] : [])]
  return {
    discover: {
      extensions:
        endpoints.length === 0
          ? []
          : [
              {
                name: '_zot',
                url: `https://github.com/project-zot/zot/blob/${ZOT_RELEASE_TAG}/pkg/extensions/_zot.md`,
                description: 'zot registry extensions',
                endpoints,
              },
            ],
    },
    ...(search && { mgmt: managementInfo(config) }),
  }
}

/** zot's stripped configuration: version fields and the sign-in methods a client may use. */
function managementInfo(config: Config): Record<string, unknown> {
  return {
    distSpecVersion: DIST_SPEC_VERSION,
    commit: COMMIT,
    releaseTag: ZOT_RELEASE_TAG,
    binaryType: `-zot-bun-${VERSION}`,
    http: config.http.auth ? { auth: signInMethods(config.http.auth) } : {},
  }
}

type AuthConfig = NonNullable<Config['http']['auth']>

/**
 * zot's rules: `htpasswd` (always `{}`: the path stays private) when a password file or LDAP
 * takes user names and passwords; `bearer` with its realm and service; each OpenID provider by
 * its display name; `apikey` only when true.
 */
function signInMethods(auth: AuthConfig): Record<string, unknown> {
  const providers = Object.fromEntries(
    Object.entries(auth.openid?.providers ?? {}).map(([id, provider]) => [id, { name: provider.name }]),
  )
  return {
    ...((auth.htpasswd?.path || auth.ldap) && { htpasswd: {} }),
    ...(auth.bearer && {
      bearer: {
        ...(auth.bearer.realm && { realm: auth.bearer.realm }),
        ...(auth.bearer.service && { service: auth.bearer.service }),
      },
    }),
    ...(Object.keys(providers).length > 0 && { openid: { providers } }),
    ...(auth.apikey && { apikey: true }),
  }
}
