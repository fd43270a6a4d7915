/**
 * `credentialHelper: "ecr"` against a private docker-registry whose password only a SigV4-checking
 * ECR endpoint (tests/support/counterparts/ecr.ts) hands out, as the base64 `AWS:<password>` of
 * GetAuthorizationToken. The upstream URL has ECR's host form under `.localhost` (which resolves
 * to loopback), so account and region come from it as they do from a real ECR URL. One token for
 * many pulls; a token near its expiry refreshed ahead; the endpoint down: the last good token is
 * used until it expires, the failures are logged, then it works again; credentials the upstream
 * refuses early are replaced.
 */
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { startEcr } from '../../support/counterparts/ecr'
import { pushImage } from '../support/content'
import {
  digestsOf,
  eventually,
  logLines,
  pullTag,
  skopeoPull,
  sleepUntil,
  startHelperCache,
  startPrivateUpstream,
} from './support'

setDefaultTimeout(120_000)
const ACCOUNT = '123456789012'
const REGION = 'eu-west-3'
const PASSWORD = 'ecr-token-password'
const ecr = startEcr({ accessKeyId: 'AKIAZOTECRTEST', secretAccessKey: 'ecr/secret+key', region: REGION }, PASSWORD)
const ecrUrl = (port: string) => `http://${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.localhost:${port}`

describe('ecr credential helper', () => {
  test('one GetAuthorizationToken serves many pulls; skopeo pulls through the private upstream', async () => {
    const { upstream, images } = await startPrivateUpstream('AWS', PASSWORD)
    const before = ecr.tokens(ACCOUNT)
    const cache = await startHelperCache(ecrUrl(upstream.url.split(':').at(-1)!), { credentialHelper: 'ecr' }, ecr.env)
    const statuses = await Promise.all(
      Array.from({ length: 12 }, (_, index) => pullTag(cache, String((index % images.length) + 1))),
    )
    expect(statuses).toEqual(Array(12).fill(200))
    expect(await skopeoPull(cache, 'app:2')).toEqual(digestsOf(images[1]!))
    expect(ecr.tokens(ACCOUNT) - before).toBe(1)
    expect(ecr.refused).toEqual([])
  })

  test('a token near its expiry is refreshed ahead; the endpoint down keeps the last good one, then recovers', async () => {
    const { upstream } = await startPrivateUpstream('AWS', PASSWORD, 1)
    const target = { url: upstream.url, headers: { Authorization: `Basic ${btoa(`AWS:${PASSWORD}`)}` } }
    // 16 s tokens: refreshed from 8 s (half the lifetime, as the hour zot keeps is longer), not sent past 12 s.
    ecr.lifetimeSeconds = 16
    const firstIssued = ecr.issued.length
    const cache = await startHelperCache(ecrUrl(upstream.url.split(':').at(-1)!), { credentialHelper: 'ecr' }, ecr.env)
    expect(await eventually(() => ecr.issued.length > firstIssued)).toBe(true)
    const primed = ecr.issued.at(-1)!
    expect(await pullTag(cache, '1')).toBe(200)
    expect(ecr.issued.length).toBe(firstIssued + 1)

    // In the refresh window: the pull goes on with the current token while a new one is fetched.
    await sleepUntil(primed + 8_500)
    expect(await pullTag(cache, '1')).toBe(200)
    expect(await eventually(() => ecr.issued.length === firstIssued + 2)).toBe(true)
    const refreshed = ecr.issued.at(-1)!

    // The endpoint goes down: in the next refresh window the last good token is still used.
    await ecr.stop()
    await sleepUntil(refreshed + 8_500)
    await pushImage(target, 'app', { tag: '2' })
    expect(await pullTag(cache, '2')).toBe(200)
    expect(await eventually(() => logLines(cache, 'using the last good credentials').length > 0)).toBe(true)
    const warning = logLines(cache, 'using the last good credentials')[0]!
    expect(warning).toMatchObject({ level: 'warn', credentialHelper: 'ecr' })
    expect(String(warning.error)).not.toBe('')

    // Past its expiry the upstream is not asked with it: a miss fails and the log says why.
    await sleepUntil(refreshed + 12_500)
    await pushImage(target, 'app', { tag: '3' })
    expect(await pullTag(cache, '3')).not.toBe(200)
    expect(await eventually(() => logLines(cache, 'requests to this upstream fail until it works').length > 0)).toBe(
      true,
    )
    expect(await pullTag(cache, '1')).toBe(200) // cached content is still served

    // Back up: after the backoff the helper works again.
    ecr.start()
    expect(
      await eventually(() => {
        void pullTag(cache, '3')
        return logLines(cache, 'the ecr credential helper works again').length > 0
      }, 70_000),
    ).toBe(true)
    expect(await pullTag(cache, '3')).toBe(200)
    ecr.lifetimeSeconds = 12 * 3600
  })

  test('credentials the upstream refuses before they expire are replaced (at most every 10 s)', async () => {
    const { upstream } = await startPrivateUpstream('AWS', PASSWORD, 1)
    ecr.password = 'revoked-early'
    const firstIssued = ecr.issued.length
    const cache = await startHelperCache(ecrUrl(upstream.url.split(':').at(-1)!), { credentialHelper: 'ecr' }, ecr.env)
    expect(await pullTag(cache, '1')).not.toBe(200)
    // Refused at once after the fetch: not fetched again within the cooldown.
    expect(await pullTag(cache, '1')).not.toBe(200)
    expect(ecr.issued.length).toBe(firstIssued + 1)
    ecr.password = PASSWORD
    await sleepUntil(ecr.issued.at(-1)! + 10_500)
    // The refused credentials are dropped and the request retried with new ones.
    expect(await pullTag(cache, '1')).toBe(200)
    expect(ecr.issued.length).toBe(firstIssued + 2)
    expect(logLines(cache, 'the upstream refused the credentials of the ecr helper')).toHaveLength(1)
  })
})
