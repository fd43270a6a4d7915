import { afterEach, describe, expect, setSystemTime, test } from 'bun:test'
import { createLoginThrottle } from '../../lib/auth/htpasswd/login-throttle'
import { clientNetwork } from '../../lib/http/client-address'
import { createHashChecker, HashCheckBusyError } from '../../lib/auth/htpasswd/password-hash'

const START = Date.parse('2026-01-01T00:00:00Z')
const at = (ms: number) => setSystemTime(new Date(START + ms))
afterEach(() => setSystemTime())

/** Fails `count` admitted attempts of the user from the address; returns the first refusal. */
function fail(throttle: ReturnType<typeof createLoginThrottle>, user: string, address: string, count: number) {
  for (let index = 0; index < count; index++) {
    const refused = throttle.admit(user, address)
    if (refused) return refused
    throttle.settle(user, address, 'failure')
  }
  return undefined
}

describe('login throttle', () => {
  test('the attempt after the limit starts a block that doubles, up to the maximum', () => {
    at(0)
    const throttle = createLoginThrottle({ perUser: 3, firstBlockMs: 10_000, maxBlockMs: 30_000 })
    expect(fail(throttle, 'alice', '192.0.2.1', 3)).toBeUndefined()
    expect(throttle.admit('alice', '192.0.2.1')).toEqual({ retryAfterSeconds: 10 })
    // Another address does not help: the user name is blocked.
    expect(throttle.admit('alice', '192.0.2.2')).toEqual({ retryAfterSeconds: 10 })
    at(10_000)
    expect(fail(throttle, 'alice', '192.0.2.1', 3)).toBeUndefined()
    expect(throttle.admit('alice', '192.0.2.1')).toEqual({ retryAfterSeconds: 20 })
    at(30_000)
    expect(fail(throttle, 'alice', '192.0.2.1', 4)).toEqual({ retryAfterSeconds: 30 })
  })

  test('a success clears the user name; a quiet spell forgets the strikes', () => {
    at(0)
    const throttle = createLoginThrottle({ perUser: 3, firstBlockMs: 10_000, maxBlockMs: 60_000 })
    expect(fail(throttle, 'bob', '192.0.2.1', 2)).toBeUndefined()
    throttle.admit('bob', '192.0.2.1')
    throttle.settle('bob', '192.0.2.1', 'success')
    expect(fail(throttle, 'bob', '192.0.2.1', 3)).toBeUndefined()
    expect(throttle.admit('bob', '192.0.2.1')).toEqual({ retryAfterSeconds: 10 })
    at(10_000 + 60_000)
    expect(fail(throttle, 'bob', '192.0.2.1', 4)).toEqual({ retryAfterSeconds: 10 })
  })

  test('an address is limited across user names; unchecked attempts are taken back', () => {
    at(0)
    const throttle = createLoginThrottle({ perUser: 100, perAddress: 5 })
    for (let index = 0; index < 5; index++) {
      expect(throttle.admit(`user${index}`, '2001:db8:1:2::7')).toBeUndefined()
      throttle.settle(`user${index}`, '2001:db8:1:2::7', index === 0 ? 'unchecked' : 'failure')
    }
    expect(throttle.admit('user9', '2001:db8:1:2::7')).toBeUndefined()
    throttle.settle('user9', '2001:db8:1:2::7', 'failure')
    // The same /64 is the same client; another /64 is not.
    expect(throttle.admit('carol', '2001:db8:1:2:ffff::1')?.retryAfterSeconds).toBe(10)
    expect(throttle.admit('carol', '2001:db8:1:3::1')).toBeUndefined()
    expect(throttle.admit('carol', undefined)).toBeUndefined()
  })

  test('address keys: IPv4 as is, IPv4-mapped as IPv4, IPv6 by /64', () => {
    expect(clientNetwork('192.0.2.1')).toBe('192.0.2.1')
    expect(clientNetwork('::ffff:192.0.2.1')).toBe('192.0.2.1')
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(clientNetwork('2001:0db8:0000:0000:1:2:3:4')).toBe('2001:db8:0:0::/64')
    expect(clientNetwork('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64')
    // More groups than an address holds (never from a real socket) still gives a key, no throw.
    expect(clientNetwork('1:2:3:4:5:6:7::8:9')).toBe('1:2:3:4::/64')
  })

  test('memory is bounded', () => {
    at(0)
    const throttle = createLoginThrottle({ perUser: 1, maxKeys: 10 })
    fail(throttle, 'victim', '192.0.2.1', 1)
    expect(throttle.admit('victim', undefined)).toBeDefined()
    for (let index = 0; index < 20; index++) throttle.admit(`spray${index}`, undefined)
    // Forgotten: the least recently touched key made room for newer ones.
    expect(throttle.admit('victim', undefined)).toBeUndefined()
  })
})

describe('hash checker', () => {
  test('checks beyond the active and waiting bounds are refused without hashing', async () => {
    const hashes = createHashChecker({ active: 1, waiting: 2 })
    const hash = await Bun.password.hash('pw', { algorithm: 'bcrypt', cost: 8 })
    const running = [0, 1, 2].map(() => hashes.check('pw', hash))
    await expect(hashes.check('pw', hash)).rejects.toBeInstanceOf(HashCheckBusyError)
    expect(await Promise.all(running)).toEqual([true, true, true])
    expect(await hashes.check('nope', hash)).toBe(false)
  })
})
