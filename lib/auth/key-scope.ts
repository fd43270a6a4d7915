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
 */
import type { Action } from '../http/context'
import { repositoryGlob, type RepositoryMatcher } from './repository-glob'

export const ACTIONS: readonly Action[] = ['read', 'create', 'update', 'delete']

export interface KeyScope {
  pattern: string
  actions: readonly Action[]
  matches: RepositoryMatcher
}

const isAction = (value: string): value is Action => (ACTIONS as readonly string[]).includes(value)

/** Parses one scope string; throws an Error whose message can be shown to the key's creator. */
export function parseKeyScope(text: string): KeyScope {
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
  if (pattern === '') throw new Error(`scope ${JSON.stringify(text)}: empty repository glob`)
  const unknown = actions.filter((action) => !isAction(action))
  if (unknown.length > 0 || actions.length === 0) {
    throw new Error(`scope ${JSON.stringify(text)}: actions must be among ${ACTIONS.join(', ')}`)
  }
  return { pattern, actions: actions.filter(isAction), matches: repositoryGlob(pattern) }
}

/** True when some scope allows the action on the repository. */
export const scopesAllow = (
  scopes: readonly KeyScope[],
  action: Action,
  repository: string,
): boolean => scopes.some((scope) => scope.actions.includes(action) && scope.matches(repository))
