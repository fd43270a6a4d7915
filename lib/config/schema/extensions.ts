/**
 * @module
 * `extensions` (docs/zot-compatibility.md 2.7). Each extension is on as soon as its section is present
 * (`enable` defaults to true), which is why every section here is optional.
 */
import { HOUR, SECOND } from '../values/duration'
import { bool, duration, list, map, obj, oneOf, path, str, type Fields } from './builder'
import { sync } from './sync'

const enable = bool({ description: 'On when the section is present.', default: true })

/** An extension section: optional, planned until implemented, with `enable`. */
function extension<const F extends Fields>(
  description: string,
  fields: F,
  status: 'planned' | 'implemented' = 'planned',
) {
  return obj({ description, optional: true, status }, { enable, ...fields })
}

const searchFields = {
  cve: obj(
    { description: 'Vulnerability scanning with Trivy.', optional: true, status: 'planned' },
    {
      updateInterval: duration({
        description: 'Vulnerability DB refresh period (at least 2h).',
        default: 2 * HOUR,
      }),
      trivy: obj(
        { description: 'Trivy databases.' },
        {
          dbRepository: str({
            description: 'Trivy DB image.',
            default: 'ghcr.io/aquasecurity/trivy-db',
          }),
          javaDBRepository: str({
            description: 'Trivy Java DB image.',
            default: 'ghcr.io/aquasecurity/trivy-java-db',
          }),
          vulnSeveritySources: list(str({ description: 'Source.' }), {
            description: 'Severity sources.',
            default: ['auto'],
          }),
          sbom: obj(
            { description: 'SBOM scanning.', optional: true },
            {
              enable: bool({ description: 'Scan SBOMs.', default: true }),
              format: oneOf(['spdx-json', 'cyclonedx'], {
                description: 'SBOM format.',
                default: 'spdx-json',
              }),
            },
          ),
        },
      ),
    },
  ),
}
// Search (and zot's userprefs with the UI) is served; CVE scanning is not (its queries answer
// zot's "cve search is disabled").
const search = extension('GraphQL search API (`/v2/_zot/ext/search`).', searchFields, 'implemented')

/** The CloudEvents `source` and the prefix of every event `type`. zot 2.1.22 added them; the
 * source of that release is not at hand, so they are accepted both for all sinks and per sink
 * (a sink's own value wins) rather than refusing a config zot takes. */
const cloudEventNaming = {
  source: str({
    description: 'CloudEvents `source` of the events.',
    defaultNote: '`zotregistry.dev`',
  }),
  typePrefix: str({
    description: 'Prefix of the event types (`<typePrefix>.image.updated`).',
    defaultNote: '`zotregistry`',
  }),
}

const sink = obj(
  { description: 'One event sink.' },
  {
    type: oneOf(['http', 'nats'], { description: 'Sink type.', required: true }),
    ...cloudEventNaming,
    address: str({ description: 'Endpoint URL.', required: true }),
    channel: str({ description: 'NATS subject.' }),
    timeout: duration({ description: 'Delivery timeout.', default: 30 * SECOND }),
    proxy: str({ description: 'HTTP proxy URL.' }),
    headers: map(str({ description: 'Header value.' }), {
      description: 'Extra HTTP headers.',
      keyDoc: 'header name',
    }),
    credentials: obj(
      { description: 'Sink credentials.', optional: true },
      {
        username: str({ description: 'User name.' }),
        password: str({ description: 'Password.' }),
        file: path({ description: 'Credentials file.' }),
        token: str({ description: 'Token.' }),
      },
    ),
    tlsconfig: obj(
      { description: 'Client TLS.', optional: true },
      {
        cacertfile: path({ description: 'CA certificate.' }),
        certfile: path({ description: 'Client certificate.' }),
        keyfile: path({ description: 'Client key.' }),
      },
    ),
  },
)

const ignored = (what: string) =>
  obj(
    {
      description: `Accepted but ignored (${what}).`,
      optional: true,
      status: 'planned',
    },
    { enable: bool({ description: 'Ignored.' }) },
  )

export const extensions = obj(
  { description: 'Optional features.', optional: true },
  {
    sync,
    search,
    ui: extension('The web UI (needs `search`).', {}, 'implemented'),
    metrics: extension(
      'Prometheus metrics.',
      {
        prometheus: obj(
          { description: 'Exporter settings.' },
          {
            path: str({ description: 'Metrics route.', default: '/metrics' }),
          },
        ),
      },
      'implemented',
    ),
    scrub: extension(
      'Background integrity check.',
      {
        interval: duration({ description: 'Period (at least 2h).', default: 24 * HOUR }),
      },
      'implemented',
    ),
    lint: extension(
      'Refuse pushed OCI image manifests missing annotations (on the manifest or as config labels).',
      {
        mandatoryAnnotations: list(str({ description: 'Annotation key.' }), {
          description: 'Required annotations.',
          default: [],
        }),
      },
      'implemented',
    ),
    trust: extension('Signature verification.', {
      cosign: bool({ description: 'Verify cosign signatures.', default: false }),
      notation: bool({ description: 'Verify notation signatures.', default: false }),
    }),
    events: extension(
      'CloudEvents notifications of repository and image changes (http and nats sinks).',
      {
        ...cloudEventNaming,
        sinks: list(sink, { description: 'Where events go.', default: [] }),
      },
      'implemented',
    ),
    mgmt: ignored('enabled by `search`'),
    apikey: ignored('use `http.auth.apikey`'),
  },
)
