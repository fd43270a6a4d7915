/**
 * @module
 * What a `/v2/...` path addresses. Repository names contain `/`, so the path is parsed from the
 * right: the last `/manifests/`, `/blobs/`, `/tags/list`... decides. Auth, metrics, logging and
 * the handlers all read the same parsed target from the request context.
 */
import { requireRepositoryName } from './names'

export type RequestTarget =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'tags'; repository: string }
  | { kind: 'manifest'; repository: string; reference: string }
  | { kind: 'blob'; repository: string; digest: string }
  | { kind: 'uploads'; repository: string }
  | { kind: 'upload'; repository: string; uploadId: string }
  | { kind: 'referrers'; repository: string; digest: string }
  /** `/v2/_oci/ext/discover` (`name: 'discover'`) and zot's `/v2/_zot/ext/<name>[/...]`. */
  | { kind: 'extension'; name: string }

const PATTERNS: [RegExp, (m: RegExpMatchArray) => RequestTarget][] = [
  [/^(.+)\/tags\/list$/, (m) => ({ kind: 'tags', repository: m[1]! })],
  [/^(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', repository: m[1]! })],
  [/^(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', repository: m[1]!, uploadId: m[2]! })],
  [/^(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', repository: m[1]!, digest: m[2]! })],
  [/^(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', repository: m[1]!, reference: m[2]! })],
  [/^(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', repository: m[1]!, digest: m[2]! })],
]

/**
 * Parses a request path (`/v2/...`, already percent-decoded by the URL parser) into a target.
 * Returns undefined for paths that are not part of the distribution API. A repository name that
 * breaks the grammar throws NAME_INVALID.
 */
export function parseRequestTarget(pathname: string): RequestTarget | undefined {
  if (pathname === '/v2' || pathname === '/v2/') return { kind: 'base' }
  if (!pathname.startsWith('/v2/')) return undefined
  const rest = pathname.slice(4)
  if (rest === '_catalog') return { kind: 'catalog' }
  // Repository names start with a letter or digit, so these never shadow a repository.
  if (rest === '_oci/ext/discover') return { kind: 'extension', name: 'discover' }
  const zotExtension = rest.match(/^_zot\/ext\/([a-z]+)(?:\/.*)?$/)
  if (zotExtension) return { kind: 'extension', name: zotExtension[1]! }
  for (const [pattern, build] of PATTERNS) {
    const match = rest.match(pattern)
    if (match) {
      const target = build(match)
      if ('repository' in target) requireRepositoryName(target.repository)
      return target
    }
  }
  return undefined
}
