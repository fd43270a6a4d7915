/**
 * @module
 * Digests as the image spec defines them (`algorithm:encoded`), and streaming hashers.
 * Only registered algorithms are accepted, with their exact encoded length, so a digest can be
 * used as a storage path segment without further checks.
 */
import { RegistryError } from '../errors/registry-error'

export type DigestAlgorithm = 'sha256' | 'sha512'

const ENCODED = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ } as const

export interface Digest {
  algorithm: DigestAlgorithm
  encoded: string
  /** `algorithm:encoded` */
  value: string
}

/** Parses a digest, or returns undefined when it is not a valid, supported one. */
export function parseDigest(value: string): Digest | undefined {
  const colon = value.indexOf(':')
  if (colon < 0) return undefined
  const algorithm = value.slice(0, colon)
  const encoded = value.slice(colon + 1)
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return undefined
  if (!ENCODED[algorithm].test(encoded)) return undefined
  return { algorithm, encoded, value }
}

/** Parses a digest or throws DIGEST_INVALID naming it. */
export function requireDigest(value: string): Digest {
  const digest = parseDigest(value)
  if (!digest) {
    throw new RegistryError('DIGEST_INVALID', {
      message: 'invalid digest',
      detail: { description: 'digests are sha256:<64 hex> or sha512:<128 hex>', digest: value },
    })
  }
  return digest
}

export function isDigest(value: string): boolean {
  return parseDigest(value) !== undefined
}

/** A streaming hasher; `copy` forks its state (so a chunk that turns out invalid can be undone). */
export interface Hasher {
  update(chunk: Uint8Array): void
  /** `algorithm:hex` */
  digest(): string
  copy(): Hasher
}

/** A hasher for the algorithm; `digest()` returns `algorithm:hex`. */
export function createHasher(algorithm: DigestAlgorithm = 'sha256'): Hasher {
  return wrapHasher(new Bun.CryptoHasher(algorithm), algorithm)
}

function wrapHasher(hasher: Bun.CryptoHasher, algorithm: DigestAlgorithm): Hasher {
  return {
    update: (chunk) => void hasher.update(chunk),
    digest: () => `${algorithm}:${hasher.digest('hex')}`,
    copy: () => wrapHasher(hasher.copy(), algorithm),
  }
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${new Bun.CryptoHasher(algorithm).update(data).digest('hex')}`
}
