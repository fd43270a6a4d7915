/**
 * @module
 * Which actions a distribution-API request needs (docs/zot-compatibility.md 3.1). Reads need `read`,
 * deletes `delete`, every write `create`, except that putting a manifest under a tag that
 * already exists is `update`: a policy granting read+create therefore lets CI push new tags but
 * never move one. With `?tag=` parameters each tag counts: any new tag needs `create`, any
 * existing one `update`, and all must pass. This look at the tags happens before the body
 * arrives, so it only answers early: for a principal with `create` but not `update`, `authorize`
 * has the registry check again, under the repository's lock, that no tag it writes exists.
 */
import type { Action } from '../../http/context'
import type { RequestTarget } from '../../oci/request-target'

/** Whether a tag exists in a repository (injected: storage lives elsewhere). */
export type TagExists = (repository: string, tag: string) => Promise<boolean>

export interface RequiredActionsContext {
  tagExists: TagExists
  /** The request's `?tag=` parameters (manifest PUT). */
  tags?: readonly string[]
}

/** Beyond this many tags the handler refuses the request anyway (zot: 414 over 46). */
const MAX_TAGS_CHECKED = 100

const isDigest = (reference: string): boolean => reference.includes(':')

async function manifestPutActions(repository: string, tags: string[], tagExists: TagExists): Promise<Action[]> {
  if (tags.length === 0) return ['create']
  // Demand both rather than probe storage for each of thousands of tags.
  if (tags.length > MAX_TAGS_CHECKED) return ['create', 'update']
  const exists = await Promise.all(tags.map((tag) => tagExists(repository, tag)))
  const actions: Action[] = []
  if (exists.includes(false)) actions.push('create')
  if (exists.includes(true)) actions.push('update')
  return actions
}

/**
 * The actions `method` on `target` needs on `target.repository`. `/v2/`, `/v2/_catalog` and the
 * extension endpoints name no repository and need none (their answers are filtered instead).
 *
 * @example
 * await requiredActions('PUT', { kind: 'manifest', repository: 'ci/app', reference: 'v1' }, { tagExists })
 * // ['update'] when v1 exists, ['create'] when it does not
 */
export async function requiredActions(
  method: string,
  target: RequestTarget,
  context: RequiredActionsContext,
): Promise<Action[]> {
  if (!('repository' in target) || method === 'OPTIONS') return []
  switch (method) {
    case 'GET':
    case 'HEAD':
      return ['read']
    case 'DELETE':
      return ['delete']
    case 'PUT':
      if (target.kind === 'manifest') {
        const tags = new Set(context.tags ?? [])
        if (!isDigest(target.reference)) tags.add(target.reference)
        return manifestPutActions(target.repository, [...tags], context.tagExists)
      }
      return ['create']
    case 'POST':
    case 'PATCH':
      return ['create']
    default:
      // Unknown methods end in 405 from the handlers; asking for `read` first keeps even that
      // answer (which reveals nothing) behind the repository's read policy.
      return ['read']
  }
}
