/**
 * @module
 * The two ways authentication and authorization fail, as RegistryErrors for the one renderer:
 * 401 UNAUTHORIZED with a Basic challenge (no or bad credentials, or anonymous and not allowed)
 * and 403 DENIED (authenticated, not allowed). `failDelay` is slept before either is thrown, so
 * guessing passwords costs the guesser time (zot's `http.auth.failDelay`).
 */
import type { Context } from 'hono'
import { RegistryError } from '../errors/registry-error'
import { isUiClient } from './sessions/ui-client'

/** zot's realm when `http.realm` is empty. */
export const DEFAULT_REALM = 'Authorization Required'

export interface FailureOptions {
  /** `http.realm`; empty or absent gives `Authorization Required`. */
  realm?: string
  /** `http.auth.failDelay`, in seconds; absent without `http.auth`. */
  failDelay?: number
}

/** The `WWW-Authenticate` value for a realm, with the quoted-string escapes of RFC 9110. */
export const basicChallenge = (realm?: string): string =>
  `Basic realm="${(realm || DEFAULT_REALM).replace(/[\\"]/g, '\\$&')}"`

/** 401 with a Basic challenge, except for zot's web UI (see `ui-client`). */
export const unauthorized = (c: Context, options: FailureOptions, description: string): RegistryError =>
  new RegistryError('UNAUTHORIZED', {
    detail: { description },
    headers: isUiClient(c) ? {} : { 'WWW-Authenticate': basicChallenge(options.realm) },
  })

/** 403 DENIED; `reason` is a policy condition's message, which zot sends as `detail.reason`. */
export const denied = (description: string, reason?: string): RegistryError =>
  new RegistryError('DENIED', { detail: { description, ...(reason && { reason }) } })

/** Sleeps `failDelay` seconds. */
export async function sleepFailDelay(options: FailureOptions): Promise<void> {
  if (options.failDelay) await Bun.sleep(options.failDelay * 1000)
}

/** Sleeps `failDelay` seconds, then throws the error. */
export async function failAfterDelay(options: FailureOptions, error: RegistryError): Promise<never> {
  await sleepFailDelay(options)
  throw error
}

/**
 * A 400 or 404 of the `/zot/auth/...` endpoints, in the registry's error envelope. These are not
 * RegistryErrors because the shared code table has no generic bad-request or not-found code.
 */
export const problem = (status: 400 | 404, message: string): Response =>
  Response.json({ errors: [{ code: status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST', message, detail: {} }] }, { status })
