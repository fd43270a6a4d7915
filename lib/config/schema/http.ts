/**
 * @module
 * `http` (docs/zot-compatibility.md 2.3, 2.5): listener, TLS, timeouts, rate limits, and access control.
 * Authentication lives in `auth.ts`.
 */
import { SECOND } from '../values/duration'
import { auth } from './auth'
import { duration, int, list, map, obj, oneOf, path, port, str } from './builder'

const action = oneOf(['read', 'create', 'update', 'delete', 'detectManifestCollision'], {
  description: 'Action.',
})
const actions = (description: string) => list(action, { description, default: [] })

const names = (what: string) => list(str({ description: what }), { description: `${what}s.`, default: [] })

const conditions = list(
  obj(
    { description: 'A CEL condition.' },
    {
      expression: str({
        description: 'CEL boolean expression over `req` (docs/auth.md "Conditions"); compiled at load.',
        required: true,
      }),
      message: str({ description: 'Reason returned in the 403 body (`detail.reason`) when false.', default: '' }),
    },
  ),
  {
    description:
      'All must be true for the grant to apply; false or an evaluation error and the entry does not grant (zot v2.1.17).',
    default: [],
    status: 'implemented',
  },
)

const policy = obj(
  { description: 'A grant to users and groups.' },
  {
    users: names('User name'),
    groups: names('Group name'),
    actions: actions('Actions granted.'),
    conditions,
  },
)

const accessControl = obj(
  { description: 'Authorization.', optional: true, status: 'implemented' },
  {
    repositories: map(
      obj(
        { description: 'Grants on the repositories matching the glob.' },
        {
          policies: list(policy, { description: 'User and group grants.', default: [] }),
          defaultPolicy: actions('Actions for any authenticated user.'),
          anonymousPolicy: actions('Actions for unauthenticated requests.'),
        },
      ),
      {
        description: 'Grants by repository glob; the longest matching glob applies.',
        keyDoc: 'repository glob',
        default: {},
      },
    ),
    adminPolicy: policy,
    groups: map(obj({ description: 'A static group.' }, { users: names('User name') }), {
      description: 'Static groups.',
      keyDoc: 'group name',
      default: {},
    }),
    metrics: obj(
      { description: 'Who may read `/metrics`.' },
      {
        users: names('User name'),
        anonymousPolicy: actions('`["read"]` allows anonymous scraping.'),
      },
    ),
  },
)

const tls = obj(
  { description: 'Serve HTTPS.', optional: true, status: 'implemented' },
  {
    cert: path({ description: 'Certificate (PEM).' }),
    key: path({ description: 'Private key (PEM).' }),
    cacert: path({
      description:
        'CA for client certificates (mTLS): a client may present one, which must be signed by this CA; its identity (`http.auth.mtls`) is the user.',
      status: 'implemented',
    }),
  },
)

const ratelimit = obj(
  {
    description: 'Request rate limits per client (429 with Retry-After beyond them; health probes are exempt).',
    optional: true,
    status: 'implemented',
  },
  {
    rate: int({ description: 'Requests per second, per client.', min: 1 }),
    methods: list(
      obj(
        { description: 'Limit for one HTTP method.' },
        {
          method: str({ description: 'HTTP method.', required: true }),
          rate: int({ description: 'Requests per second.', required: true, min: 1 }),
        },
      ),
      { description: 'Per-method limits.', default: [] },
    ),
  },
)

const timeout = (what: string) =>
  duration({
    description: `${what} Acts as an idle timeout (at most 255 s): a transfer that keeps moving is never cut. ≤0 = none.`,
    default: 60 * SECOND,
    status: 'implemented',
  })

export const http = obj(
  { description: 'The HTTP listener.' },
  {
    address: str({ description: 'Listen address.', default: '127.0.0.1', status: 'implemented' }),
    port: port({
      description: 'Listen port; 0 picks a free one.',
      default: 8080,
      status: 'implemented',
    }),
    externalUrl: str({
      description: 'Public URL, used for OpenID redirects.',
      status: 'implemented',
      example: 'https://registry.example.com',
    }),
    realm: str({
      description: 'Realm of the Basic challenge; empty sends `Authorization Required`.',
      default: '',
      status: 'implemented',
    }),
    allowOrigin: str({
      description: 'CORS `Access-Control-Allow-Origin` (comma list).',
      default: '',
      status: 'implemented',
    }),
    readTimeout: timeout('Read timeout.'),
    writeTimeout: timeout('Write timeout.'),
    tls,
    compat: list(oneOf(['docker2s2'], { description: 'Compatibility mode.' }), {
      description: 'Accept Docker image manifests (`docker2s2`).',
      default: [],
      status: 'implemented',
    }),
    ratelimit,
    auth,
    accessControl,
  },
)
