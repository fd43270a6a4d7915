/**
 * @module
 * SHA-crypt (`$5$` SHA-256, `$6$` SHA-512) as published by Ulrich Drepper
 * (https://www.akkadia.org/drepper/SHA-crypt.txt), the format `htpasswd -2/-5` and glibc write
 * and zot accepts in htpasswd files. The step numbers in comments are the spec's.
 *
 * The rounds run on the main thread (Bun has no native SHA-crypt), so they yield to the event
 * loop every `ROUNDS_PER_SLICE` rounds: a hash with a huge round count, or many checks at once,
 * then slow down logins, never every other request; a slice is short enough not to be noticed.
 */
import { timingSafeEqual } from 'node:crypto'

type Algorithm = 'sha256' | 'sha512'

interface Variant {
  algorithm: Algorithm
  /** Digest bytes taken three at a time, in the order the spec's output encoding lists them. */
  order: readonly number[]
}

const VARIANTS: Record<'5' | '6', Variant> = {
  '5': {
    algorithm: 'sha256',
    order: [
      0, 10, 20, 21, 1, 11, 12, 22, 2, 3, 13, 23, 24, 4, 14, 15, 25, 5, 6, 16, 26, 27, 7, 17, 18, 28, 8, 9, 19, 29, 31,
      30,
    ],
  },
  '6': {
    algorithm: 'sha512',
    order: [
      0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7, 50, 8, 29, 9, 30, 51, 31,
      52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57, 37, 58, 16, 59, 17, 38, 18, 39, 60, 40, 61,
      19, 62, 20, 41, 63,
    ],
  },
}

const ROUNDS_DEFAULT = 5000
const ROUNDS_MIN = 1000
const ROUNDS_MAX = 999_999_999
const SALT_MAX = 16
const ROUNDS_PER_SLICE = 1000
const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const SETTING = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]*)(?:\$|$)/

const digest = (algorithm: Algorithm, ...parts: Uint8Array[]): Uint8Array => {
  const hasher = new Bun.CryptoHasher(algorithm)
  for (const part of parts) hasher.update(part)
  return hasher.digest()
}

/** `length` bytes of `source` repeated (steps 11, 16, 20). */
function repeatTo(source: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let offset = 0; offset < length; offset += source.length) {
    out.set(source.subarray(0, Math.min(source.length, length - offset)), offset)
  }
  return out
}

/** The spec's base-64: little-endian groups of three bytes, `./0-9A-Za-z`. */
function encode(bytes: Uint8Array, order: readonly number[]): string {
  let out = ''
  for (let index = 0; index < order.length; index += 3) {
    const group = order.slice(index, index + 3)
    // Each group lists its bytes most significant first; a short last group pads with zeros.
    let word = 0
    for (const position of group) word = (word << 8) | (bytes[position] ?? 0)
    for (let shift = 0; shift < group.length + 1; shift++) {
      out += ALPHABET[word & 0x3f]
      word >>>= 6
    }
  }
  return out
}

/** Lets queued I/O and timers run (setImmediate runs after them; a resolved promise would not). */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** The core of the algorithm: the final digest for a password, salt and round count. */
async function shaCryptDigest(
  variant: Variant,
  password: Uint8Array,
  salt: Uint8Array,
  rounds: number,
): Promise<Uint8Array> {
  const { algorithm } = variant
  const b = digest(algorithm, password, salt, password) // steps 4-8
  const aParts: Uint8Array[] = [password, salt, repeatTo(b, password.length)] // steps 1-3, 9-10
  for (let length = password.length; length > 0; length >>= 1) {
    aParts.push(length & 1 ? b : password) // step 11
  }
  const a = digest(algorithm, ...aParts) // step 12
  const dp = digest(algorithm, ...Array<Uint8Array>(password.length).fill(password)) // steps 13-15
  const p = repeatTo(dp, password.length) // step 16
  const ds = digest(algorithm, ...Array<Uint8Array>(16 + a[0]!).fill(salt)) // steps 17-19
  const s = repeatTo(ds, salt.length) // step 20
  let c = a
  for (let round = 0; round < rounds; round++) {
    if (round % ROUNDS_PER_SLICE === ROUNDS_PER_SLICE - 1) await yieldToEventLoop()
    // step 21
    const hasher = new Bun.CryptoHasher(algorithm)
    hasher.update(round & 1 ? p : c)
    if (round % 3 !== 0) hasher.update(s)
    if (round % 7 !== 0) hasher.update(p)
    hasher.update(round & 1 ? c : p)
    c = hasher.digest()
  }
  return c
}

/** True when the text looks like a SHA-crypt hash this module handles. */
export const isShaCrypt = (hash: string): boolean => SETTING.test(hash)

/** The round count a setting asks for, after the spec's clamping to 1000..999,999,999. */
export function shaCryptRounds(setting: string): number {
  const explicit = SETTING.exec(setting)?.[2]
  return explicit === undefined ? ROUNDS_DEFAULT : Math.min(ROUNDS_MAX, Math.max(ROUNDS_MIN, Number(explicit)))
}

/**
 * Computes the SHA-crypt string for `password` with the settings (`$5$[rounds=N$]salt[$...]`) of
 * `setting`, typically a stored hash.
 *
 * @throws Error when `setting` is not a `$5$`/`$6$` string.
 */
export async function shaCrypt(password: string, setting: string): Promise<string> {
  const match = SETTING.exec(setting)
  if (!match) throw new Error('not a SHA-crypt ($5$/$6$) setting')
  const variant = VARIANTS[match[1] as '5' | '6']
  const rounds = shaCryptRounds(setting)
  const salt = (match[3] ?? '').slice(0, SALT_MAX)
  const encoder = new TextEncoder()
  const [key, saltBytes] = [encoder.encode(password), encoder.encode(salt)]
  const final = await shaCryptDigest(variant, key, saltBytes, rounds)
  const roundsField = match[2] === undefined ? '' : `rounds=${rounds}$`
  return `$${match[1]}$${roundsField}${salt}$${encode(final, variant.order)}`
}

/** Checks a password against a stored SHA-crypt hash in constant time (for equal lengths). */
export async function verifyShaCrypt(password: string, hash: string): Promise<boolean> {
  const computed = Buffer.from(await shaCrypt(password, hash))
  const expected = Buffer.from(hash)
  return computed.length === expected.length && timingSafeEqual(computed, expected)
}
