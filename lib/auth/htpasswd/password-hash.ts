/**
 * @module
 * Checks a password against a stored htpasswd hash without holding up the event loop, and only a
 * bounded number at a time: bcryptjs hashing on the main thread let a burst of wrong passwords
 * stall every other request (docs/security.md has the figures).
 *
 * - bcrypt goes to `Bun.password.verify`, which runs natively on Bun's worker threads and accepts
 *   `$2a$`, `$2b$` and `$2y$` alike (the same algorithm for the passwords bcrypt reads). The
 *   password is cut to 72 bytes first: bcrypt itself, `htpasswd -B` and bcryptjs ignore every
 *   byte past 72, but Bun pre-hashes longer passwords with SHA-512, so without the cut a long
 *   password would never match a hash made by them.
 * - SHA-crypt has no native implementation; `sha-crypt.ts` yields to the event loop between
 *   slices of rounds. Entries asking for more than `SHA_CRYPT_ROUNDS_LIMIT` rounds are refused
 *   when the file is read: each check would cost over a second of CPU, a price any wrong
 *   password could make the registry pay.
 * - At most `active` checks run and `waiting` more queue; one more fails at once with
 *   `HashCheckBusyError` instead of queueing unbounded work.
 */
import { availableParallelism } from 'node:os'
import { isShaCrypt, shaCryptRounds, verifyShaCrypt } from './sha-crypt'

const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/
/** bcrypt reads this many bytes of a password and ignores the rest. */
const BCRYPT_PASSWORD_BYTES = 72
const EMPTY_PASSWORD_KEY = new Uint8Array([0])
/** About one second of CPU per check for `$6$` on a current x86 core. */
export const SHA_CRYPT_ROUNDS_LIMIT = 1_000_000
/**
 * One core is left to the event loop: with every core hashing, request handling would queue
 * behind the hashes in the scheduler.
 */
const DEFAULT_ACTIVE = Math.max(1, availableParallelism() - 1)
/** Enough to absorb a burst of logins; at bcrypt's usual cost the wait stays around a couple of seconds. */
const DEFAULT_WAITING = 32

/** Thrown by `HashChecker.check` when the queue is full; nothing was checked. */
export class HashCheckBusyError extends Error {
  override name = 'HashCheckBusyError'
}

/** Why an htpasswd hash cannot be used, or undefined when it can. */
export function unusableHash(hash: string): string | undefined {
  if (BCRYPT.test(hash)) return undefined
  if (!isShaCrypt(hash)) return 'not a bcrypt or SHA-crypt hash'
  if (shaCryptRounds(hash) > SHA_CRYPT_ROUNDS_LIMIT) {
    return `SHA-crypt rounds above ${SHA_CRYPT_ROUNDS_LIMIT}`
  }
  return undefined
}

/** What a usable hash costs to check: its scheme and work factor, e.g. `bcrypt$10`, `6$5000`. */
export function costClass(hash: string): string {
  const bcryptMatch = BCRYPT.exec(hash)
  return bcryptMatch ? `bcrypt$${bcryptMatch[1]}` : `${hash[1]}$${shaCryptRounds(hash)}`
}

async function verifyHash(password: string, hash: string): Promise<boolean> {
  if (BCRYPT.test(hash)) {
    const bytes = new TextEncoder().encode(password).subarray(0, BCRYPT_PASSWORD_BYTES)
    // Bun says false for any empty password. bcrypt's key for "" is its terminating NUL, which
    // is what one NUL byte gives too: an htpasswd entry with an empty password works, as in zot.
    return Bun.password.verify(bytes.length > 0 ? bytes : EMPTY_PASSWORD_KEY, hash, 'bcrypt')
  }
  return verifyShaCrypt(password, hash)
}

export interface HashChecker {
  /**
   * True when `password` matches `hash` (a hash `unusableHash` accepts).
   *
   * @throws HashCheckBusyError when `active` checks run and `waiting` more wait already
   */
  check(password: string, hash: string): Promise<boolean>
}

/**
 * A checker with its own concurrency bound; make one per registry.
 *
 * @example
 * const hashes = createHashChecker()
 * await hashes.check('alice-pw', '$2y$05$...') // true
 */
export function createHashChecker(limits: { active?: number; waiting?: number } = {}): HashChecker {
  const active = limits.active ?? DEFAULT_ACTIVE
  const waiting = limits.waiting ?? DEFAULT_WAITING
  let running = 0
  const queue: (() => void)[] = []

  async function acquire(): Promise<void> {
    if (running < active) {
      running++
      return
    }
    if (queue.length >= waiting) throw new HashCheckBusyError('too many password checks waiting')
    // `release` hands its slot straight to the first waiter, so `running` stays as it is.
    await new Promise<void>((resolve) => queue.push(resolve))
  }

  function release(): void {
    const next = queue.shift()
    if (next) next()
    else running--
  }

  return {
    async check(password, hash) {
      await acquire()
      try {
        return await verifyHash(password, hash)
      } finally {
        release()
      }
    },
  }
}
