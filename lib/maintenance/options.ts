/**
 * @module
 * What maintenance reads of a store: the schema's own `storage` keys (lib/config applies every
 * default, zot's `gcDelay` 1h and `retention.delay` = `gcDelay` included), and the GC settings
 * compiled from them once. Durations are milliseconds.
 */
import { repositoryGlob, type RepositoryMatcher } from '../auth/policy/repository-glob'
import type { KeepRulesConfig, RetentionPolicyConfig, StorageConfig } from '../config'
import { compileGoRegex, type GoRegex } from '../config/values/go-regex'

/** One store's `storage` keys that maintenance reads. */
export type StoreMaintenanceOptions = Pick<
  StorageConfig,
  'rootDirectory' | 'dedupe' | 'gc' | 'gcDelay' | 'gcInterval' | 'gcTimeWindow' | 'retention'
>

export interface CompiledKeepTags {
  /** Position in `keepTags`, for explanations. */
  index: number
  patterns: GoRegex[]
  rules: KeepRulesConfig
}

export interface CompiledPolicy {
  /** Position in `policies`, for explanations. */
  index: number
  matches: RepositoryMatcher
  deleteReferrers: boolean
  deleteUntagged: boolean
  keepTags: CompiledKeepTags[]
  keepUntagged?: KeepRulesConfig
}

/** Everything one GC pass needs to know. */
export interface GcSettings {
  gcDelay: number
  retentionDelay: number
  dryRun: boolean
  policies: CompiledPolicy[]
}

function compilePattern(pattern: string, where: string): GoRegex {
  try {
    return compileGoRegex(pattern)
  } catch (error) {
    throw new Error(`${where}: invalid pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`)
  }
}

function compilePolicy(policy: RetentionPolicyConfig, index: number): CompiledPolicy {
  const globs = policy.repositories.map(repositoryGlob)
  return {
    index,
    matches: (repository) => globs.some((matches) => matches(repository)),
    deleteReferrers: policy.deleteReferrers,
    deleteUntagged: policy.deleteUntagged,
    keepTags: policy.keepTags.map((entry, position) => ({
      index: position,
      patterns: entry.patterns.map((pattern) =>
        compilePattern(pattern, `retention.policies[${index}].keepTags[${position}]`),
      ),
      rules: entry,
    })),
    ...(policy.keepUntagged && { keepUntagged: policy.keepUntagged }),
  }
}

/**
 * The settings of one GC pass over a store, its retention patterns compiled. `dryRun` forces a
 * dry run whatever the config says (`zot gc --dry-run`).
 */
export function resolveGcSettings(
  store: Pick<StorageConfig, 'gcDelay' | 'retention'>,
  overrides: { dryRun?: boolean } = {},
): GcSettings {
  const { retention } = store
  return {
    gcDelay: store.gcDelay,
    retentionDelay: retention.delay,
    dryRun: overrides.dryRun === true || retention.dryRun,
    policies: retention.policies.map(compilePolicy),
  }
}
