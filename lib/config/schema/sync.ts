/**
 * @module
 * `extensions.sync` (docs/zot-compatibility.md 5.1): mirroring and pull-through caching of upstream
 * registries. Upstream credentials are never inline: they live in `credentialsFile`.
 */
import { HOUR, MINUTE, SECOND } from '../values/duration'
import { bool, duration, int, list, num, obj, oneOf, path, size, str } from './builder'

const content = obj(
  { description: 'Which upstream repositories to sync, and where to put them.' },
  {
    prefix: str({
      description: 'Doublestar glob over upstream repository names.',
      required: true,
      example: 'library/**',
    }),
    tags: obj(
      { description: 'Tag filters (periodic sync only).', optional: true },
      {
        regex: str({ description: 'Go regex a tag must match.' }),
        excludeRegex: str({ description: 'Go regex a tag must not match.' }),
        semver: bool({ description: 'Only tags that parse as semantic versions.' }),
      },
    ),
    destination: str({
      description: 'Local path the repositories are placed under; empty = the upstream name.',
      default: '',
      example: '/docker.io',
    }),
    stripPrefix: bool({
      description: 'Drop the literal part of `prefix` from local names.',
      default: false,
    }),
  },
)

const oauth2CredentialHelper = obj(
  { description: 'Options of the `oauth2` credential helper.', optional: true, status: 'implemented' },
  {
    tokenURL: str({ description: 'OAuth2 token endpoint.' }),
    assertionFile: path({ description: 'Pre-signed assertion, re-read on every refresh.' }),
    signingFile: path({ description: 'Key and claims used to mint assertions.' }),
    grantType: str({
      description: '`client_credentials` (default), the jwt-bearer or the token-exchange grant URN.',
    }),
    clientID: str({ description: 'OAuth2 client id.' }),
    clientSecretFile: path({ description: 'File holding the client secret.' }),
    scopes: list(str({ description: 'Scope.' }), { description: 'Scopes.', default: [] }),
    username: str({ description: 'Registry user name paired with the token (default `<token>`).' }),
    audience: str({ description: 'Token exchange only: target of the exchange (required there).' }),
    subjectTokenType: str({ description: 'Token exchange only: subject token type URI.' }),
    requestedTokenType: str({ description: 'Token exchange only: requested token type URI.' }),
  },
)

const registry = obj(
  { description: 'One upstream registry.' },
  {
    urls: list(str({ description: 'URL.' }), {
      description: 'Upstream URLs; the first is primary, the others are mirrors of it.',
      required: true,
      example: ['https://registry-1.docker.io'],
    }),
    onDemand: bool({ description: 'Pull through on manifest misses.', default: false }),
    pollInterval: duration({
      description: 'Periodic sync period; 0 = no periodic sync.',
      default: 0,
    }),
    content: list(content, {
      description: 'Filters and name mapping; none = every repository, same name.',
      default: [],
    }),
    tlsVerify: bool({ description: 'Verify the upstream TLS certificate.', default: true }),
    certDir: path({
      description: 'Directory with `*.cert`, `*.key` (client) and `*.crt` (CA) files.',
    }),
    maxRetries: int({
      description: 'Retries of a failed request (needs `retryDelay`).',
      default: 0,
      min: 0,
    }),
    retryDelay: duration({ description: 'First back-off delay.', default: 0 }),
    maxRetryDelay: duration({ description: 'Back-off cap.', filled: true, defaultNote: '`retryDelay`' }),
    onlySigned: bool({
      description: 'Skip images without a cosign or notation signature.',
      default: false,
    }),
    syncLegacyCosignTags: bool({
      description: 'Also sync `sha256-<digest>.sig/.sbom/.att` tags.',
      default: true,
    }),
    preserveDigest: bool({
      description: 'Accepted for compatibility: manifests are always stored unconverted, digests always kept.',
      default: false,
      deprecated: {
        reason:
          'digests are always kept: manifests are stored byte for byte, never converted, so this key has ' +
          'no effect (zot 2.1.22 deprecates it too)',
        fix: 'remove preserveDigest',
      },
    }),
    platforms: list(str({ description: '`os/arch`, `os/arch/variant` or just `arch`.', example: 'linux/amd64' }), {
      description:
        'Only these platforms of a multi-platform image are synced: periodic sync copies only their ' +
        'manifests and blobs, on demand the others answer 404; the index is kept byte for byte. None = all.',
      default: [],
      example: ['linux/amd64', 'linux/arm64'],
      status: 'implemented',
    }),
    architectures: list(str({ description: 'Architecture, e.g. `amd64`.' }), {
      description: 'The older spelling of `platforms`, architectures only.',
      default: [],
      status: 'implemented',
      deprecated: { reason: 'zot replaced it with `platforms`', fix: 'rename it to platforms' },
    }),
    // zot has no prefetch: a manifest check followed by an outage left an image that cannot be
    // pulled (docs/sync.md "Prefetch").
    prefetch: bool({
      description:
        'zot-bun extension: after a manifest is fetched on demand, fetch its blobs in the background ' +
        "(for an index: the `platforms`, else the platform asked for and this machine's), so the image " +
        'stays pullable if the upstream goes away.',
      default: false,
    }),
    syncTimeout: duration({
      description: 'Deadline of one sync, and HTTP client timeout.',
      default: 3 * HOUR,
    }),
    responseHeaderTimeout: duration({
      description: 'Wait for upstream response headers, and the longest a body may stall.',
      default: 30 * SECOND,
    }),
    // zot's 0 (ask upstream on every tag pull) burns Docker Hub rate limits and makes every hit
    // wait for the upstream (zot #3724, #3129, #4184); five minutes bounds the staleness of
    // `latest` to what most CI accepts.
    manifestCheckInterval: duration({
      description:
        'With `onDemand`: skip the upstream check of a tag checked this recently. Absent: 5 minutes (zot checks on every pull, burning rate limits); `0s` checks on every pull.',
      default: 5 * MINUTE,
      defaultNote: '5m (zot: 0)',
    }),
    reqConcurrent: int({ description: 'In-flight requests per upstream host.', default: 3 }),
    reqPerSec: num({ description: 'Requests per second per upstream host; absent = unlimited.' }),
    disableHTTP2: bool({
      description: 'Force HTTP/1.1 (the upstream client always speaks HTTP/1.1).',
      default: false,
      status: 'planned',
    }),
    maxIdleConnsPerHost: int({
      description: 'Idle connections kept per host.',
      defaultNote: '2 (or `reqConcurrent` with `disableHTTP2`)',
      status: 'planned',
    }),
    credentialHelper: oneOf(['ecr', 'gcp', 'oauth2'], {
      description:
        'Fetch short-lived credentials instead of `credentialsFile`: ECR authorization tokens, a Google ' +
        'access token (application default credentials), or an OAuth2 token (`oauth2CredentialHelper`).',
      status: 'implemented',
    }),
    oauth2CredentialHelper,
  },
)

export const sync = obj(
  { description: 'Mirror upstream registries.', optional: true, status: 'implemented' },
  {
    enable: bool({ description: 'On when the section is present.', default: true }),
    credentialsFile: path({
      description:
        'JSON file of upstream credentials keyed by registry host[:port] (no scheme): ' +
        '`{"ghcr.io": {"username": "u", "password": "p"}}`.',
    }),
    downloadDir: path({
      description:
        'Staging directory for blobs being pulled. Under the local storage root a verified blob ' +
        'is renamed into place, not copied.',
      filled: true,
      defaultNote: '`<rootDirectory>/.sync`; required with remote storage',
    }),
    registries: list(registry, { description: 'Upstreams, tried in order.', default: [] }),
    // zot has no budget: a Pi's SD card fills and the registry fails (docs/sync.md "Cache size on
    // small disks").
    cacheMaxBytes: size({
      description:
        'zot-bun: most bytes of pulled-through content to keep; past it, the least recently pulled ' +
        'cached images are evicted (never pushed content). Bytes or a size such as `"20GiB"`.',
      defaultNote: 'absent: no limit (zot)',
      example: '20GiB',
    }),
    cacheLowWatermark: size({
      description: 'zot-bun: an eviction pass goes on until cached content is at most this big.',
      defaultNote: '90% of `cacheMaxBytes`',
      example: '18GiB',
    }),
    cacheMinFreeBytes: size({
      description:
        'zot-bun: free space to keep on the disk that stores and stages pulls; below it, cached ' +
        'images are evicted, and a pull that still would not fit is served without caching.',
      defaultNote: 'absent: 0 (with `cacheMaxBytes`, images are still evicted to fit a blob)',
      example: '1GiB',
    }),
  },
)
