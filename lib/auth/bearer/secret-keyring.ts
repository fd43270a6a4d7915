/**
 * @module
 * When the token keys of an AWS Secrets Manager secret are read again, and what happens while
 * they cannot be (docs/auth.md "Keys from AWS Secrets Manager"). As in zot, the keys are cached
 * for `refreshInterval` (0 means zot's default, a minute), read again by the first token check
 * after that, and the token's `kid` picks its key. Better than zot:
 *
 * - Single flight: the requests that find the keys stale wait for one read, not one each (zot
 *   has every concurrent request call GetSecretValue).
 * - A failed read (AWS unreachable, throttling, a malformed secret) keeps the last good keys for
 *   up to an hour past their refresh time, logging each failure and retrying with backoff (1 s
 *   doubling to 30 s) instead of on every request; zot refuses every token until AWS answers.
 *   With no good keys (never read, or past that hour) tokens get 503 with `Retry-After`, not 401:
 *   the token may be fine, and clients keep it and retry.
 * - A token with an unknown `kid` (a key being rotated in) reads the secret early, but only when
 *   the last read is 5 s old or more, so random key ids cost at most one read per 5 s.
 */
import type { KeyObject } from 'node:crypto'
import type { Logger } from '../../log/logger'
import { parseSecretKeys, shownKid } from './secret-keys'
import { type TokenKeys, TokenKeysUnavailableError } from './verification-key'

/** zot's `refreshInterval` when 0. */
export const DEFAULT_REFRESH_MS = 60_000
/** How long past their refresh time the last good keys still verify tokens while reads fail. */
export const KEEP_LAST_GOOD_MS = 60 * 60_000
/** An unknown `kid` reads the secret early only when the last read started this long ago. */
export const EARLY_REFRESH_COOLDOWN_MS = 5_000
const FIRST_RETRY_MS = 1_000
const LONGEST_RETRY_MS = 30_000

/** A SecretString that is not a key set at all; logged as an error with its fix. */
export class SecretFormatError extends Error {
  override name = 'SecretFormatError'
}

export interface SecretKeyringOptions {
  secretName: string
  /** `refreshInterval` in ms; 0 takes zot's default. */
  refreshMs: number
  /** Reads the secret's SecretString (GetSecretValue); throws when it cannot. */
  read(): Promise<string>
  logger: Logger
  /** The clock, for tests. */
  now?: () => number
}

export interface SecretKeyring extends TokenKeys {
  /** Reads the secret now, or joins the read under way; never throws (failures are logged). */
  refresh(): Promise<void>
}

export function secretKeyring(options: SecretKeyringOptions): SecretKeyring {
  const { secretName, logger } = options
  const now = options.now ?? Date.now
  const refreshMs = options.refreshMs > 0 ? options.refreshMs : DEFAULT_REFRESH_MS
  let keys: Map<string, KeyObject> | undefined
  let freshUntil = 0
  let usableUntil = 0
  let lastReadAt = Number.NEGATIVE_INFINITY
  let retryAt = 0
  let failures = 0
  let lastFailure = ''
  let reading: Promise<void> | undefined

  async function read(): Promise<void> {
    lastReadAt = now()
    try {
      const secret = await options.read()
      let parsed: ReturnType<typeof parseSecretKeys>
      try {
        parsed = parseSecretKeys(secret)
      } catch (error) {
        throw new SecretFormatError((error as Error).message)
      }
      for (const { kid, reason } of parsed.skipped) {
        logger.error('a key in the AWS Secrets Manager secret is unusable; tokens with its kid are refused', {
          secretName,
          kid: shownKid(kid),
          reason,
          fix: 'store a PEM public key, a PEM certificate or a JWKS with one key as the value of this key id',
        })
      }
      keys = parsed.keys
      freshUntil = now() + refreshMs
      usableUntil = freshUntil + KEEP_LAST_GOOD_MS
      failures = 0
      retryAt = 0
    } catch (error) {
      failures++
      const retryMs = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * 2 ** (failures - 1))
      retryAt = now() + retryMs
      const malformed = error instanceof SecretFormatError
      lastFailure = malformed
        ? `the secret is malformed: ${error.message}`
        : `${(error as Error).name}: ${(error as Error).message}`
      const fields = {
        secretName,
        error: lastFailure,
        retryInMs: retryMs,
        ...(malformed && {
          fix: 'store a JSON object from key id to PEM public key, PEM certificate or one-key JWKS as the SecretString',
        }),
        ...(keys && { lastGoodKeysUntil: new Date(usableUntil).toISOString() }),
      }
      if (keys && !malformed)
        logger.warn('cannot read the AWS Secrets Manager secret; keeping the last good keys', fields)
      else logger.error('cannot use the AWS Secrets Manager secret with the bearer token keys', fields)
    }
  }

  function refresh(): Promise<void> {
    // Cleared in `finally`, which runs after this assignment even when the read fails at once.
    reading ??= read().finally(() => {
      reading = undefined
    })
    return reading
  }

  function usableKeys(): Map<string, KeyObject> {
    if (keys && now() >= usableUntil) {
      logger.error('the last good bearer token keys are too old to trust; refusing tokens until the secret is read', {
        secretName,
      })
      keys = undefined
    }
    if (!keys) {
      throw new TokenKeysUnavailableError(
        `no bearer token keys: the AWS Secrets Manager secret ${secretName} could not be read (${lastFailure || 'not read yet'})`,
      )
    }
    return keys
  }

  async function keyFor(kid: unknown): Promise<KeyObject> {
    if (kid === undefined) throw new Error("the token has no 'kid' header to pick its key in the secret")
    if (typeof kid !== 'string' || kid === '') throw new Error("the token's 'kid' header is not a non-empty string")
    if (now() >= freshUntil && now() >= retryAt) await refresh()
    let key = usableKeys().get(kid)
    if (!key && (reading || (now() - lastReadAt >= EARLY_REFRESH_COOLDOWN_MS && now() >= retryAt))) {
      logger.info('a token names an unknown kid; reading the AWS Secrets Manager secret early', {
        secretName,
        kid: shownKid(kid),
      })
      await refresh()
      key = usableKeys().get(kid)
    }
    if (!key) throw new Error(`no key with kid ${shownKid(kid)} in the AWS Secrets Manager secret`)
    return key
  }

  return { keyFor, refresh }
}
