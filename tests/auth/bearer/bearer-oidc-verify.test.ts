/**
 * The ID-token checks of workload identity (lib/auth/bearer/oidc-workload.ts) in process, against
 * a real issuer on 127.0.0.1 (tests/support/counterparts/oidc-issuer.ts): go-oidc's rules as zot applies them
 * (discovery issuer, algorithms, nbf leeway, exp), zot's audience reading, skipIssuerVerification.
 */
import { describe, expect, test } from 'bun:test'
import { generateKeyPair, SignJWT } from 'jose'
import { workloadIdentity } from '../../../lib/auth/bearer/oidc-workload'
import { startOidcIssuer } from '../../support/counterparts/oidc-issuer'

const issuer = await startOidcIssuer()
const base = { issuer: issuer.issuer, audiences: ['zot'], skipIssuerVerification: false }
const verify = workloadIdentity([base])
const now = () => Math.floor(Date.now() / 1000)

describe('checks of the token', () => {
  test('nbf has five minutes of leeway, as in go-oidc; exp has none', async () => {
    expect((await verify(await issuer.sign({ sub: 'a', aud: 'zot', nbf: now() + 240 }))).kind).toBe('identity')
    expect(await verify(await issuer.sign({ sub: 'a', aud: 'zot', nbf: now() + 600 }))).toMatchObject({
      kind: 'refused',
    })
    expect(await verify(await issuer.sign({ sub: 'a', aud: 'zot' }, { expiresIn: '-2s' }))).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('expired'),
    })
  })

  test('a token without exp is refused (go-oidc reads a missing exp as expired)', async () => {
    expect(await verify(await issuer.sign({ sub: 'a', aud: 'zot' }, { expiresIn: null }))).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('"exp" claim'),
    })
  })

  test('only the algorithms the discovery lists: an ES256 token is refused where RS256 is announced', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const token = await new SignJWT({ iss: issuer.issuer, sub: 'a', aud: 'zot' })
      .setProtectedHeader({ alg: 'ES256', kid: 'key-1' })
      .setExpirationTime('5m')
      .sign(privateKey)
    expect(await verify(token)).toMatchObject({ kind: 'refused', reason: expect.stringContaining('"alg"') })
  })

  test('aud must be a string or a list of strings naming a configured audience (trimmed in the config)', async () => {
    const spaced = workloadIdentity([{ ...base, audiences: [' zot '] }])
    expect((await spaced(await issuer.sign({ sub: 'a', aud: 'zot' }))).kind).toBe('identity')
    expect((await verify(await issuer.sign({ sub: 'a', aud: ['zot', 7] }))).kind).toBe('refused')
    expect((await verify(await issuer.sign({ sub: 'a', aud: ['other', 'zot'] }))).kind).toBe('identity')
  })

  test('an empty mapped user name refuses the token', async () => {
    const empty = workloadIdentity([
      { ...base, claimMapping: { variables: [], validations: [], username: "''", groups: '' } },
    ])
    expect(await empty(await issuer.sign({ sub: 'a', aud: 'zot' }))).toMatchObject({ kind: 'refused' })
  })
})

describe('the issuer', () => {
  test('skipIssuerVerification accepts a token naming another issuer, signed with the JWKS', async () => {
    const skipping = workloadIdentity([{ ...base, skipIssuerVerification: true }])
    const token = await issuer.sign({ sub: 'a', aud: 'zot', iss: 'https://elsewhere.example' })
    expect(await skipping(token)).toMatchObject({ kind: 'identity', username: 'https://elsewhere.example/a' })
    expect((await verify(token)).kind).toBe('refused')
  })

  test('a discovery document naming another issuer makes it unusable, as go-oidc does', async () => {
    const impostor = await startOidcIssuer({ announcedIssuer: 'https://kubernetes.default.svc' })
    const check = workloadIdentity([{ ...base, issuer: impostor.issuer }])
    expect(await check(await impostor.sign({ sub: 'a', aud: 'zot' }))).toMatchObject({
      kind: 'unavailable',
      reason: expect.stringContaining('names issuer "https://kubernetes.default.svc"'),
    })
  })

  test('concurrent first requests share one discovery fetch', async () => {
    const fresh = await startOidcIssuer()
    const check = workloadIdentity([{ ...base, issuer: fresh.issuer }])
    const token = await fresh.sign({ sub: 'a', aud: 'zot' })
    const verdicts = await Promise.all(Array.from({ length: 20 }, () => check(token)))
    expect(verdicts.every((verdict) => verdict.kind === 'identity')).toBe(true)
    expect(fresh.served.discovery).toBe(1)
    expect(fresh.served.jwks).toBe(1)
  })
})
