/**
 * @module
 * The `access` claim of distribution tokens (https://distribution.github.io/distribution/spec/auth/jwt/):
 * `[{"type": "repository", "name": "team/app", "actions": ["pull", "push"]}]`, plus zot's
 * per-entry `exp`. Our actions map onto the token's: `read` is `pull`, `create` and `update` are
 * `push`, `delete` is `delete`; `*` grants every action, as in distribution.
 */
import type { Action } from '../../http/context'

export interface ResourceAccess {
  type: string
  name: string
  actions: string[]
  /** zot's extension: this entry expires earlier than the token (seconds since the epoch). */
  exp?: number
}

/** A requested access, as the challenge's `scope` spells it (`repository:team/app:pull,push`). */
export interface Scope {
  type: string
  name: string
  actions: string[]
}

/** The token action an access-control action needs. */
export const TOKEN_ACTION: Record<Action, string> = { read: 'pull', create: 'push', update: 'push', delete: 'delete' }

/** The catalog's scope, as distribution names it. */
export const CATALOG_SCOPE: Scope = { type: 'registry', name: 'catalog', actions: ['*'] }

/** The well-formed entries of an `access` claim; anything else in it is ignored. */
export function parseAccessClaim(claim: unknown): ResourceAccess[] {
  if (!Array.isArray(claim)) return []
  return claim.flatMap((entry: unknown) => {
    if (entry === null || typeof entry !== 'object') return []
    const { type, name, actions, exp } = entry as Record<string, unknown>
    if (typeof type !== 'string' || typeof name !== 'string' || !Array.isArray(actions)) return []
    const names = actions.filter((action): action is string => typeof action === 'string')
    return [{ type, name, actions: names, ...(typeof exp === 'number' && { exp }) }]
  })
}

/** Whether the claim grants `action` on the resource now. */
export function allows(access: readonly ResourceAccess[], type: string, name: string, action: string): boolean {
  const now = Date.now() / 1000
  return access.some(
    (entry) =>
      entry.type === type &&
      entry.name === name &&
      (entry.actions.includes(action) || entry.actions.includes('*')) &&
      (entry.exp === undefined || entry.exp > now),
  )
}

/** `type:name:a,b`; scope strings never contain spaces or quotes (names cannot). */
export const scopeString = (scope: Scope): string => `${scope.type}:${scope.name}:${scope.actions.join(',')}`
