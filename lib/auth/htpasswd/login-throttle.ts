/**
 * @module
 * Throttling of password guesses, per user name and per client address (security issue item 8).
 *
 * Each key (a user name; an IPv4 address or an IPv6 /64, since one host owns a whole /64) may
 * have `limit` password checks outstanding or failed within `windowMs`. The next attempt starts
 * a block: until it ends, attempts on that key are refused without hashing (the caller answers
 * 429 with `Retry-After`). Blocks double with each one the key earns (10 s, 20 s, ... up to
 * 15 minutes) and are forgotten after a quiet 15 minutes, so a patient guesser gets about 40
 * guesses an hour per user name, while a user who mistyped ten times waits 10 seconds.
 *
 * A success clears its user name and takes its attempt back from the address, so a proxy or NAT
 * that many users log in through is limited by its failures only. What is not throttled here, by
 * design: credentials already proven (the success memory of `htpasswd.ts`) and API keys. Those
 * cost no hash, so an attacker who gets a user name blocked does not lock out that user's
 * running clients and CI jobs, only new password logins of that name until the block ends.
 *
 * Memory is bounded: the least recently touched keys are forgotten beyond `maxKeys`.
 */
import { clientNetwork } from '../../http/client-address'

export interface ThrottleLimits {
  /** Attempts per user name in a window; default 10. */
  perUser: number
  /** Attempts per client address in a window; default 50 (addresses may be shared). */
  perAddress: number
  windowMs: number
  firstBlockMs: number
  maxBlockMs: number
  maxKeys: number
}

const DEFAULT_LIMITS: ThrottleLimits = {
  perUser: 10,
  perAddress: 50,
  windowMs: 15 * 60_000,
  firstBlockMs: 10_000,
  maxBlockMs: 15 * 60_000,
  maxKeys: 10_000,
}

/** How a counted attempt ended. `unchecked`: it never reached a hash (the checker was busy). */
export type AttemptOutcome = 'success' | 'failure' | 'unchecked'

export interface LoginThrottle {
  /**
   * Counts an attempt of `username` from `address` (undefined when unknown, e.g. in-process),
   * or refuses it: then the seconds until the block ends, and nothing was counted.
   */
  admit(username: string, address: string | undefined): { retryAfterSeconds: number } | undefined
  /** Reports how an admitted attempt ended. */
  settle(username: string, address: string | undefined, outcome: AttemptOutcome): void
}

interface Counter {
  count: number
  windowStart: number
  blockedUntil: number
  /** Blocks earned so far; each doubles the next. */
  strikes: number
}

/**
 * Creates the throttle one registry shares between its login paths.
 *
 * @example
 * const throttle = createLoginThrottle()
 * const refused = throttle.admit('alice', '192.0.2.7')
 * if (!refused) throttle.settle('alice', '192.0.2.7', (await check()) ? 'success' : 'failure')
 */
export function createLoginThrottle(limits: Partial<ThrottleLimits> = {}): LoginThrottle {
  const { perUser, perAddress, windowMs, firstBlockMs, maxBlockMs, maxKeys } = {
    ...DEFAULT_LIMITS,
    ...limits,
  }
  const counters = new Map<string, Counter>()

  const keysOf = (username: string, address: string | undefined) => [
    { key: `user:${username}`, limit: perUser },
    ...(address === undefined ? [] : [{ key: `address:${clientNetwork(address)}`, limit: perAddress }]),
  ]

  /** The key's counter, with its window rolled over and stale strikes forgotten. */
  function counter(key: string, now: number): Counter {
    const found = counters.get(key) ?? { count: 0, windowStart: now, blockedUntil: 0, strikes: 0 }
    if (now - found.windowStart >= windowMs) Object.assign(found, { count: 0, windowStart: now })
    if (found.strikes > 0 && now - found.blockedUntil >= maxBlockMs) found.strikes = 0
    // Re-inserting keeps the map in least-recently-touched order for eviction.
    counters.delete(key)
    counters.set(key, found)
    if (counters.size > maxKeys) counters.delete(counters.keys().next().value!)
    return found
  }

  function block(found: Counter, now: number): void {
    found.strikes++
    found.blockedUntil = now + Math.min(maxBlockMs, firstBlockMs * 2 ** (found.strikes - 1))
    Object.assign(found, { count: 0, windowStart: now })
  }

  return {
    admit(username, address) {
      const now = Date.now()
      const keys = keysOf(username, address).map(({ key, limit }) => ({
        limit,
        found: counter(key, now),
      }))
      for (const { found, limit } of keys) {
        if (found.blockedUntil <= now && found.count >= limit) block(found, now)
      }
      const blockedUntil = Math.max(...keys.map(({ found }) => found.blockedUntil))
      if (blockedUntil > now) return { retryAfterSeconds: Math.ceil((blockedUntil - now) / 1000) }
      for (const { found } of keys) found.count++
      return undefined
    },
    settle(username, address, outcome) {
      if (outcome === 'failure') return
      for (const { key } of keysOf(username, address)) {
        const found = counters.get(key)
        if (!found) continue
        if (outcome === 'success' && key.startsWith('user:')) counters.delete(key)
        else found.count = Math.max(0, found.count - 1)
      }
    },
  }
}
