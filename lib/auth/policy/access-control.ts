/**
 * @module
 * zot's authorization decision (`http.accessControl`, docs/zot-compatibility.md 3.2/3.3), as a pure object
 * built once from the config:
 *
 * 1. Only the **longest matching glob** (by pattern text length) is consulted; shorter globs are
 *    never looked at even if they would allow. Ties go to the glob listed first (zot leaves them
 *    to Go's random map order).
 * 2. In that group: a policy naming the user, a policy naming one of the user's groups,
 *    `defaultPolicy` for any authenticated user, `anonymousPolicy` for anonymous requests.
 * 3. Otherwise `adminPolicy`, if the user or a group of theirs is named and its actions allow.
 *
 * Without `accessControl` every authenticated user may do everything. Each action is checked on
 * its own: `update` does not imply `create`, so read+create is "immutable tags". Policy entries
 * with CEL `conditions` never grant here (fail closed): conditions are not evaluated.
 *
 * API-key scopes narrow every decision, with or without `accessControl` (htpasswd + keys and no
 * policies is zot's most common setup), the catalog and cross-repository mounts included (both
 * go through `canRead`). A key with scopes never scrapes metrics, whatever `accessControl.metrics`
 * says, because the metrics name every repository in their labels, beyond any scope.
 */
import type { AccessControlConfig } from '../../config'
import type { Action, Principal } from '../../http/context'
import { scopesAllow } from '../keys/key-scope'
import { isAnonymous, scopesOf } from './principal'
import { repositoryGlob, type RepositoryMatcher } from './repository-glob'

export interface AccessControl {
  /** Whether `principal` may perform `action` on `repository`. */
  can(principal: Principal, action: Action, repository: string): boolean
  /** `can(principal, 'read', repository)`: filters `/v2/_catalog` and search results. */
  canRead(principal: Principal, repository: string): boolean
  /** The static groups (`accessControl.groups`) listing the user. */
  staticGroups(username: string): string[]
  /** Whether `/metrics` may be scraped (`accessControl.metrics`; never with a scoped key). */
  canScrapeMetrics(principal: Principal): boolean
  /** True when `accessControl` is configured at all. */
  readonly configured: boolean
  /** True when some repository glob grants anonymous requests anything. */
  readonly anonymousAccess: boolean
}

/** Grants on the repositories matching one glob. */
type RepositoryPolicies = AccessControlConfig['repositories'][string]
/** One grant: the users and groups it names may perform `actions`. */
type Policy = AccessControlConfig['adminPolicy']

interface CompiledGroup {
  pattern: string
  matches: RepositoryMatcher
  policy: RepositoryPolicies
}

const has = (list: readonly string[], value: string): boolean => list.includes(value)
const intersects = (list: readonly string[], values: readonly string[]): boolean =>
  values.some((value) => has(list, value))
const grants = (policy: Policy, action: Action): boolean =>
  has(policy.actions, action) && policy.conditions.length === 0

/** zot's `isPermitted`: does the winning glob's group allow the action? */
function groupAllows(group: RepositoryPolicies, principal: Principal, action: Action): boolean {
  const anonymous = isAnonymous(principal)
  for (const policy of group.policies) {
    if (!grants(policy, action)) continue
    if (!anonymous && has(policy.users, principal.username)) return true
    if (intersects(policy.groups, principal.groups)) return true
  }
  if (!anonymous && has(group.defaultPolicy, action)) return true
  return anonymous && has(group.anonymousPolicy, action)
}

/** Where the config uses CEL conditions, for the warning. */
function conditionalEntries(options: AccessControlConfig): string[] {
  const where: string[] = []
  for (const [pattern, group] of Object.entries(options.repositories)) {
    group.policies.forEach((policy, index) => {
      if (policy.conditions.length > 0) {
        where.push(`repositories[${JSON.stringify(pattern)}].policies[${index}]`)
      }
    })
  }
  if (options.adminPolicy.conditions.length > 0) where.push('adminPolicy')
  return where
}

/** The owner's side of the decision: what the policies allow, before key scopes narrow it. */
type Policies = Omit<AccessControl, 'canRead' | 'configured'>

/** No `accessControl`: any authenticated user may do anything, anonymous requests nothing. */
const USERS_MAY_DO_EVERYTHING: Policies = {
  anonymousAccess: false,
  can: (principal) => !isAnonymous(principal),
  staticGroups: () => [],
  canScrapeMetrics: (principal) => !isAnonymous(principal),
}

/** The policies of a configured `accessControl`. */
function configuredPolicies(
  options: AccessControlConfig,
  onWarning?: (message: string, fields: Record<string, unknown>) => void,
): Policies {
  const groups: CompiledGroup[] = Object.entries(options.repositories).map(([pattern, policy]) => ({
    pattern,
    matches: repositoryGlob(pattern),
    policy,
  }))
  const admin = options.adminPolicy
  const conditional = conditionalEntries(options)
  if (conditional.length > 0) {
    onWarning?.('access-control conditions (CEL) are not supported: those policy entries grant nothing', {
      where: conditional,
    })
  }

  function winningGroup(repository: string): CompiledGroup | undefined {
    let best: CompiledGroup | undefined
    for (const group of groups) {
      if (group.pattern.length > (best?.pattern.length ?? -1) && group.matches(repository)) {
        best = group
      }
    }
    return best
  }

  const isAdmin = (principal: Principal): boolean =>
    (!isAnonymous(principal) && has(admin.users, principal.username)) || intersects(admin.groups, principal.groups)

  return {
    anonymousAccess: groups.some((group) => group.policy.anonymousPolicy.length > 0),
    can(principal, action, repository) {
      const group = winningGroup(repository)
      if (group && groupAllows(group.policy, principal, action)) return true
      return isAdmin(principal) && grants(admin, action)
    },
    staticGroups: (username) =>
      Object.entries(options.groups)
        .filter(([, group]) => has(group.users, username))
        .map(([name]) => name),
    canScrapeMetrics: (principal) =>
      isAnonymous(principal)
        ? has(options.metrics.anonymousPolicy, 'read')
        : has(options.metrics.users, principal.username),
  }
}

/**
 * Builds the access controller for `http.accessControl` (or its absence).
 *
 * @param options the parsed `accessControl` section, or undefined when the config has none
 * @param onWarning told once about settings that cannot take effect (CEL conditions)
 * @throws Error when a repository glob expands to too many brace alternatives
 * @example
 * const access = createAccessControl(config.http.accessControl)
 * access.can(principal, 'update', 'ci/app') // false for a read+create CI group
 */
export function createAccessControl(
  options: AccessControlConfig | undefined,
  onWarning?: (message: string, fields: Record<string, unknown>) => void,
): AccessControl {
  const policies = options ? configuredPolicies(options, onWarning) : USERS_MAY_DO_EVERYTHING

  function can(principal: Principal, action: Action, repository: string): boolean {
    const scopes = scopesOf(principal)
    if (scopes && !scopesAllow(scopes, action, repository)) return false
    return policies.can(principal, action, repository)
  }

  return {
    configured: options !== undefined,
    anonymousAccess: policies.anonymousAccess,
    can,
    canRead: (principal, repository) => can(principal, 'read', repository),
    staticGroups: policies.staticGroups,
    canScrapeMetrics: (principal) => scopesOf(principal) === undefined && policies.canScrapeMetrics(principal),
  }
}
