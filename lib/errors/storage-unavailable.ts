/**
 * @module
 * The one failure of the storage backend itself (disk full, S3 down). Drivers throw it; the
 * renderer turns it into 503 and readiness into a failing check, without knowing any driver.
 */

/**
 * Rendered as 503. `message` is for the server log and may name paths, buckets and endpoints;
 * clients get only `reason`, a short class of failure that reveals nothing about the machine
 * (anyone can trigger a 503).
 */
export class StorageUnavailableError extends Error {
  readonly reason: string

  constructor(message: string, options?: { cause?: unknown; reason?: string }) {
    super(message, options)
    this.name = 'StorageUnavailableError'
    this.reason = options?.reason ?? 'the storage backend is unavailable'
  }
}
