/**
 * @module
 * The one place errors become responses: the spec's `{"errors":[...]}` envelope for every
 * failure, 503 for storage outages, and 500 (logged, details withheld) for bugs.
 */
import { RegistryError } from '../errors/registry-error'
import { StorageUnavailableError } from '../errors/storage-unavailable'

export const API_VERSION_HEADER = { 'Docker-Distribution-API-Version': 'registry/2.0' } as const

/**
 * Converts anything thrown into a RegistryError. Storage outages and bugs are reported through
 * `onUnexpected` with their full message; the client gets no path, bucket or stack (a 5xx can be
 * caused by anyone, anonymous included).
 */
export function toRegistryError(error: unknown, onUnexpected: (error: unknown) => void): RegistryError {
  if (error instanceof RegistryError) return error
  onUnexpected(error)
  if (error instanceof StorageUnavailableError) {
    return new RegistryError('UNAVAILABLE', { detail: { description: error.reason }, headers: { 'Retry-After': '5' } })
  }
  return new RegistryError('UNKNOWN', { detail: { description: 'internal error; the server log has the details' } })
}

export function renderError(error: RegistryError, method: string): Response {
  const headers = { ...API_VERSION_HEADER, 'Content-Type': 'application/json', ...error.headers }
  // HEAD responses carry no body; the status and headers say it all.
  return new Response(method === 'HEAD' ? null : JSON.stringify(error.toJSON()), { status: error.status, headers })
}
