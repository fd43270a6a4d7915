/**
 * @module
 * `http.auth` (docs/zot-compatibility.md 2.4): htpasswd, LDAP, bearer tokens, OpenID/OAuth2 login, API
 * keys, sessions and mTLS identities. Every method is a separate feature with its own status.
 */
import { MINUTE } from '../values/duration'
import { bool, duration, freeMap, int, list, map, obj, oneOf, path, str } from './builder'

const inlineBind = {
  reason: 'inline bindDN/bindPassword are an old zot format; current zot reads them only from `credentialsFile`',
  fix: 'move them to a JSON file {"bindDN": ..., "bindPassword": ...} and set credentialsFile to its path',
}

const htpasswd = obj(
  {
    description: 'Users from an htpasswd file (bcrypt, SHA-crypt).',
    optional: true,
    status: 'implemented',
  },
  {
    path: path({
      description: 'The htpasswd file; reloaded when it changes.',
      example: '/etc/zot/htpasswd',
      required: true,
    }),
  },
)

const ldap = obj(
  { description: 'Users from an LDAP directory.', optional: true, status: 'implemented' },
  {
    credentialsFile: path({
      description: 'File with `{"bindDN": ..., "bindPassword": ...}`; without it zot binds anonymously.',
    }),
    address: str({ description: 'LDAP server host.', example: 'ldap.example.com' }),
    port: int({ description: 'LDAP server port.', min: 0, max: 65535 }),
    insecure: bool({ description: 'Plain LDAP without TLS.', default: false }),
    startTLS: bool({
      description: 'StartTLS on a plain connection instead of LDAPS (also with `insecure`, as zot does).',
      default: false,
    }),
    skipVerify: bool({ description: 'Do not verify the server certificate.', default: false }),
    caCert: path({ description: 'CA certificate for the server (else the system pool).' }),
    baseDN: str({ description: 'Search base. Required.', example: 'ou=users,dc=example,dc=com' }),
    userAttribute: str({
      description: 'Attribute matched against the user name. Required.',
      example: 'uid',
    }),
    userFilter: str({ description: 'Extra filter AND-ed to the user search.' }),
    userGroupAttribute: str({
      description: 'Attribute whose values become group names (e.g. `memberOf`).',
    }),
    subtreeSearch: bool({
      description: 'Search the whole subtree instead of one level.',
      default: false,
    }),
    bindDN: str({
      description: 'Bind DN. Filled from `credentialsFile` when that is set.',
      deprecated: inlineBind,
    }),
    bindPassword: str({
      description: 'Bind password. Filled from `credentialsFile` when that is set.',
      deprecated: inlineBind,
    }),
  },
)

const celExpression = { expression: str({ description: 'CEL expression.', required: true }) }

const bearer = obj(
  {
    description: 'Bearer tokens (external token server or OIDC workload identity).',
    optional: true,
    status: 'implemented',
  },
  {
    realm: str({ description: 'Token server URL announced in the challenge.' }),
    service: str({ description: 'Service name announced in the challenge (and the accepted token `aud`).' }),
    cert: path({
      description:
        "Checks the tokens' signatures: the token server's certificate, its public key (PEM) or a JWKS with one key.",
    }),
    awsSecretsManager: obj(
      {
        description:
          "Verification keys from an AWS Secrets Manager secret: a JSON object from key id (the token's `kid`) to PEM public key, certificate or one-key JWKS.",
        optional: true,
        status: 'implemented',
      },
      {
        region: str({ description: 'AWS region of the secret. Required.', example: 'us-east-1' }),
        secretName: str({ description: 'Name or ARN of the secret. Required.', example: 'zot/token-keys' }),
        refreshInterval: duration({
          description: 'How long the keys are cached before the secret is read again (`0`: a minute, as in zot).',
          default: MINUTE,
        }),
      },
    ),
    oidc: list(
      obj(
        { description: 'One trusted OIDC issuer.' },
        {
          issuer: str({
            description: 'Issuer URL; its discovery document and JWKS are fetched on first use, then every minute.',
            example: 'https://kubernetes.default.svc.cluster.local',
            required: true,
          }),
          audiences: list(str({ description: 'Audience.' }), {
            description: 'Accepted audiences: the token must name at least one. Required.',
            default: [],
          }),
          claimMapping: obj(
            {
              description:
                'CEL claim validation and mapping over `claims` and `vars` (`matches` only with a literal pattern; no iteration over token data inside another iteration).',
              optional: true,
            },
            {
              variables: list(
                obj(
                  { description: 'A named CEL variable.' },
                  {
                    name: str({ description: 'Variable name.', required: true }),
                    ...celExpression,
                  },
                ),
                { description: 'Variables extracted from the claims.', default: [] },
              ),
              validations: list(
                obj(
                  { description: 'A CEL check.' },
                  {
                    ...celExpression,
                    message: str({
                      description: 'Error returned when the check is false.',
                      default: '',
                    }),
                  },
                ),
                { description: 'Checks every token must pass.', default: [] },
              ),
              username: str({
                description: 'CEL expression for the user name.',
                default: "claims.iss + '/' + claims.sub",
              }),
              groups: str({ description: 'CEL expression for the groups (a list of strings).', default: '' }),
            },
          ),
          certificateAuthority: str({ description: 'PEM CA for the issuer.' }),
          certificateAuthorityFile: path({ description: 'File with a PEM CA for the issuer.' }),
          skipIssuerVerification: bool({ description: 'For tests only.', default: false }),
        },
      ),
      {
        description: 'OIDC workload identity: issuers whose ID tokens are accepted as `Authorization: Bearer`.',
        default: [],
        status: 'implemented',
      },
    ),
    upstreamTokenEndpoint: obj(
      {
        description:
          'With `oidc`: the token server that token requests to `/zot/auth/token` go to when no OIDC issuer owns their credentials.',
        optional: true,
        status: 'implemented',
      },
      {
        realm: str({ description: 'Absolute https URL of the token endpoint.' }),
        service: str({ description: 'Service name.' }),
        allowInsecureHttp: bool({ description: 'Allow an http realm.', default: false }),
      },
    ),
  },
)

/** GitHub.com's authorization endpoint: `authurl` of a `github` provider that sets none. */
export const GITHUB_AUTH_URL = 'https://github.com/login/oauth/authorize'
/** Where GitHub (.com and Enterprise) takes the code: `tokenurl` is this path on `authurl`'s origin. */
export const GITHUB_TOKEN_PATH = '/login/oauth/access_token'

/** zot's claims for the user name and the groups; an empty claim name also means these. */
export const CLAIM_MAPPING_DEFAULTS = { username: 'email', groups: 'groups' } as const

const openidProvider = obj(
  { description: 'One OpenID Connect or OAuth2 provider.' },
  {
    credentialsFile: path({ description: 'File with `{"clientid": ..., "clientsecret": ...}`.' }),
    name: str({
      description: 'Display name on the login page.',
      filled: true,
      defaultNote: 'the provider kind; `GitHub` for `github`',
    }),
    clientid: str({
      description: 'Client id. Filled from `credentialsFile` when that is set (inline is deprecated).',
    }),
    clientsecret: str({
      description: 'Client secret. Filled from `credentialsFile` when that is set (inline is deprecated).',
    }),
    keypath: str({ description: 'Key file for signing (rarely needed).' }),
    issuer: str({ description: 'Issuer URL (OIDC providers).' }),
    authurl: str({
      description:
        'GitHub Enterprise authorization URL (`https://<host>/login/oauth/authorize`); the REST ' +
        'API is then `https://<host>/api/v3`.',
      defaultNote: `\`${GITHUB_AUTH_URL}\` (GitHub.com) for \`github\`; none for the other kinds`,
    }),
    tokenurl: str({
      description: 'GitHub token URL.',
      defaultNote: `for \`github\`: \`${GITHUB_TOKEN_PATH}\` on the origin of \`authurl\` (its code must not go to another host)`,
    }),
    scopes: list(str({ description: 'Scope.' }), {
      description:
        'Scopes to request; required. OpenID Connect: e.g. `["openid", "profile", "email"]` (without ' +
        '`email` the default user-name claim is missing); GitHub: `["read:org", "user:email"]`.',
      default: [],
    }),
    claimMapping: obj(
      { description: 'Which claims name the user and the groups.' },
      {
        username: str({
          description: 'Claim for the user name; empty = `email`. A user named by `email` needs `email_verified`.',
          default: CLAIM_MAPPING_DEFAULTS.username,
        }),
        groups: str({
          description: 'Claim for the groups; empty = `groups`.',
          default: CLAIM_MAPPING_DEFAULTS.groups,
        }),
      },
    ),
  },
)

const openid = obj(
  {
    description: 'Browser login through OpenID Connect (`oidc`, `google`, `gitlab`) or GitHub OAuth2 (`github`).',
    optional: true,
    status: 'implemented',
  },
  {
    providers: map(openidProvider, {
      description: 'Providers by kind: `google`, `gitlab`, `oidc` (OpenID Connect) or `github` (OAuth2).',
      keyDoc: 'provider kind',
      keyCase: 'lower',
      default: {},
    }),
    callbackAllowOrigins: list(str({ description: 'Origin URL.' }), {
      description: 'Absolute origins allowed as `callback_ui`.',
      default: [],
    }),
  },
)

const mtlsIdentityAttributes = [
  'CommonName',
  'CN',
  'Subject',
  'DN',
  'Email',
  'rfc822name',
  'URI',
  'URL',
  'DNSName',
  'DNS',
] as const

const mtls = obj(
  {
    description:
      'Which certificate attribute names the user, for clients with a certificate signed by `http.tls.cacert`.',
    optional: true,
    status: 'implemented',
  },
  {
    identityAttributes: list(oneOf(mtlsIdentityAttributes, { description: 'Certificate attribute.' }), {
      description: 'Certificate attributes tried in order; the first with a value wins.',
      default: ['CommonName'],
    }),
    uriSanPattern: str({
      description: 'Regex applied to the URI SAN; capture group 1 is the identity.',
    }),
    uriSanIndex: int({ description: 'Which URI SAN to use.', default: 0, min: 0 }),
    dnsSanIndex: int({ description: 'Which DNS SAN to use.', default: 0, min: 0 }),
    emailSanIndex: int({ description: 'Which email SAN to use.', default: 0, min: 0 }),
  },
)

export const auth = obj(
  { description: 'Authentication.', optional: true },
  {
    failDelay: int({
      description: 'Seconds to wait before answering a failed login.',
      default: 0,
      min: 0,
      status: 'implemented',
    }),
    htpasswd,
    ldap,
    bearer,
    openid,
    apikey: bool({
      description: 'API keys (`/zot/auth/apikey`).',
      default: false,
      defaultNote: 'false; forced to true when `openid` is configured',
      status: 'implemented',
    }),
    sessionKeysFile: path({
      description: 'File with `{"hashKey": ..., "encryptKey": ...}` for session cookies.',
      status: 'implemented',
    }),
    sessionDriver: freeMap({
      description:
        'Session store: `{"name": "local"}` or `{"name": "redis", "url": ...}`. Sessions here are sealed cookies: ' +
        'without `sessionKeysFile` the key is kept with the registry data, so replicas on one storage share ' +
        'sessions (and logouts) and restarts keep them; Redis itself is not contacted.',
      status: 'implemented',
    }),
    secureSession: bool({
      description: 'Set the cookie `Secure` flag without TLS.',
      default: false,
      status: 'implemented',
    }),
    mtls,
  },
)

export const sessionDriverNames = ['local', 'redis'] as const
export const oidcProviderKinds = ['google', 'gitlab', 'oidc'] as const
export const oauth2ProviderKinds = ['github'] as const
