/**
 * @module
 * The maintenance options, shaped like zot's config keys (zot-behaviour.md 2.1, 2.2) so the
 * config module can hand its `storage` and `extensions.scrub` objects over as they are. Durations
 * are milliseconds. `resolveGcSettings` fills zot's defaults and compiles patterns once.
 */
import { repositoryGlob, type RepositoryMatcher } from '../auth/repository-glob'
import { toJsRegex } from '../config/patterns'

/** Rules shared by `keepTags[]` entries and `keepUntagged`; they are OR-ed. */
export interface KeepRules {
  pulledWithin?: number
  pushedWithin?: number
  mostRecentlyPushedCount?: number
  mostRecentlyPulledCount?: number
}

export interface KeepTagsRule extends KeepRules {
  /** Unanchored Go regular expressions; empty or absent matches every tag. */
  patterns?: string[]
}

export interface RetentionPolicy {
  /** doublestar globs; a policy without any matches no repository (as in zot). */
  repositories?: string[]
  deleteReferrers?: boolean
  /** Defaults to true. */
  deleteUntagged?: boolean
  keepTags?: KeepTagsRule[]
  keepUntagged?: KeepRules
}

export interface RetentionOptions {
  dryRun?: boolean
  /** Minimum age of untagged manifests and orphan referrers; defaults to `gcDelay`. */
  delay?: number
  policies?: RetentionPolicy[]
}

/** One store's `storage` keys that maintenance reads. */
export interface StoreMaintenanceOptions {
  rootDirectory: string
  dedupe?: boolean
  gc?: boolean
  /** Minimum age of an unreferenced blob or a stale upload; default 1h. */
  gcDelay?: number
  /** Time between sweeps; default 1h. */
  gcInterval?: number
  /** UTC `HH:MM-HH:MM` in which a sweep may start. */
  gcTimeWindow?: string
  retention?: RetentionOptions
}

/** `extensions.scrub`. */
export interface ScrubExtensionOptions {
  enable?: boolean
  /** Default 24h; zot requires at least 2h. */
  interval?: number
}

export const HOUR_MS = 3_600_000
export const DEFAULT_GC_DELAY_MS = HOUR_MS
export const DEFAULT_GC_INTERVAL_MS = HOUR_MS
export const DEFAULT_SCRUB_INTERVAL_MS = 24 * HOUR_MS

export interface CompiledKeepTags {
  /** Position in `keepTags`, for explanations. */
  index: number
  patterns: RegExp[]
  rules: KeepRules
}

export interface CompiledPolicy {
  /** Position in `policies`, for explanations. */
  index: number
  matches: RepositoryMatcher
  deleteReferrers: boolean
  deleteUntagged: boolean
  keepTags: CompiledKeepTags[]
  keepUntagged?: KeepRules
}

/** Everything one GC pass needs to know, defaults applied. */
export interface GcSettings {
  gcDelay: number
  retentionDelay: number
  dryRun: boolean
  policies: CompiledPolicy[]
}

function compilePattern(pattern: string, where: string): RegExp {
  try {
    return toJsRegex(pattern)
  } catch (error) {
    throw new Error(`${where}: invalid pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`)
  }
}

function compilePolicy(policy: RetentionPolicy, index: number): CompiledPolicy {
  const globs = (policy.repositories ?? []).map(repositoryGlob)
  return {
    index,
    matches: (repository) => globs.some((matches) => matches(repository)),
    deleteReferrers: policy.deleteReferrers ?? false,
    deleteUntagged: policy.deleteUntagged ?? true,
    keepTags: (policy.keepTags ?? []).map((entry, position) => ({
      index: position,
      patterns: (entry.patterns ?? []).map((pattern) =>
        compilePattern(pattern, `retention.policies[${index}].keepTags[${position}]`),
      ),
      rules: entry,
    })),
    ...(policy.keepUntagged && { keepUntagged: policy.keepUntagged }),
  }
}

/**
 * zot's defaults: gcDelay 1h, retention.delay = gcDelay. `dryRun` forces a dry run whatever the
 * config says (`zot gc --dry-run`).
 */
export function resolveGcSettings(
  store: StoreMaintenanceOptions,
  overrides: { dryRun?: boolean } = {},
): GcSettings {
  const gcDelay = store.gcDelay ?? DEFAULT_GC_DELAY_MS
  const retention = store.retention ?? {}
  return {
    gcDelay,
    retentionDelay: retention.delay ?? gcDelay,
    dryRun: overrides.dryRun === true || retention.dryRun === true,
    policies: (retention.policies ?? []).map(compilePolicy),
  }
}
