/**
 * @module
 * The API-key format of zot: `zak_` followed by 32 lowercase hex digits. Only a SHA-256 of the
 * hex part is ever stored. A fast hash is right here: keys carry 128 random bits, so there is
 * nothing to brute-force that a slow hash would protect (unlike passwords).
 */
import { randomBytes } from 'node:crypto'

export const API_KEY_PREFIX = 'zak_'
const API_KEY = /^zak_[0-9a-f]{32}$/

/** True when the text has the shape of an API key (cheap pre-check before any storage read). */
export const looksLikeApiKey = (text: string): boolean => API_KEY.test(text)

/** A fresh key: 128 bits from the system CSPRNG. */
export const generateApiKey = (): string => API_KEY_PREFIX + randomBytes(16).toString('hex')

/** The stored form of a key: SHA-256 (hex) of the part after `zak_`, as zot stores it. */
export const hashApiKey = (key: string): string =>
  new Bun.CryptoHasher('sha256').update(key.slice(API_KEY_PREFIX.length)).digest('hex')
