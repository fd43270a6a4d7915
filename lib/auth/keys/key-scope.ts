/**
 * @module
 * API-key scopes. zot stores `scopes` but never enforces them; here they are enforced with this
 * syntax, one string per scope:
 *
 * - `<repository glob>` : every action on the matching repositories;
 * - `<repository glob>:<action>[,<action>...]` : only those actions (`read`, `create`,
 *   `update`, `delete`), e.g. `ci/**:read,create`.
 *
 * A key with scopes may do what its owner's policies allow AND at least one scope allows. A key
 * without scopes is as strong as its owner. Globs use the access-control glob semantics.
 *
 * Any user can write scopes, and every request the key makes matches them, so they are bounded
 * at creation (SCOPE_LIMITS): the matcher is linear in the name whatever the glob, and the limits
 * keep the constant small (a key's scopes cost at most scopes × alternatives passes per name).
 */
import type { Action } from '../../http/context'
import { GlobError, parseGlob, type ParsedGlob } from '../policy/glob-syntax'
import { globMatcher, type RepositoryMatcher } from '../policy/repository-glob'

export const ACTIONS: readonly Action[] = ['read', 'create', 'update', 'delete']

/** What one key's scopes may be; a scope or key beyond them is refused with a 400. */
export const SCOPE_LIMITS = {
  /** Scopes per key. */
  scopes: 32,
  /** Characters per scope, actions included. */
  length: 256,
  /** `*` runs, `**`, `?` and `[...]` classes in one alternative. */
  wildcards: 8,
  /** `**` segments in one alternative. */
  globstars: 3,
  /** Brace alternatives a scope expands to; braces may not nest. */
  alternatives: 16,
} as const

export interface KeyScope {
  pattern: string
  actions: readonly Action[]
  matches: RepositoryMatcher
}

const isAction = (value: string): value is Action => (ACTIONS as readonly string[]).includes(value)

/** The glob of a scope, parsed and held to SCOPE_LIMITS; `refuse` words the reason. */
function scopeGlob(pattern: string, refuse: (reason: string) => Error): ParsedGlob {
  let glob: ParsedGlob
  try {
    glob = parseGlob(pattern, SCOPE_LIMITS.alternatives)
  } catch (error) {
    if (error instanceof GlobError) throw refuse(`the repository glob ${error.message}`)
    throw error
  }
  if (glob.braceDepth > 1) throw refuse('nested braces are not allowed')
  if (glob.wildcards > SCOPE_LIMITS.wildcards) {
    throw refuse(`more than ${SCOPE_LIMITS.wildcards} wildcards (*, **, ?, [...])`)
  }
  if (glob.globstars > SCOPE_LIMITS.globstars) {
    throw refuse(`more than ${SCOPE_LIMITS.globstars} ** segments`)
  }
  return glob
}

/** Parses one scope string; throws an Error whose message can be shown to the key's creator. */
export function parseKeyScope(text: string): KeyScope {
  const refuse = (reason: string): Error => new Error(`scope ${JSON.stringify(text)}: ${reason}`)
  if (text.length > SCOPE_LIMITS.length) {
    throw refuse(`longer than ${SCOPE_LIMITS.length} characters`)
  }
  // The last colon separates actions: repository names never contain one, globs neither.
  const colon = text.lastIndexOf(':')
  const pattern = colon < 0 ? text : text.slice(0, colon)
  const actions =
    colon < 0
      ? ACTIONS
      : text
          .slice(colon + 1)
          .split(',')
          .map((action) => action.trim())
  if (pattern === '') throw refuse('empty repository glob')
  const unknown = actions.filter((action) => !isAction(action))
  if (unknown.length > 0 || actions.length === 0) {
    throw refuse(`actions must be among ${ACTIONS.join(', ')}`)
  }
  const glob = scopeGlob(pattern, refuse)
  return { pattern, actions: actions.filter(isAction), matches: globMatcher(glob) }
}

/**
 * Parses the scopes of one key.
 *
 * @throws Error naming the first scope refused, or the limit on scopes per key
 */
export function parseKeyScopes(texts: readonly string[]): KeyScope[] {
  if (texts.length > SCOPE_LIMITS.scopes) {
    throw new Error(`${texts.length} scopes: at most ${SCOPE_LIMITS.scopes} per key`)
  }
  return texts.map(parseKeyScope)
}

/** True when some scope allows the action on the repository. */
export const scopesAllow = (scopes: readonly KeyScope[], action: Action, repository: string): boolean =>
  scopes.some((scope) => scope.actions.includes(action) && scope.matches(repository))
