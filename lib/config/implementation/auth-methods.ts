/**
 * @module
 * Which login methods a config's `http.auth` sets, and whether this build implements each: the
 * schema's `status` decides, so when a method is implemented and its status flipped, configs
 * relying on it stop being refused everywhere at once (`verify-config` and `serve`).
 */
import type { AuthConfig } from '../schema'
import { auth as authSchema } from '../schema/auth'
import type { AnyNode } from '../schema/builder'
import { effectiveStatus, inheritedBy, type Inherited } from './status'

interface LoginMethod {
  /** How messages name it; also its key under `http.auth`. */
  name: string
  /** The schema node whose status says whether it works, under `http.auth`. */
  schemaPath: readonly string[]
  isSet(auth: AuthConfig): boolean
}

/** zot's methods (`IsBasicAuthnEnabled`, `IsBearerAuthEnabled`, mTLS), bearer split by the key
 * that supplies its token keys, since each may be implemented at its own time. */
const LOGIN_METHODS: readonly LoginMethod[] = [
  { name: 'htpasswd', schemaPath: ['htpasswd'], isSet: (auth) => Boolean(auth.htpasswd?.path) },
  { name: 'ldap', schemaPath: ['ldap'], isSet: (auth) => auth.ldap !== undefined },
  { name: 'bearer', schemaPath: ['bearer', 'cert'], isSet: (auth) => Boolean(auth.bearer?.cert) },
  {
    name: 'bearer.awsSecretsManager',
    schemaPath: ['bearer', 'awsSecretsManager'],
    isSet: (auth) => auth.bearer?.awsSecretsManager !== undefined,
  },
  { name: 'bearer.oidc', schemaPath: ['bearer', 'oidc'], isSet: (auth) => (auth.bearer?.oidc.length ?? 0) > 0 },
  {
    name: 'openid',
    schemaPath: ['openid'],
    isSet: (auth) => Object.keys(auth.openid?.providers ?? {}).length > 0,
  },
  { name: 'apikey', schemaPath: ['apikey'], isSet: (auth) => auth.apikey },
  { name: 'mtls', schemaPath: ['mtls'], isSet: (auth) => auth.mtls !== undefined },
]

/** The status of the node at `path` under `http.auth` (which, like `http`, carries none). */
function statusAt(path: readonly string[]) {
  let node: AnyNode = authSchema
  let inherited: Inherited
  for (const key of path) {
    if (node.kind !== 'object') break
    const child: AnyNode | undefined = node.fields[key]
    if (!child) break
    inherited = inheritedBy(node, inherited)
    node = child
  }
  return effectiveStatus(node, inherited)
}

const implemented = (method: LoginMethod): boolean => statusAt(method.schemaPath) === 'implemented'

/** True when this build implements the named method (see `LOGIN_METHODS`). */
export function isLoginImplemented(name: string): boolean {
  const method = LOGIN_METHODS.find((candidate) => candidate.name === name)
  return method !== undefined && implemented(method)
}

/** The names of the login methods this build implements, for messages. */
export const implementedLoginMethods = (): string[] => LOGIN_METHODS.filter(implemented).map(({ name }) => name)

const loginsInUse = (auth: AuthConfig | undefined): LoginMethod[] =>
  auth ? LOGIN_METHODS.filter((method) => method.isSet(auth)) : []

/** The methods set that this build does not implement yet (nobody logs in with them). */
export const unimplementedLoginsInUse = (auth: AuthConfig | undefined): string[] =>
  loginsInUse(auth)
    .filter((method) => !implemented(method))
    .map(({ name }) => name)

/** The methods set when every one of them is not implemented yet (serving would drop
 * authentication); empty when some method works or none is set. */
export function onlyUnimplementedLogins(auth: AuthConfig | undefined): string[] {
  const inUse = loginsInUse(auth)
  return inUse.some(implemented) ? [] : inUse.map(({ name }) => name)
}
