/**
 * @module
 * Which actions a distribution-API request needs (docs/zot-compatibility.md 3.1). Reads need `read`,
 * deletes `delete`, every write `create`, except that putting a manifest under a tag that
 * already exists is `update`: a policy granting read+create therefore lets CI push new tags but
 * never move one. With `?tag=` parameters each tag counts: any new tag needs `create`, any
 * existing one `update`, and all must pass. This look at the tags happens before the body
 * arrives, so it only answers early: for a principal with `create` but not `update`, `authorize`
 * has the registry check again, under the repository's lock, that no tag it writes exists.
 * Each action comes with the reference it concerns, which policy conditions see.
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

/** One action the request needs, and the reference policy conditions see it for (`req.reference`). */
export interface RequiredCheck {
  action: Action
  /** The tag or digest it concerns; "" outside the manifest routes (zot's `{reference}` route variable). */
  reference: string
}

/** Beyond this many tags the handler refuses the request anyway (zot: 414 over 46). */
const MAX_TAGS_CHECKED = 100

const isDigest = (reference: string): boolean => reference.includes(':')

/**
 * zot's manifestWriteAuthzChecks: each tag written needs `create` when new, `update` when it
 * exists, judged with the tag as reference; a push by digest also needs, for the digest itself,
 * `create` when it adds a tag or none, and `update` when it moves one.
 */
async function manifestPutChecks(
  repository: string,
  reference: string,
  queryTags: readonly string[],
  tagExists: TagExists,
): Promise<RequiredCheck[]> {
  const tags = new Set(queryTags)
  if (!isDigest(reference)) tags.add(reference)
  if (tags.size === 0) return [{ action: 'create', reference }]
  // Demand both rather than probe storage for each of thousands of tags.
  if (tags.size > MAX_TAGS_CHECKED) {
    return [
      { action: 'create', reference },
      { action: 'update', reference },
    ]
  }
  const written = [...tags]
  const exists = await Promise.all(written.map((tag) => tagExists(repository, tag)))
  const checks: RequiredCheck[] = written.map((tag, index) => ({
    action: exists[index] ? 'update' : 'create',
    reference: tag,
  }))
  if (isDigest(reference)) {
    if (exists.includes(false)) checks.push({ action: 'create', reference })
    if (exists.includes(true)) checks.push({ action: 'update', reference })
  }
  return checks
}

const simpleAction = (method: string): Action => {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return 'read'
    case 'DELETE':
      return 'delete'
    case 'PUT':
    case 'POST':
    case 'PATCH':
      return 'create'
    default:
      // Unknown methods end in 405 from the handlers; asking for `read` first keeps even that
      // answer (which reveals nothing) behind the repository's read policy.
      return 'read'
  }
}

/**
 * The checks `method` on `target` needs on `target.repository`. `/v2/`, `/v2/_catalog` and the
 * extension endpoints name no repository and need none (their answers are filtered instead).
 *
 * @example
 * await requiredChecks('PUT', { kind: 'manifest', repository: 'ci/app', reference: 'v1' }, { tagExists })
 * // [{ action: 'update', reference: 'v1' }] when v1 exists, create when it does not
 */
export async function requiredChecks(
  method: string,
  target: RequestTarget,
  context: RequiredActionsContext,
): Promise<RequiredCheck[]> {
  if (!('repository' in target) || method === 'OPTIONS') return []
  const reference = target.kind === 'manifest' ? target.reference : ''
  if (method === 'PUT' && target.kind === 'manifest') {
    return manifestPutChecks(target.repository, reference, context.tags ?? [], context.tagExists)
  }
  return [{ action: simpleAction(method), reference }]
}
