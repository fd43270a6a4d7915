/**
 * The refresher every credential helper runs behind, in-process with a clock the test moves: only
 * the entry's hosts get credentials, concurrent lookups share one fetch, a refresh ahead of expiry
 * does not hold up lookups, failures back off and keep the last good credentials until they
 * expire, then lookups fail as unavailable with the helper's error.
 */
import { describe, expect, test } from 'bun:test'
import { createLogger } from '../../../lib/log/logger'
import {
  type CredentialHelper,
  type ExpiringCredentials,
  RefreshingCredentials,
} from '../../../lib/sync/upstream/credential-helpers/refreshing-credentials'
import { UpstreamError } from '../../../lib/sync/upstream/upstream-error'

const MINUTE = 60_000

/** A helper whose fetches the test answers one by one. */
function scriptedHelper() {
  const waiting: { host: string; resolve: (value: ExpiringCredentials) => void; reject: (error: Error) => void }[] = []
  const helper: CredentialHelper = {
    name: 'test',
    refreshAheadMs: 10 * MINUTE,
    keyOf: () => '',
    fetch: (host) => new Promise((resolve, reject) => waiting.push({ host, resolve, reject })),
    fixFor: () => 'do something',
  }
  return { helper, waiting }
}

function setup() {
  let now = 1_000_000
  const lines: Record<string, unknown>[] = []
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(JSON.parse(line)) })
  const { helper, waiting } = scriptedHelper()
  const credentials = new RefreshingCredentials(helper, ['registry.example:5000', 'mirror.example'], logger, () => now)
  return {
    credentials,
    waiting,
    lines,
    advance: (ms: number) => {
      now += ms
    },
    at: () => now,
  }
}

const answer = (password: string, expiresAt: number): ExpiringCredentials => ({ username: 'u', password, expiresAt })
const settle = () => Bun.sleep(0)

describe('RefreshingCredentials', () => {
  test('only the entry hosts get credentials; concurrent lookups share one fetch', async () => {
    const { credentials, waiting, at } = setup()
    expect(await credentials.lookup('cdn.example')).toBeUndefined()
    const lookups = [
      credentials.lookup('registry.example:5000'),
      credentials.lookup('REGISTRY.example:5000'),
      credentials.lookup('mirror.example:443'),
    ]
    await settle()
    expect(waiting.length).toBe(1)
    waiting[0]!.resolve(answer('one', at() + 60 * MINUTE))
    expect(await Promise.all(lookups)).toEqual(Array(3).fill({ username: 'u', password: 'one' }))
  })

  test('a refresh ahead of expiry does not hold up lookups; its result is used once in', async () => {
    const { credentials, waiting, advance, at } = setup()
    const first = credentials.lookup('mirror.example')
    await settle()
    waiting[0]!.resolve(answer('one', at() + 60 * MINUTE))
    await first
    advance(51 * MINUTE) // inside the 10-minute window
    expect(await credentials.lookup('mirror.example')).toEqual({ username: 'u', password: 'one' })
    expect(waiting.length).toBe(2)
    expect(await credentials.lookup('mirror.example')).toEqual({ username: 'u', password: 'one' })
    expect(waiting.length).toBe(2) // joined, not asked again
    waiting[1]!.resolve(answer('two', at() + 60 * MINUTE))
    await settle()
    expect(await credentials.lookup('mirror.example')).toEqual({ username: 'u', password: 'two' })
  })

  test('failures back off, keep the last good credentials until they expire, then fail as unavailable', async () => {
    const { credentials, waiting, advance, at, lines } = setup()
    const first = credentials.lookup('mirror.example')
    await settle()
    waiting[0]!.resolve(answer('one', at() + 60 * MINUTE))
    await first
    advance(55 * MINUTE)
    expect(await credentials.lookup('mirror.example')).toEqual({ username: 'u', password: 'one' })
    waiting[1]!.reject(new Error('endpoint down'))
    await settle()
    expect(lines.at(-1)).toMatchObject({ level: 'warn', error: 'endpoint down', retryInMs: 1000, fix: 'do something' })
    // Within the backoff: no new attempt.
    expect(await credentials.lookup('mirror.example')).toEqual({ username: 'u', password: 'one' })
    expect(waiting.length).toBe(2)
    advance(1_000)
    expect(await credentials.lookup('mirror.example')).toEqual({ username: 'u', password: 'one' })
    expect(waiting.length).toBe(3)
    waiting[2]!.reject(new Error('endpoint down'))
    await settle()
    expect(lines.at(-1)).toMatchObject({ level: 'warn', retryInMs: 2000 })

    advance(5 * MINUTE) // past the expiry margin: the last good credentials are not sent any more
    const expired = credentials.lookup('mirror.example')
    await settle()
    waiting[3]!.reject(new Error('endpoint down'))
    const error = await expired.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(UpstreamError)
    expect(error).toMatchObject({ kind: 'unavailable', retryAfter: 4000 })
    expect((error as Error).message).toContain('endpoint down')
    expect(lines.at(-1)).toMatchObject({ level: 'error', credentialHelper: 'test' })

    advance(4_000)
    const recovered = credentials.lookup('mirror.example')
    await settle()
    waiting[4]!.resolve(answer('three', at() + 60 * MINUTE))
    expect(await recovered).toEqual({ username: 'u', password: 'three' })
    expect(String(lines.at(-1)?.message)).toContain('works again')
  })
})
