/**
 * @module
 * `extensions.sync` as zot spells it (zot-behaviour.md 5.1), with durations in milliseconds, and
 * the defaults sync applies. The config module decodes the file into these shapes; sync only
 * fills what is still absent, so a value given in the file always wins.
 */

/** One `content[]` entry: which upstream repositories, and where they land locally. */
export interface SyncContentConfig {
  /** Doublestar glob over upstream repository names (a leading `/` is ignored). */
  prefix: string
  /** Local path the repositories go under (`/docker.io`); none = same name. */
  destination?: string
  /** Drop the literal part of `prefix` from local names. */
  stripPrefix?: boolean
  /** Tag filters, periodic sync only (as in zot: on-demand pulls of any tag are allowed). */
  tags?: { regex?: string; excludeRegex?: string; semver?: boolean }
}

/** One `registries[]` entry. Keys sync does not act on are accepted for compatibility. */
export interface SyncRegistryConfig {
  /** The first is the primary; the others are tried in order when it fails. */
  urls: string[]
  onDemand?: boolean
  /** Periodic sync period (ms); 0 or absent = none. */
  pollInterval?: number
  content?: SyncContentConfig[]
  tlsVerify?: boolean
  /** `*.crt` CA certificates, `*.cert` + `*.key` client certificate. */
  certDir?: string
  maxRetries?: number
  retryDelay?: number
  maxRetryDelay?: number
  onlySigned?: boolean
  syncLegacyCosignTags?: boolean
  /** Accepted; sync never converts manifests, so digests are always preserved. */
  preserveDigest?: boolean
  /** Cap on one whole sync (ms). Blob transfers are otherwise cut only when idle. */
  syncTimeout?: number
  /** Wait for upstream response headers, and the longest a body may stall (ms). */
  responseHeaderTimeout?: number
  /** Tags checked this recently are served without asking upstream (ms). */
  manifestCheckInterval?: number
  reqConcurrent?: number
  reqPerSec?: number
  disableHTTP2?: boolean
  maxIdleConnsPerHost?: number
  credentialHelper?: string
}

export interface SyncConfig {
  enable?: boolean
  /** JSON `{"host[:port]": {"username", "password"}}`. */
  credentialsFile?: string
  /** Where blob spools live while they download; the system temp directory when absent. */
  downloadDir?: string
  registries: SyncRegistryConfig[]
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/**
 * The revalidation window when `manifestCheckInterval` is absent. zot's 0 (ask upstream on every
 * tag pull) is what burns Docker Hub rate limits and makes every hit wait for the upstream
 * (zot #3724, #3129, #4184); five minutes bounds staleness of `latest` to what most CI accepts.
 */
export const DEFAULT_MANIFEST_CHECK_INTERVAL = 5 * MINUTE

/** A registry entry with every default applied. */
export interface ResolvedRegistry {
  /** Position in the config; names the entry in logs and routes. */
  index: number
  urls: string[]
  onDemand: boolean
  pollInterval: number
  content: SyncContentConfig[]
  tlsVerify: boolean
  certDir: string | undefined
  maxRetries: number
  retryDelay: number
  maxRetryDelay: number
  onlySigned: boolean
  syncLegacyCosignTags: boolean
  syncTimeout: number
  responseHeaderTimeout: number
  manifestCheckInterval: number
  reqConcurrent: number
  reqPerSec: number
}

/** Fills zot's defaults (and ours where zot's hurt: see DEFAULT_MANIFEST_CHECK_INTERVAL). */
export function resolveRegistry(config: SyncRegistryConfig, index: number): ResolvedRegistry {
  const retryDelay = config.retryDelay ?? 0
  return {
    index,
    urls: config.urls.map((url) => url.replace(/\/+$/, '')),
    onDemand: config.onDemand ?? false,
    pollInterval: config.pollInterval ?? 0,
    content: config.content ?? [],
    tlsVerify: config.tlsVerify ?? true,
    certDir: config.certDir,
    maxRetries: config.maxRetries ?? 0,
    retryDelay,
    maxRetryDelay: Math.max(config.maxRetryDelay ?? retryDelay, retryDelay),
    onlySigned: config.onlySigned ?? false,
    syncLegacyCosignTags: config.syncLegacyCosignTags ?? true,
    syncTimeout: config.syncTimeout ?? 3 * HOUR,
    responseHeaderTimeout: config.responseHeaderTimeout ?? 30 * SECOND,
    manifestCheckInterval: config.manifestCheckInterval ?? DEFAULT_MANIFEST_CHECK_INTERVAL,
    reqConcurrent: Math.max(1, config.reqConcurrent ?? 3),
    reqPerSec:
      config.reqPerSec !== undefined && config.reqPerSec > 0
        ? config.reqPerSec
        : Number.POSITIVE_INFINITY,
  }
}
