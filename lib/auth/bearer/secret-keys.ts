/**
 * @module
 * The token keys in an AWS Secrets Manager secret, zot's format: the SecretString is a JSON object
 * from key id (the tokens' `kid` header) to a PEM public key, a PEM certificate or a JWKS with one
 * key (verification-key.ts), e.g. `{"2026-01": "-----BEGIN PUBLIC KEY-----\n..."}`.
 *
 * Unlike zot, which refuses the whole secret when one entry is unusable (every token is then
 * refused at the next refresh), an unusable entry is skipped and reported by its key id, so a
 * typo in a key being added during a rotation does not take down the keys in use. The secret is
 * bounded (zot reads whatever it gets): at most 64 KiB (AWS's own limit on a secret) and 100
 * keys, so a wrong secret name pointing at something big costs nothing.
 */
import type { KeyObject } from 'node:crypto'
import { publicKeyOf } from './verification-key'

/** Largest SecretString read, in bytes: AWS's limit on a secret's value. */
export const MAX_SECRET_BYTES = 64 * 1024
/** Most keys in one secret: a rotation needs two or three. */
export const MAX_SECRET_KEYS = 100
/** Longest key id: ids are names or short hashes. */
const MAX_KID_LENGTH = 256

export interface SecretKeys {
  keys: Map<string, KeyObject>
  /** Entries left out, with why. */
  skipped: { kid: string; reason: string }[]
}

/** Shortens a key id for messages (the secret's ids, or any token's). */
export const shownKid = (kid: string): string => JSON.stringify(kid.length > 64 ? `${kid.slice(0, 64)}…` : kid)

/**
 * The usable keys of a secret's value.
 *
 * @throws Error saying what is wrong when the secret as a whole is unusable: too large, not a JSON
 *   object, too many entries, or no usable key at all
 */
export function parseSecretKeys(secret: string): SecretKeys {
  const bytes = Buffer.byteLength(secret)
  if (bytes > MAX_SECRET_BYTES) throw new Error(`it holds ${bytes} bytes, more than the ${MAX_SECRET_BYTES} read`)
  let parsed: unknown
  try {
    parsed = JSON.parse(secret)
  } catch (error) {
    throw new Error(`it is not JSON (${(error as Error).message})`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('it must be a JSON object from key id to PEM public key, certificate or one-key JWKS')
  }
  const entries = Object.entries(parsed)
  if (entries.length > MAX_SECRET_KEYS) {
    throw new Error(`it holds ${entries.length} keys, more than the ${MAX_SECRET_KEYS} accepted`)
  }
  const keys = new Map<string, KeyObject>()
  const skipped: SecretKeys['skipped'] = []
  for (const [kid, value] of entries) {
    if (kid === '' || kid.length > MAX_KID_LENGTH) {
      skipped.push({ kid, reason: `a key id must be 1 to ${MAX_KID_LENGTH} characters` })
    } else if (typeof value !== 'string') {
      skipped.push({ kid, reason: 'the value must be a string: a PEM key or certificate, or a JWKS as text' })
    } else {
      try {
        keys.set(kid, publicKeyOf(value))
      } catch (error) {
        skipped.push({ kid, reason: (error as Error).message })
      }
    }
  }
  if (keys.size === 0) {
    const reasons = skipped.map(({ kid, reason }) => `${shownKid(kid)}: ${reason}`)
    throw new Error(`it holds no usable key${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`)
  }
  return { keys, skipped }
}
