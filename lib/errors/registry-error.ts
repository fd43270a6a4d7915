/**
 * @module
 * The one error type of the registry. Code anywhere throws a `RegistryError`; the HTTP layer's
 * single renderer (`lib/http/render-error.ts`) turns it into the distribution spec's envelope
 * `{"errors":[{"code","message","detail"}]}` with the status from the code table below.
 */

/** Every error code the registry answers with, with its default HTTP status and message. */
export const ERROR_CODES = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  // Not in the spec's table, but distribution's: bad pagination, storage outages and bugs.
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  RANGE_INVALID: { status: 416, message: 'requested range not satisfiable' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  UNKNOWN: { status: 500, message: 'unknown error' },
} as const satisfies Record<string, { status: number; message: string }>

export type ErrorCode = keyof typeof ERROR_CODES

export interface RegistryErrorOptions {
  /** Free-form, JSON-serialisable detail; a string becomes `{ description }`. */
  detail?: string | Record<string, unknown>
  /** Overrides the code's message. */
  message?: string
  /** Overrides the code's status, e.g. 416 for BLOB_UPLOAD_INVALID on a bad range. */
  status?: number
  /** Extra response headers, e.g. `Range` or `WWW-Authenticate`. */
  headers?: Record<string, string>
  cause?: unknown
}

export class RegistryError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly detail: Record<string, unknown>
  readonly headers: Record<string, string>

  constructor(code: ErrorCode, options: RegistryErrorOptions = {}) {
    const entry = ERROR_CODES[code]
    super(options.message ?? entry.message, { cause: options.cause })
    this.name = 'RegistryError'
    this.code = code
    this.status = options.status ?? entry.status
    const detail = options.detail
    this.detail = typeof detail === 'string' ? { description: detail } : { ...detail }
    this.headers = options.headers ?? {}
  }

  /** The spec's error body. */
  toJSON(): { errors: { code: string; message: string; detail: Record<string, unknown> }[] } {
    return { errors: [{ code: this.code, message: this.message, detail: this.detail }] }
  }
}
