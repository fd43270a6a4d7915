/**
 * @module
 * `storage` (docs/zot-compatibility.md 2.1, 2.2). The default store and each `subPaths` entry share one
 * field set; they differ only in defaults (sub-stores do not inherit the top-level ones: their
 * `dedupe` and `gc` are false unless set) and in two keys only the top level has.
 */
import { HOUR } from '../values/duration'
import { bool, duration, type FreeMap, freeMap, int, list, map, num, type ObjectOf, obj, path, str } from './builder'

const MiB = 1024 * 1024

/**
 * The parameters of distribution's `s3-aws` driver that zot embeds (lower-case keys), plus
 * zot-bun's `maxsockets`. Other keys (`loglevel`, `v4auth`...) pass through unread: the SDK
 * always signs with SigV4 and logs through the registry's logger.
 */
const s3DriverParams = {
  region: str({
    description: 'S3: AWS region of the bucket.',
    default: '',
    defaultNote: '`us-east-1` when `regionendpoint` is set; otherwise required',
    example: 'us-east-1',
  }),
  bucket: str({ description: 'S3: bucket name.', required: true, example: 'zot' }),
  regionendpoint: str({
    description:
      'S3: endpoint of an S3-compatible server; a scheme is added from `secure` when missing. ' + 'Empty means AWS.',
    defaultNote: 'AWS; `http://s3.<region>.amazonaws.com` when `secure` is false',
    example: 'http://minio:9000',
  }),
  forcepathstyle: bool({
    description: 'S3: path-style URLs (`endpoint/bucket/key`) instead of virtual-hosted buckets.',
    filled: true,
    defaultNote: 'true when `regionendpoint` is set, else false',
  }),
  secure: bool({ description: 'S3: HTTPS (the scheme of an endpoint written without one).', default: true }),
  skipverify: bool({ description: 'S3: accept any TLS certificate.', default: false }),
  accesskey: str({ description: 'S3: access key; without it, the AWS credential chain is used.' }),
  secretkey: str({ description: 'S3: secret key; set together with `accesskey`.' }),
  sessiontoken: str({ description: 'S3: session token of temporary credentials.' }),
  rootdirectory: str({
    description: 'S3: key prefix; keys carry it twice (`zot/zot/<repo>/...`), as zot lays them out.',
    example: '/zot',
  }),
  chunksize: num({
    description: 'S3: part size of uploads (5 MiB to 5 GiB); also the most an upload buffers in memory.',
    default: 10 * MiB,
    min: 0,
  }),
  storageclass: str({
    description: 'S3: storage class of written objects; `NONE` sends none.',
    default: 'STANDARD',
  }),
  objectacl: str({ description: 'S3: canned ACL of written objects.', default: 'private' }),
  encrypt: bool({ description: 'S3: server-side encryption (SSE-S3, or SSE-KMS with `keyid`).', default: false }),
  keyid: str({ description: 'S3: KMS key of SSE-KMS.' }),
  useragent: str({ description: 'S3: User-Agent of requests.' }),
  usedualstack: bool({ description: 'S3: dual-stack (IPv6) endpoints.', default: false }),
  accelerate: bool({ description: 'S3: transfer acceleration endpoints.', default: false }),
  multipartcopychunksize: num({
    description: 'S3: size of the ranges a multipart server-side copy splits an object into.',
    default: 32 * MiB,
    min: 0,
  }),
  multipartcopymaxconcurrency: num({
    description: 'S3: parallel part copies of one multipart server-side copy.',
    default: 100,
    min: 0,
  }),
  multipartcopythresholdsize: num({
    description:
      "S3: objects above this size are copied in parallel ranges. 5 GiB (CopyObject's limit), unlike " +
      "distribution's 32 MiB: Ceph RGW copies a whole object far faster in one request.",
    default: 5 * 1024 * MiB,
    min: 0,
  }),
  maxsockets: num({
    description:
      'S3 (zot-bun only): idle connections kept open to the endpoint for reuse. Requests in flight (a blob download holds one until its last byte) are bounded by Bun: BUN_CONFIG_MAX_HTTP_REQUESTS, 256 by default.',
    default: 256,
    min: 0,
  }),
}

/** A decoded `storageDriver` with `name: s3`: its known parameters resolved, other keys as written. */
export type S3DriverConfig = ObjectOf<typeof s3DriverParams> & FreeMap & { name: 's3' }

/** The driver settings as S3 parameters when `name` is `s3` (the decoder then resolved them). */
export function s3DriverConfig(driver: FreeMap | undefined): S3DriverConfig | undefined {
  return driver?.name === 's3' ? (driver as S3DriverConfig) : undefined
}

/** Rules shared by `keepTags[]` entries and `keepUntagged`; they are OR-ed. */
const ageAndCountRules = {
  pulledWithin: duration({ description: 'Keep when last pulled (or pushed) within this time.' }),
  pushedWithin: duration({ description: 'Keep when pushed within this time.' }),
  mostRecentlyPushedCount: int({
    description: 'Keep the N most recently pushed.',
    default: 0,
    min: 0,
  }),
  mostRecentlyPulledCount: int({
    description: 'Keep the N most recently pulled.',
    default: 0,
    min: 0,
  }),
}

const retentionPolicy = obj(
  { description: 'One retention policy.' },
  {
    repositories: list(str({ description: 'Repository glob (doublestar syntax).' }), {
      description: 'Repositories this policy applies to. The first policy that matches wins.',
      default: [],
      example: ['infra/**'],
    }),
    deleteReferrers: bool({
      description: 'Remove manifests whose `subject` is gone (after `retention.delay`).',
      default: false,
    }),
    deleteUntagged: bool({
      description: 'Remove untagged manifests no index refers to (after `retention.delay`).',
      default: true,
    }),
    keepTags: list(
      obj(
        { description: 'Which tags to keep.' },
        {
          patterns: list(str({ description: 'Unanchored Go regular expression.' }), {
            description: 'Tags this entry owns; empty matches every tag.',
            default: [],
          }),
          ...ageAndCountRules,
        },
      ),
      {
        description:
          'When non-empty, every tag no entry keeps is deleted. The first entry whose patterns ' +
          'match a tag owns it.',
        default: [],
      },
    ),
    keepUntagged: obj(
      {
        description: 'The same rules applied to untagged manifests (needs MetaDB).',
        optional: true,
      },
      ageAndCountRules,
    ),
  },
)

const retention = obj(
  { description: 'Tag and manifest retention, run with GC.', status: 'implemented' },
  {
    dryRun: bool({
      description: 'Only log what would be deleted; delete nothing.',
      default: false,
    }),
    delay: duration({
      description: 'Minimum age before untagged manifests and orphan referrers are removed.',
      filled: true,
      defaultNote: '`gcDelay` of the same store when its `gc` is on, else 0',
    }),
    policies: list(retentionPolicy, { description: 'Policies, first match wins.', default: [] }),
  },
)

type Level = 'global' | 'subPath'

/**
 * The keys of one store. Implemented keys are marked here; the rest are planned, said explicitly
 * because a sub-store's keys would otherwise inherit `subPaths`' own `implemented`.
 */
function storeFields(level: Level) {
  const global = level === 'global'
  const gcTiming = (what: string) =>
    duration({
      description: what,
      status: 'implemented',
      default: global ? HOUR : 0,
      defaultNote: global ? '1h; 0 when `gc` is false and the key is absent' : '1h when `gc` is true, else 0',
    })
  return {
    rootDirectory: path({
      description:
        'Directory of the store. With a remote driver it still holds the local databases, so it is required ' +
        'there too (zot stops at start without it: "no storage config provided").',
      status: 'implemented',
      required: true,
      example: '/var/lib/zot',
    }),
    dedupe: bool({
      description: "Store identical blobs once (hard links locally, zot's zero-byte placeholders on S3).",
      status: 'implemented',
      default: global,
    }),
    remoteCache: bool({
      description: 'Keep the dedupe cache and MetaDB in `cacheDriver` (Redis or DynamoDB).',
      status: 'planned',
      default: false,
      defaultNote: 'true when `storageDriver` is set, `dedupe` is true and the key is absent',
    }),
    gc: bool({
      description: 'Run garbage collection periodically.',
      status: 'implemented',
      default: global,
    }),
    gcDelay: gcTiming('Minimum age of an unreferenced blob or upload before GC removes it.'),
    gcInterval: gcTiming('Time between GC sweeps.'),
    gcTimeWindow: str({
      status: 'implemented',
      description: 'UTC window `HH:MM-HH:MM` in which a sweep may start; may wrap midnight.',
      example: '01:00-05:00',
    }),
    commit: bool({ description: 'fsync every write.', status: 'implemented', default: false }),
    maxRepos: int({
      description: 'Refuse (429) a push that would create more repositories than this; 0 = no limit.',
      // zot enforces the top-level limit only (over every store); a sub-store's is read and ignored.
      status: global ? 'implemented' : 'planned',
      default: 0,
      min: 0,
    }),
    redirectBlobURL: bool({
      status: 'implemented',
      description: 'Remote drivers only: answer blob GETs with a 307 to a presigned URL.',
      default: false,
    }),
    storageDriver: freeMap({
      status: 'implemented',
      description:
        'Remote storage: `name` (`s3`; `gcs` and `azure` are not implemented) plus the driver parameters ' +
        '(S3: `region`, `bucket`, `regionendpoint`, `forcepathstyle`, `secure`, ...).',
      example: { name: 's3', region: 'us-east-1', bucket: 'zot' },
      known: { s3: s3DriverParams },
    }),
    cacheDriver: freeMap({
      status: 'planned',
      description: 'Remote dedupe cache and MetaDB: `name` (`redis` or `dynamodb`) plus its parameters.',
      example: { name: 'redis', url: 'redis://localhost:6379' },
    }),
    retention,
  }
}

const subPathStore = obj(
  {
    description:
      'A store of its own (root, driver, dedupe, GC, retention) for every repository whose first path ' +
      'component is the route: `/a` holds `a/x` and `a/b/c` (kept under their full names), never `a` itself.',
  },
  storeFields('subPath'),
)

export const storage = obj(
  { description: 'Where and how images are stored.' },
  {
    ...storeFields('global'),
    fastRestart: bool({
      description: 'Skip the startup storage walk when neither binary nor storage config changed.',
      default: false,
    }),
    subPaths: map(subPathStore, {
      description:
        'Extra stores, keyed by route (`/<first path component>`, compared without case). The catalog ' +
        'lists every store; GC, retention, scrub and dedupe run per store with its own settings.',
      keyDoc: 'route',
      status: 'implemented',
      example: { '/production': { rootDirectory: '/mnt/fast/production' } },
    }),
  },
)
