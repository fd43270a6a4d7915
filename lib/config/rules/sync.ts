/**
 * @module
 * Checks of `extensions.sync` (docs/zot-compatibility.md 1.1 "sync", "storage driver"; 5.1): per-registry
 * timing and retry settings, content filters, the credential helper, and what sync needs from
 * the rest of the config.
 */
import { posix } from 'node:path'
import { itemPath } from '../findings'
import { goRegexProblem } from '../values/go-regex'
import { GLOB_FIX, globProblem } from '../values/patterns'
import type { Config, RetentionPolicyConfig, SyncRegistryConfig } from '../schema'
import type { IsSet } from '../implementation/set-paths'
import { allStores, isRemote } from '../stores'
import { ECR_HOST_FORM, ecrRegistryOf } from '../../sync/upstream/credential-helpers/ecr-host'
import { httpUrl, listOf, type Report, type Rule } from './rule'

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const OAUTH2_GRANTS = ['client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer', TOKEN_EXCHANGE]

type RegistryCheck = (registry: SyncRegistryConfig, path: string, report: Report, isSet: IsSet) => void

/** Runs a check over every sync registry, with its key path. */
function forEachRegistry(config: Config, report: Report, isSet: IsSet, check: RegistryCheck): void {
  for (const [index, registry] of (config.extensions?.sync?.registries ?? []).entries()) {
    check(registry, itemPath('extensions.sync.registries', index), report, isSet)
  }
}

const checkUrls: RegistryCheck = (registry, path, report) => {
  if (registry.urls.length === 0)
    report(`${path}.urls`, 'a registry needs at least one URL', {
      fix: 'add e.g. "https://registry-1.docker.io"',
    })
  for (const [index, url] of registry.urls.entries()) {
    if (!httpUrl(url))
      report(itemPath(`${path}.urls`, index), 'must be an absolute http(s) URL', {
        value: url,
        fix: `write e.g. "https://${url.replace(/^\w+:\/\//, '')}"`,
      })
  }
}

const checkTiming: RegistryCheck = (registry, path, report, isSet) => {
  const set = (key: string) => isSet(`${path}.${key}`)
  const interval = registry.manifestCheckInterval
  if (interval < 0) report(`${path}.manifestCheckInterval`, 'must not be negative', { fix: 'use "0s" or more' })
  // The default applies to on-demand registries only: only a written value can be misplaced.
  else if (interval > 0 && !registry.onDemand && set('manifestCheckInterval')) {
    report(`${path}.manifestCheckInterval`, 'only applies to on-demand sync, and onDemand is false', {
      fix: 'set "onDemand": true, or remove it',
    })
  }
  if (set('maxRetries') && !set('retryDelay')) {
    report(`${path}.retryDelay`, 'maxRetries needs a retryDelay', {
      fix: 'add e.g. "retryDelay": "5m"',
    })
  }
  if (set('maxRetryDelay')) {
    if (!set('retryDelay'))
      report(`${path}.maxRetryDelay`, 'needs retryDelay (the first back-off step)', {
        fix: 'add retryDelay',
      })
    else if (registry.maxRetryDelay < registry.retryDelay) {
      report(`${path}.maxRetryDelay`, 'is smaller than retryDelay', {
        fix: 'make it at least retryDelay',
      })
    }
  }
}

const checkLimits: RegistryCheck = (registry, path, report) => {
  if (registry.reqConcurrent <= 0)
    report(`${path}.reqConcurrent`, 'must be at least 1', { value: registry.reqConcurrent })
  const rate = registry.reqPerSec
  if (rate !== undefined && !(Number.isFinite(rate) && rate > 0))
    report(`${path}.reqPerSec`, 'must be a positive number', {
      value: rate,
      fix: 'remove it for no limit',
    })
  const idle = registry.maxIdleConnsPerHost
  if (idle !== undefined && idle <= 0) report(`${path}.maxIdleConnsPerHost`, 'must be at least 1', { value: idle })
}

const checkContent: RegistryCheck = (registry, path, report) => {
  for (const [index, content] of registry.content.entries()) {
    const contentPath = itemPath(`${path}.content`, index)
    const problem = globProblem(content.prefix)
    if (problem) report(`${contentPath}.prefix`, `the glob ${problem}`, { value: content.prefix, fix: GLOB_FIX })
    for (const key of ['regex', 'excludeRegex'] as const) {
      const pattern = content.tags?.[key]
      const regexProblem = pattern === undefined ? undefined : goRegexProblem(pattern)
      if (regexProblem)
        report(`${contentPath}.tags.${key}`, `not a valid regular expression: ${regexProblem}`, {
          value: pattern,
        })
    }
    if (content.stripPrefix && content.destination === '/' && !content.prefix.includes('/*')) {
      report(
        `${contentPath}.stripPrefix`,
        'with destination "/" and a prefix without a glob, every image would land at the root',
        {
          fix: 'use a prefix with a glob such as "repo/**", or a destination other than "/"',
        },
      )
    }
  }
}

const checkOAuth2Helper: RegistryCheck = (registry, path, report) => {
  const helper = registry.oauth2CredentialHelper
  const helperPath = `${path}.oauth2CredentialHelper`
  if (registry.credentialHelper !== 'oauth2') return
  if (!helper) {
    report(helperPath, 'credentialHelper "oauth2" needs an oauth2CredentialHelper section', {
      fix: 'add it with at least tokenURL and assertionFile or signingFile',
    })
    return
  }
  if (!helper.tokenURL?.trim())
    report(`${helperPath}.tokenURL`, 'the oauth2 helper needs a tokenURL', {
      fix: 'set it to the token endpoint of the identity provider, e.g. "https://idp.example.com/oauth2/token"',
    })
  const sources = (['assertionFile', 'signingFile'] as const).filter((key) => helper[key]?.trim())
  if (sources.length !== 1) {
    report(
      helperPath,
      sources.length === 0 ? 'needs assertionFile or signingFile' : 'allows only one of assertionFile and signingFile',
      {
        fix: 'set exactly one of them',
      },
    )
  }
  const exchangeOnly = (['audience', 'subjectTokenType', 'requestedTokenType'] as const).filter((key) =>
    helper[key]?.trim(),
  )
  if (helper.grantType !== TOKEN_EXCHANGE) {
    if (exchangeOnly.length > 0)
      report(helperPath, `${listOf(exchangeOnly)} only apply to the token-exchange grant`, {
        fix: `remove them, or set grantType "${TOKEN_EXCHANGE}"`,
      })
    return
  }
  if (!helper.audience?.trim())
    report(`${helperPath}.audience`, 'the token-exchange grant needs an audience', {
      fix: 'set the audience the security token service expects, e.g. "//sts.example.com/pools/p/providers/zot"',
    })
  for (const key of ['subjectTokenType', 'requestedTokenType'] as const) {
    const value = helper[key]?.trim()
    if (value && !/^[a-z][a-z0-9+.-]*:/i.test(value))
      report(`${helperPath}.${key}`, 'must be an absolute URI', {
        value,
        fix: 'e.g. "urn:ietf:params:oauth:token-type:jwt"',
      })
  }
}

/** What zot accepts and then cannot use: an ECR helper on a URL without ECR's host form, helper
 * options without their helper. */
const checkHelperFit: RegistryCheck = (registry, path, report) => {
  if (registry.credentialHelper === 'ecr') {
    for (const [index, url] of registry.urls.entries()) {
      const host = httpUrl(url)?.host
      if (host !== undefined && !ecrRegistryOf(host))
        report(
          itemPath(`${path}.urls`, index),
          `credentialHelper "ecr" reads account and region from ${ECR_HOST_FORM}`,
          {
            value: url,
            fix: `use the registry's ECR URL, https://${ECR_HOST_FORM}, or another credentialHelper`,
          },
        )
    }
  }
  const grantType = registry.oauth2CredentialHelper?.grantType
  if (registry.credentialHelper === 'oauth2' && grantType && !OAUTH2_GRANTS.includes(grantType))
    report(`${path}.oauth2CredentialHelper.grantType`, 'is not a grant the oauth2 helper knows', {
      value: grantType,
      fix: `use one of ${listOf(OAUTH2_GRANTS)}; others are sent with the assertion as a client assertion`,
    })
  if (registry.oauth2CredentialHelper && registry.credentialHelper !== 'oauth2')
    report(`${path}.oauth2CredentialHelper`, 'is only used with credentialHelper "oauth2"', {
      value: registry.credentialHelper ?? null,
      fix: 'set "credentialHelper": "oauth2", or remove oauth2CredentialHelper',
    })
}

const checkPolling: RegistryCheck = (registry, path, report) => {
  if (registry.pollInterval > 0 && registry.content.length === 0) {
    report(`${path}.pollInterval`, 'periodic sync only runs for registries with content filters', {
      fix: 'add content (e.g. [{"prefix": "library/**"}]), or remove pollInterval',
    })
  }
}

/** zot's `validateRetentionSyncOverlaps`: a content entry whose local repository glob is a
 * retention policy glob, unless the policy keeps the tags the entry syncs. */
const checkRetentionOverlap =
  (policies: ReadonlyMap<string, RetentionPolicyConfig>): RegistryCheck =>
  (registry, path, report) => {
    for (const [index, content] of registry.content.entries()) {
      const glob = localRepositoryGlob(content.prefix, content.destination)
      const policy = policies.get(glob)
      const tagsRegex = content.tags?.regex
      if (!policy) continue
      const keepsSyncedTags =
        tagsRegex !== undefined && policy.keepTags.some((rule) => rule.patterns.includes(tagsRegex))
      if (keepsSyncedTags) continue
      report(
        itemPath(`${path}.content`, index),
        `a retention policy also applies to "${glob}"; it may delete images that sync fetches again`,
        {
          fix:
            tagsRegex === undefined
              ? 'make sure the policy keeps what you mirror, or drop the overlap'
              : `add "${tagsRegex}" to the policy's keepTags patterns so the synced tags are kept`,
        },
      )
    }
  }

export const syncRules: readonly Rule[] = [
  {
    severity: 'error',
    summary: 'A sync registry without URLs or with a URL that is not absolute http(s).',
    check: (config, report, isSet) => forEachRegistry(config, report, isSet, checkUrls),
  },
  {
    severity: 'error',
    summary:
      '`manifestCheckInterval` negative, or set without `onDemand`; `maxRetries` without ' +
      '`retryDelay`; `maxRetryDelay` without or below `retryDelay`.',
    check: (config, report, isSet) => forEachRegistry(config, report, isSet, checkTiming),
  },
  {
    severity: 'error',
    summary: '`reqConcurrent` ≤ 0, `reqPerSec` not a positive number, `maxIdleConnsPerHost` ≤ 0.',
    check: (config, report, isSet) => forEachRegistry(config, report, isSet, checkLimits),
  },
  {
    severity: 'error',
    summary:
      'A `content[].prefix` glob or `tags` regex that does not compile; `stripPrefix` with ' +
      'destination `/` and a prefix without `/*`.',
    check: (config, report, isSet) => forEachRegistry(config, report, isSet, checkContent),
  },
  {
    severity: 'error',
    summary: 'credentialHelper `oauth2` with a missing or inconsistent `oauth2CredentialHelper`.',
    check: (config, report, isSet) => forEachRegistry(config, report, isSet, checkOAuth2Helper),
  },
  {
    severity: 'warning',
    summary:
      'credentialHelper `ecr` with a URL not of the form `<account>.dkr.ecr.<region>.amazonaws.com`; ' +
      '`oauth2CredentialHelper` without credentialHelper `oauth2`, or with a `grantType` it does not know.',
    check: (config, report, isSet) => forEachRegistry(config, report, isSet, checkHelperFit),
  },
  {
    severity: 'error',
    summary: 'Sync with remote storage but no `downloadDir`.',
    check(config, report, isSet) {
      const sync = config.extensions?.sync
      // The `<rootDirectory>/.sync` default is for local disk; remote storage needs a directory chosen.
      if (!sync?.enable || (isSet('extensions.sync.downloadDir') && sync.downloadDir)) return
      if (!allStores(config).some(({ store }) => isRemote(store))) return
      report(
        'extensions.sync.downloadDir',
        'sync with remote storage stages images on local disk first, and no directory is set',
        { fix: 'set downloadDir to a local directory with room for the largest image' },
      )
    },
  },
  {
    severity: 'warning',
    summary: 'Periodic sync (`pollInterval`) without `content`, which zot never runs.',
    check: (config, report, isSet) => forEachRegistry(config, report, isSet, checkPolling),
  },
  {
    severity: 'warning',
    summary:
      'Sync content whose repository pattern is also a retention policy pattern (unless the ' +
      'policy keeps the synced tags regex): retention may delete what sync fetches again.',
    check: (config, report, isSet) =>
      forEachRegistry(config, report, isSet, checkRetentionOverlap(retentionPoliciesByGlob(config))),
  },
  {
    severity: 'error',
    summary: 'The cache budget: cacheLowWatermark needs cacheMaxBytes and must be below it.',
    check: (config, report) => {
      const { cacheMaxBytes: max, cacheLowWatermark: low } = config.extensions?.sync ?? {}
      if (low === undefined) return
      if (max === undefined)
        report('extensions.sync.cacheLowWatermark', 'needs cacheMaxBytes (the budget it is a watermark of)', {
          value: low,
          fix: 'add cacheMaxBytes, or remove cacheLowWatermark',
        })
      else if (low >= max)
        report('extensions.sync.cacheLowWatermark', `must be below cacheMaxBytes (${max} bytes)`, {
          value: low,
          fix: 'lower it, e.g. to 90% of cacheMaxBytes',
        })
    },
  },
]

/** Retention policies by the repository glob they name, as zot compares them: sub-store globs
 * prefixed with their route. */
function retentionPoliciesByGlob(config: Config): Map<string, RetentionPolicyConfig> {
  const byGlob = new Map<string, RetentionPolicyConfig>()
  for (const { route, store } of allStores(config)) {
    for (const policy of store.retention.policies) {
      for (const glob of policy.repositories) {
        const key = route === undefined ? glob : posix.join(route, glob).replace(/^\/+/, '')
        if (!byGlob.has(key)) byGlob.set(key, policy)
      }
    }
  }
  return byGlob
}

/** The local repository glob of a content entry: its prefix, under its destination. */
function localRepositoryGlob(prefix: string, destination: string | undefined): string {
  return destination ? posix.join(destination, prefix).replace(/^\/+/, '') : prefix
}
