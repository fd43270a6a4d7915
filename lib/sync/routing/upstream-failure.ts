/**
 * @module
 * What a client hears when no upstream could supply uncached content: not a bare
 * MANIFEST_UNKNOWN, but which upstreams were asked and what each said. An upstream that is
 * down or rate-limited is a 503 with Retry-After (so clients and containerd back off or fall
 * back); one that does not have the content, or refused our credentials, is a 404.
 */
import { RegistryError, type ErrorCode } from '../../errors/registry-error'
import { isUpstreamError } from '../upstream/upstream-error'
import { type RouteFailure, routeLabel } from './route'

const reason = (error: unknown): string =>
  error instanceof RegistryError ? 'not found' : error instanceof Error ? error.message : String(error)

/**
 * What each upstream said, from an error `upstreamFailure` made (its client-facing message is
 * about content that is not cached), or the message of any other error.
 */
export function upstreamReasons(error: unknown): readonly unknown[] | string {
  if (error instanceof RegistryError && Array.isArray(error.detail.upstreams)) {
    return error.detail.upstreams
  }
  return error instanceof Error ? error.message : String(error)
}

/** The error for content no route could supply. */
export function upstreamFailure(
  code: ErrorCode,
  detail: Record<string, unknown>,
  failures: readonly RouteFailure[],
): RegistryError {
  const upstreams = failures.map(({ route, error }) => `${routeLabel(route)}: ${reason(error)}`)
  const unavailable = failures
    .map(({ error }) => error)
    .filter((error) => isUpstreamError(error, 'unavailable') || isUpstreamError(error, 'invalid'))
  if (unavailable.length === 0) return new RegistryError(code, { detail: { ...detail, upstreams } })
  const retryAfter = Math.max(
    1,
    ...unavailable.map((error) => Math.ceil((isUpstreamError(error) ? (error.retryAfter ?? 0) : 0) / 1000)),
  )
  return new RegistryError('UNAVAILABLE', {
    message: 'upstream unavailable and the content is not cached',
    detail: { ...detail, upstreams },
    headers: { 'Retry-After': String(retryAfter) },
  })
}
