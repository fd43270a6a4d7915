/**
 * @module
 * Why an upstream could not answer. Sync decides from the kind alone: `unavailable` (network,
 * timeout, 5xx, 429, open circuit) serves what is cached, `unauthorized` and `not-found` move on
 * to the next registry entry, `invalid` (bytes that do not match their digest, unparseable
 * manifests) is never cached.
 */
export type UpstreamErrorKind = 'unavailable' | 'unauthorized' | 'not-found' | 'invalid'

export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind
  readonly status: number | undefined
  /** When the upstream said to come back (Retry-After), in ms from now. */
  readonly retryAfter: number | undefined

  constructor(
    kind: UpstreamErrorKind,
    message: string,
    options: { status?: number; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause })
    this.name = 'UpstreamError'
    this.kind = kind
    this.status = options.status
    this.retryAfter = options.retryAfter
  }
}

export const isUpstreamError = (error: unknown, kind?: UpstreamErrorKind): error is UpstreamError =>
  error instanceof UpstreamError && (kind === undefined || error.kind === kind)
