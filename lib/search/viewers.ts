/**
 * @module
 * Viewers from the auth layer's decisions: what a principal may read is exactly what the
 * catalog lets it list (`AuthSetup.readable`: policies, API-key scopes, bearer-token claims), and
 * `IsDeletable` is the `delete` action of the same policy.
 */
import type { AccessControl } from '../auth/policy/access-control'
import { anonymousPrincipal } from '../auth/policy/principal'
import type { Principal } from '../http/context'
import type { Viewer } from './viewer'

export interface ViewerPolicy {
  access: AccessControl
  readable(principal: Principal | undefined, repositories: readonly string[]): string[]
}

/** Viewers whose read decisions are remembered (per configuration: the policy is fixed). */
const REMEMBERED_VIEWERS = 64

/** No authentication and no access control: everybody may do everything. */
const OPEN: Viewer = { key: '', username: '', canRead: () => true, canDelete: () => true }

/**
 * Viewers for one configuration. Read decisions are remembered per viewer key and repository
 * (the policy cannot change under a configuration), so a search over 10,000 repositories
 * matches globs only for repositories it has not judged yet.
 */
let configurations = 0

export function viewerFor(policy: ViewerPolicy) {
  // Keys differ between configurations: a reloaded policy never reuses the old one's answers.
  const configuration = ++configurations
  const decisions = new Map<string, Map<string, boolean>>()
  const remembered = (key: string): Map<string, boolean> => {
    let known = decisions.get(key)
    if (!known) {
      if (decisions.size >= REMEMBERED_VIEWERS) decisions.delete(decisions.keys().next().value!)
      known = new Map()
      decisions.set(key, known)
    }
    return known
  }
  return (principal: Principal | undefined): Viewer => {
    if (principal === undefined && !policy.access.configured) return OPEN
    const who = principal ?? anonymousPrincipal()
    // Everything the decisions depend on (name, groups, method, key scopes, token claims).
    const key = `${configuration}:${JSON.stringify(who)}`
    const known = remembered(key)
    return {
      key,
      username: who.username,
      canRead(repository) {
        let allowed = known.get(repository)
        if (allowed === undefined) {
          allowed = policy.readable(principal, [repository]).length > 0
          known.set(repository, allowed)
        }
        return allowed
      },
      canDelete: (repository) => policy.access.can(who, 'delete', repository),
    }
  }
}
