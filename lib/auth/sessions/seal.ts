/**
 * @module
 * Sealed cookie values: JSON encrypted and authenticated with AES-256-GCM (the GCM tag is the
 * signature: any change to the value fails to open). The cookie name is bound in as associated
 * data, so a sealed login state cannot be replayed as a session, and an expiry is sealed inside,
 * so a stolen cookie dies on time even if the browser keeps it.
 *
 * Keys come from zot's `sessionKeysFile` (`{"hashKey": ..., "encryptKey": ...}`), so sessions
 * survive restarts and are shared by replicas; without it a random key per start (sessions end
 * at restart, as in zot).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'

export interface SessionKeys {
  hashKey: string
  encryptKey?: string
}

export interface Sealer {
  /** Seals `payload` for a cookie named `purpose`, valid for `maxAgeSeconds`. */
  seal(purpose: string, payload: object, maxAgeSeconds: number): string
  /** The payload, or undefined when the value is forged, altered, expired or for another purpose. */
  unseal<T extends object>(purpose: string, sealed: string | undefined): T | undefined
}

const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * Reads a `sessionKeysFile`.
 *
 * @throws Error when the file is unreadable or has no non-empty `hashKey`
 */
export function readSessionKeysFile(path: string): SessionKeys {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Record<string, unknown>>
  const { hashKey, encryptKey } = parsed
  if (typeof hashKey !== 'string' || hashKey === '') {
    throw new Error(`${path}: "hashKey" must be a non-empty string`)
  }
  return { hashKey, ...(typeof encryptKey === 'string' && encryptKey !== '' && { encryptKey }) }
}

/**
 * Creates a sealer from session keys, or from a random key when there are none.
 *
 * @example
 * const sealer = createSealer(readSessionKeysFile('/etc/zot/session-keys.json'))
 * const value = sealer.seal('session', { user: 'alice' }, 7200)
 * sealer.unseal<{ user: string }>('session', value) // { user: 'alice', exp: ... }
 */
export function createSealer(keys?: SessionKeys): Sealer {
  // One AES key from both of zot's keys; HKDF makes any key length (and quality) usable.
  const material = keys ? Buffer.from(`${keys.hashKey}\0${keys.encryptKey ?? ''}`, 'utf8') : randomBytes(32)
  const key = Buffer.from(hkdfSync('sha256', material, 'zot-bun session cookies', 'aes-256-gcm', 32))

  return {
    seal(purpose, payload, maxAgeSeconds) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(purpose))
      const plain = JSON.stringify({
        ...payload,
        exp: Math.floor(Date.now() / 1000) + maxAgeSeconds,
      })
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
    },
    unseal<T extends object>(purpose: string, sealed: string | undefined): T | undefined {
      if (!sealed) return undefined
      try {
        const bytes = Buffer.from(sealed, 'base64url')
        if (bytes.length < IV_BYTES + TAG_BYTES) return undefined
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES)).setAAD(Buffer.from(purpose))
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
        const plain = Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ])
        const payload = JSON.parse(plain.toString('utf8')) as T & { exp?: unknown }
        return typeof payload.exp === 'number' && payload.exp > Date.now() / 1000 ? payload : undefined
      } catch {
        return undefined
      }
    },
  }
}
