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

/** No authentication and no access control: everybody may do everything. */
const OPEN: Viewer = { key: '', username: '', canRead: () => true, canDelete: () => true }

export function viewerFor(policy: ViewerPolicy) {
  return (principal: Principal | undefined): Viewer => {
    if (principal === undefined && !policy.access.configured) return OPEN
    const who = principal ?? anonymousPrincipal()
    return {
      // Everything the decisions depend on (name, groups, method, key scopes, token claims).
      key: JSON.stringify(who),
      username: who.username,
      canRead: (repository) => policy.readable(principal, [repository]).length > 0,
      canDelete: (repository) => policy.access.can(who, 'delete', repository),
    }
  }
}
