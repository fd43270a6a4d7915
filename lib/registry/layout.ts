/**
 * @module
 * Every path the registry and its services use in storage, and beside it on local disk: one
 * place decides where things live, so a repository name can never reach another's files.
 *
 * In storage (zot's layout, docs/zot-compatibility.md 6.1; one OCI image layout per repository):
 *
 *     <repo>/oci-layout              {"imageLayoutVersion":"1.0.0"}
 *     <repo>/index.json              tags are entries annotated org.opencontainers.image.ref.name
 *     <repo>/blobs/<alg>/<hex>       blobs and manifests, content-addressed
 *     <repo>/.uploads/<uuid>         uploads in progress
 *     <repo>/.quarantine/<alg>/<hex> blobs scrub found corrupt
 *     _zot/apikeys/..., _zot/users/...   auth state (API keys, OpenID users, logouts)
 *     _zot/meta/<repo>/stats.json    push and pull times on shared storage (bucket metadata)
 *     _zot/meta-settings.json
 *     _zot/meta-user-marks.json       stars and bookmarks on shared storage
 *     _zot/gc-activity/<time>-<id>.json  blobs replicas recently answered for (shared storage GC)
 *     _zot/session-key.json          the session-cookie key replicas share (with a sessionDriver)
 *     .sync/tag-checks.json          when the pull-through cache last confirmed each tag
 *
 * On local disk under `rootDirectory` (S3 too): `_meta.sqlite` (the metadata store of a single
 * registry) and `.sync/` (pull-through download spools). The drivers' own scratch space (the
 * local driver's `.tmp/`, S3's `<key>/.parts/`) is theirs: they sit below this layout.
 *
 * A zot data directory is served as-is, and every repository written here is a valid OCI layout.
 * Every repository path is built from a name that passed `isValidRepositoryName`, checked here
 * once more: a name that reached storage unchecked (a sync mapping, a CLI argument) could
 * otherwise land inside another repository's layout (`a/blobs/...` is `a`'s blobs directory).
 * Every name used here is in `STORAGE_LAYOUT_NAMES`, so no repository can be named like it.
 */
import { join } from 'node:path'
import { parseDigest } from '../oci/digest'
import { requireRepositoryName } from '../oci/names'

export const OCI_LAYOUT_CONTENT = '{"imageLayoutVersion":"1.0.0"}'
export const TAG_ANNOTATION = 'org.opencontainers.image.ref.name'

/** The repository's directory; throws NAME_INVALID for a name that could escape it. */
export const repositoryPath = (repository: string): string => requireRepositoryName(repository)
const directory = repositoryPath

/** `<alg>/<hex>` of a digest that must already be valid (it becomes two path segments). */
function digestSegments(digest: string, what: string): string {
  const parsed = parseDigest(digest)
  if (!parsed) throw new Error(`${what}: invalid digest ${digest}`)
  return `${parsed.algorithm}/${parsed.encoded}`
}

/** The file that makes a directory a repository (the catalog's walk looks for it). */
export const INDEX_FILE = 'index.json'
export const indexPath = (repository: string): string => `${directory(repository)}/${INDEX_FILE}`
export const ociLayoutPath = (repository: string): string => `${directory(repository)}/oci-layout`
export const blobsPath = (repository: string): string => `${directory(repository)}/blobs`
export const uploadsPath = (repository: string): string => `${directory(repository)}/.uploads`
export const uploadPath = (repository: string, uploadId: string): string => `${uploadsPath(repository)}/${uploadId}`
export const quarantineDirectory = (repository: string): string => `${directory(repository)}/.quarantine`

/** The blob's path; the digest must already be validated. */
export const blobPath = (repository: string, digest: string): string =>
  `${blobsPath(repository)}/${digestSegments(digest, 'blobPath')}`

/** Where scrub puts a corrupt blob; the digest must be valid. */
export const quarantinePath = (repository: string, digest: string): string =>
  `${quarantineDirectory(repository)}/${digestSegments(digest, 'quarantinePath')}`

/**
 * zot's marker at the store's root: "1" once its restore walk left no dedupe placeholder, which
 * makes it skip that walk at later starts; "0" (or absent) makes it walk again.
 */
export const RESTORE_MARKER_PATH = '_restore_complete'

declare const statePathBrand: unique symbol
/** A path of a state document; only `statePaths` makes them, so state never lands in a repository. */
export type StatePath = string & { readonly [statePathBrand]: true }

const STATE_ROOT = '_zot'
const state = (path: string): StatePath => path as StatePath

/**
 * User names may contain anything (`/`, `..`, e-mail addresses): base64url makes each one safe
 * path segment. `_zot` cannot collide with a repository: names start with [a-z0-9].
 */
const userSegment = (username: string): string => Buffer.from(username, 'utf8').toString('base64url')

/** State documents kept in storage (so on S3 they live in the bucket and survive restarts). */
export const statePaths = {
  /** One record per API key, immutable after creation. */
  keyRecord: (username: string, uuid: string): StatePath =>
    state(`${STATE_ROOT}/apikeys/users/${userSegment(username)}/${uuid}.json`),
  keyRecords: (username: string): StatePath => state(`${STATE_ROOT}/apikeys/users/${userSegment(username)}`),
  /** Lookup from the hash a client's key produces to its owner and record. */
  keyHash: (hash: string): StatePath => state(`${STATE_ROOT}/apikeys/hashes/${hash}.json`),
  /** Kept apart from the record so that frequent updates never rewrite (or resurrect) it. */
  keyLastUsed: (uuid: string): StatePath => state(`${STATE_ROOT}/apikeys/last-used/${uuid}`),
  /** Groups and providers of the user's last OpenID login. */
  userGroups: (username: string): StatePath => state(`${STATE_ROOT}/users/${userSegment(username)}.json`),
  /**
   * When the user last logged out: a file of its own, so that a login recording groups on one
   * replica cannot overwrite a logout written on another.
   */
  userLogout: (username: string): StatePath => state(`${STATE_ROOT}/users/${userSegment(username)}.logout`),
  /** Push and pull times of each repository, for replicas sharing a bucket. */
  metaFolder: state(`${STATE_ROOT}/meta`),
  metaStats: (repository: string): StatePath => state(`${STATE_ROOT}/meta/${directory(repository)}/stats.json`),
  metaSettings: state(`${STATE_ROOT}/meta-settings.json`),
  /** The session-cookie key replicas share when a `sessionDriver` is configured. */
  sessionKey: state(`${STATE_ROOT}/session-key.json`),
  /** Users' stars and bookmarks (search's userprefs), one document: they change rarely. */
  metaUserMarks: state(`${STATE_ROOT}/meta-user-marks.json`),
  /** Blobs replicas recently answered for (HEAD, mount, upload), one document per flush, for GC. */
  gcActivityFolder: state(`${STATE_ROOT}/gc-activity`),
  gcActivity: (name: string): StatePath => state(`${STATE_ROOT}/gc-activity/${name}`),
  /** Outside every repository: the catalog skips names that start with a dot. */
  tagChecks: state('.sync/tag-checks.json'),
} as const

/** The metadata store of a single registry, on local disk under the storage root. */
export const META_FILE_NAME = '_meta.sqlite'
export const metaStorePath = (rootDirectory: string): string => join(rootDirectory, META_FILE_NAME)

export { syncSpoolDirectory } from './layout-names'
