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
 * its own: `update` does not imply `create`, so read+create is "immutable tags".
 *
 * A policy entry with CEL `conditions` (conditions.ts) grants only when all of them hold for the
 * request, as in zot, `adminPolicy`'s included; `defaultPolicy` and `anonymousPolicy` have none.
 * When no entry grants and a condition said why, the decision carries that condition's
 * `message` (zot's 403 `detail.reason`). A decision made without the request (search results)
 * cannot evaluate conditions, so conditional entries do not grant there: such repositories are
 * missing from search rather than listed to clients the conditions would refuse (zot lists them).
 *
 * API-key scopes narrow every decision, with or without `accessControl` (htpasswd + keys and no
 * policies is zot's most common setup), the catalog and cross-repository mounts included (both
 * go through `canRead`). A key with scopes never scrapes metrics, whatever `accessControl.metrics`
 * says, because the metrics name every repository in their labels, beyond any scope.
 */
import type { AccessControlConfig } from '../../config'
import type { Action, Principal } from '../../http/context'
import { scopesAllow } from '../keys/key-scope'
import type * as ConditionCompiler from './condition-compiler'
import {
  conditionKey,
  conditionsHold,
  forEachPolicy,
  type CompiledCondition,
  type Decision,
  type RequestFacts,
} from './conditions'
import { isAnonymous, scopesOf } from './principal'
import { repositoryGlob, type RepositoryMatcher } from './repository-glob'

/** The request a decision is made for, which policy conditions look at. */
export interface RequestContext {
  facts: RequestFacts
  /** The manifest route's tag or digest; absent on other routes. */
  reference?: string
}

/** An answer, with the `message` of the condition that kept a policy entry from granting. */
export interface Verdict {
  allowed: boolean
  reason?: string
}

/** How an evaluation error is reported: at most once a minute per condition. */
export type ConditionErrorLog = (message: string, fields: Record<string, unknown>) => void

export interface AccessControl {
  /** Whether `principal` may perform `action` on `repository`, and if not, a condition's reason. */
  decide(principal: Principal, action: Action, repository: string, request?: RequestContext): Verdict
  /** `decide(...).allowed`. */
  can(principal: Principal, action: Action, repository: string, request?: RequestContext): boolean
  /** `can(principal, 'read', repository)`: filters `/v2/_catalog` and search results. */
  canRead(principal: Principal, repository: string, request?: RequestContext): boolean
  /** The static groups (`accessControl.groups`) listing the user. */
  staticGroups(username: string): string[]
  /** Whether `/metrics` may be scraped (`accessControl.metrics`; never with a scoped key). */
  canScrapeMetrics(principal: Principal): boolean
  /** True when `accessControl` is configured at all. */
  readonly configured: boolean
  /** True when some repository glob grants anonymous requests anything. */
  readonly anonymousAccess: boolean
  /** True when some policy entry has conditions: decisions then depend on the request. */
  readonly conditional: boolean
}

/** Grants on the repositories matching one glob. */
type RepositoryPolicies = AccessControlConfig['repositories'][string]
/** One grant: the users and groups it names may perform `actions`, if its conditions hold. */
type Policy = AccessControlConfig['adminPolicy']

interface CompiledGroup {
  pattern: string
  matches: RepositoryMatcher
  policy: RepositoryPolicies
}

const has = (list: readonly string[], value: string): boolean => list.includes(value)
const intersects = (list: readonly string[], values: readonly string[]): boolean =>
  values.some((value) => has(list, value))

const DENIED: Verdict = { allowed: false }
const ALLOWED: Verdict = { allowed: true }

/** The policies of a configured `accessControl`. */
function configuredPolicies(options: AccessControlConfig, onConditionError?: ConditionErrorLog): Policies {
  const groups: CompiledGroup[] = Object.entries(options.repositories).map(([pattern, policy]) => ({
    pattern,
    matches: repositoryGlob(pattern),
    policy,
  }))
  const admin = options.adminPolicy
  const compiled = new Map<Policy, CompiledCondition[]>()
  forEachPolicy(options, (policy, path) => {
    if (policy.conditions.length === 0) return
    // Required here, not imported: only a config with conditions loads the CEL evaluator.
    const { compileCondition } = require('./condition-compiler') as typeof ConditionCompiler
    compiled.set(
      policy,
      policy.conditions.map((condition, index) => compileCondition(condition, conditionKey(path, index))),
    )
  })
  const lastReported = new Map<CompiledCondition, number>()

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

  /** Whether `policy` grants `action` to this request, given that it names the principal. */
  function grants(policy: Policy, decision: Omit<Decision, 'facts' | 'reference'>, request?: RequestContext): Verdict {
    if (!has(policy.actions, decision.action)) return DENIED
    const conditions = compiled.get(policy)
    if (!conditions) return ALLOWED
    if (!request) return DENIED
    const held = conditionsHold(conditions, { ...decision, facts: request.facts, reference: request.reference ?? '' })
    if (held === true) return ALLOWED
    if ('reason' in held) return held.reason ? { allowed: false, reason: held.reason } : DENIED
    // zot keeps evaluation errors from the client (they reveal the expression) and logs them.
    const now = Date.now()
    if (now - (lastReported.get(held.failed) ?? 0) >= 60_000) {
      lastReported.set(held.failed, now)
      onConditionError?.('a policy condition failed to evaluate: its entry does not grant', {
        key: held.failed.key,
        expression: held.failed.expression,
        error: held.error,
      })
    }
    return DENIED
  }

  /** zot's `isPermitted`: does the winning glob's group allow the action? */
  function groupAllows(
    group: RepositoryPolicies,
    decision: Omit<Decision, 'facts' | 'reference'>,
    request?: RequestContext,
  ): Verdict {
    const { principal, action } = decision
    const anonymous = isAnonymous(principal)
    let reason: string | undefined
    for (const policy of group.policies) {
      const named = (!anonymous && has(policy.users, principal.username)) || intersects(policy.groups, principal.groups)
      if (!named) continue
      const verdict = grants(policy, decision, request)
      if (verdict.allowed) return verdict
      reason = verdict.reason ?? reason
    }
    if (!anonymous && has(group.defaultPolicy, action)) return ALLOWED
    if (anonymous && has(group.anonymousPolicy, action)) return ALLOWED
    return reason === undefined ? DENIED : { allowed: false, reason }
  }

  return {
    anonymousAccess: groups.some((group) => group.policy.anonymousPolicy.length > 0),
    conditional: compiled.size > 0,
    decide(principal, action, repository, request) {
      const group = winningGroup(repository)
      const decision = { principal, action, repository, admin: isAdmin(principal) }
      const verdict = group ? groupAllows(group.policy, decision, request) : DENIED
      if (verdict.allowed || !decision.admin) return verdict
      // As in zot, the admin grant's own condition message is the most specific explanation.
      const adminVerdict = grants(admin, decision, request)
      return adminVerdict.allowed || adminVerdict.reason ? adminVerdict : verdict
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

/** The owner's side of the decision: what the policies allow, before key scopes narrow it. */
type Policies = Omit<AccessControl, 'can' | 'canRead' | 'configured'>

/** No `accessControl`: any authenticated user may do anything, anonymous requests nothing. */
const USERS_MAY_DO_EVERYTHING: Policies = {
  anonymousAccess: false,
  conditional: false,
  decide: (principal) => (isAnonymous(principal) ? DENIED : ALLOWED),
  staticGroups: () => [],
  canScrapeMetrics: (principal) => !isAnonymous(principal),
}

/**
 * Builds the access controller for `http.accessControl` (or its absence).
 *
 * @param options the parsed `accessControl` section, or undefined when the config has none
 * @param onConditionError told when a condition fails to evaluate (at most once a minute each)
 * @throws Error when a repository glob expands to too many brace alternatives
 * @throws ConditionError when a condition does not compile (`verify-config` reports these first)
 * @example
 * const access = createAccessControl(config.http.accessControl)
 * access.can(principal, 'update', 'ci/app') // false for a read+create CI group
 */
export function createAccessControl(
  options: AccessControlConfig | undefined,
  onConditionError?: ConditionErrorLog,
): AccessControl {
  const policies = options ? configuredPolicies(options, onConditionError) : USERS_MAY_DO_EVERYTHING

  function decide(principal: Principal, action: Action, repository: string, request?: RequestContext): Verdict {
    const scopes = scopesOf(principal)
    if (scopes && !scopesAllow(scopes, action, repository)) return DENIED
    return policies.decide(principal, action, repository, request)
  }
  const can: AccessControl['can'] = (...args) => decide(...args).allowed

  return {
    configured: options !== undefined,
    anonymousAccess: policies.anonymousAccess,
    conditional: policies.conditional,
    decide,
    can,
    canRead: (principal, repository, request) => can(principal, 'read', repository, request),
    staticGroups: policies.staticGroups,
    canScrapeMetrics: (principal) => scopesOf(principal) === undefined && policies.canScrapeMetrics(principal),
  }
}
