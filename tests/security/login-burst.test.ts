/**
 * Failed logins must not burn the event loop: 24 concurrent wrong passwords used to push `/livez`
 * from ~2 ms to 1.7–1.9 s, because bcryptjs hashed on the main thread and nothing limited the
 * guesses. Now hashes run natively off the loop, a bounded number at a time, and guesses past
 * the throttle's limits (10 per user name, 50 per address) are refused with 429 unhashed.
 */
import { describe, expect, test } from 'bun:test'
import { startSecurityTarget, worstLivezDuring, type SecurityTarget } from './support'

// Cost 10 (~80 ms a check): what an operator's file holds, and what made the old loop stall.
const COST = 10
const USER_LIMIT = 10

const v2 = (target: SecurityTarget, user: string, password?: string) =>
  target.request('/v2/', { headers: target.basic(user, password) })

async function burst(target: SecurityTarget, users: string[]): Promise<Response[]> {
  return Promise.all(users.map((user, index) => v2(target, user, `wrong-${index}`)))
}

function tally(responses: Response[]): { 401: number; 429: number; other: number } {
  const counts = { 401: 0, 429: 0, other: 0 }
  for (const { status } of responses) {
    if (status === 401 || status === 429) counts[status]++
    else counts.other++
  }
  return counts
}

describe('a burst of wrong passwords for one user name', async () => {
  const target = await startSecurityTarget({ users: ['alice', 'bob', 'carol'], bcryptCost: COST })

  test('carol proves her password before the attacks', async () => {
    expect((await v2(target, 'carol')).status).toBe(200)
  })

  test('24 concurrent wrong passwords leave /livez fast; past the limit they are refused with 429', async () => {
    let responses: Response[] = []
    const worst = await worstLivezDuring(target.url, async () => {
      responses = await burst(target, Array(24).fill('alice'))
    })
    expect(worst).toBeLessThan(100)
    const counts = tally(responses)
    expect(counts.other).toBe(0)
    expect(counts[401]).toBeLessThanOrEqual(USER_LIMIT)
    expect(counts[429]).toBeGreaterThanOrEqual(24 - USER_LIMIT)
    const refused = responses.find((response) => response.status === 429)!
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(((await refused.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('TOOMANYREQUESTS')
  })

  test('a burst for a user who does not exist is answered alike (no enumeration, same limit)', async () => {
    let responses: Response[] = []
    const worst = await worstLivezDuring(target.url, async () => {
      responses = await burst(target, Array(24).fill('nobody'))
    })
    expect(worst).toBeLessThan(100)
    const counts = tally(responses)
    expect(counts.other).toBe(0)
    expect(counts[401]).toBeLessThanOrEqual(USER_LIMIT)
    expect(counts[429]).toBeGreaterThanOrEqual(24 - USER_LIMIT)
  })

  test('while alice is blocked even her right password waits; other users and proven credentials do not', async () => {
    expect((await v2(target, 'alice')).status).toBe(429)
    // The key page's sign-in form is the same throttle, not a way around it.
    const form = await target.request('/user/apikey/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'alice', password: 'alice-pw' }).toString(),
    })
    expect(form.status).toBe(429)
    expect(form.headers.get('Retry-After')).not.toBeNull()
    // Same client address, another user.
    expect((await v2(target, 'bob')).status).toBe(200)
    // Blocking carol's name does not lock out a client that already proved her password.
    await burst(target, Array(USER_LIMIT + 1).fill('carol'))
    expect((await v2(target, 'carol', 'carol-wrong')).status).toBe(429)
    expect((await v2(target, 'carol')).status).toBe(200)
  })

  test('after the block the right password works again', async () => {
    const refused = await v2(target, 'alice')
    const wait = Number(refused.headers.get('Retry-After') ?? 0)
    expect(wait).toBeGreaterThan(0)
    expect(wait).toBeLessThanOrEqual(10)
    await Bun.sleep(wait * 1000 + 200)
    expect((await v2(target, 'alice')).status).toBe(200)
  }, 20_000)
})

describe('a password spray from one address', async () => {
  const target = await startSecurityTarget({ users: ['alice', 'bob'], bcryptCost: COST })

  test('a burst wider than the hash queue is refused at once, not queued', async () => {
    expect((await v2(target, 'alice')).status).toBe(200)
    let responses: Response[] = []
    const started = performance.now()
    const worst = await worstLivezDuring(target.url, async () => {
      responses = await burst(
        target,
        Array.from({ length: 48 }, (_, index) => `sprayed-${index}`),
      )
    })
    expect(worst).toBeLessThan(100)
    const busy = responses.filter((response) => response.status === 429)
    expect(busy.length).toBeGreaterThan(0)
    expect(busy.every((response) => response.headers.get('Retry-After') === '1')).toBe(true)
    expect(tally(responses).other).toBe(0)
    // Bounded work: whatever was queued finished within seconds, not minutes.
    expect(performance.now() - started).toBeLessThan(15_000)
  }, 30_000)

  test('past 50 guesses the address is blocked for new logins, but not for proven ones or keys', async () => {
    const key = await target.createKey('alice')
    for (let round = 0; round < 6; round++) {
      await burst(
        target,
        Array.from({ length: 10 }, (_, index) => `spray-${round}-${index}`),
      )
    }
    expect((await v2(target, 'bob')).status).toBe(429)
    expect((await v2(target, 'alice')).status).toBe(200)
    expect((await v2(target, 'alice', key)).status).toBe(200)
  }, 30_000)
})
