import { describe, expect, test } from 'bun:test'
import { usernameFromClaims } from '../../../lib/auth/openid/openid-claims'
import { openIdProviderOf } from '../support'

/** `claimMapping` as a config file writes it (none: absent), decoded with the schema's defaults. */
const mapping = (claimMapping?: Record<string, string>) =>
  openIdProviderOf(claimMapping ? { claimMapping } : {}).claimMapping

const verified = { email: 'ann@example.test', email_verified: true }

describe('user names from claims', () => {
  test('the email claim names a user only when the IdP verified it', () => {
    expect(usernameFromClaims([verified], mapping())).toEqual({ username: 'ann@example.test' })
    // Some IdPs (Cognito) send the flag as a string.
    expect(usernameFromClaims([{ ...verified, email_verified: 'true' }], mapping())).toEqual({
      username: 'ann@example.test',
    })
    for (const flag of [false, 'false', undefined, 1]) {
      expect(
        usernameFromClaims([{ ...verified, email_verified: flag }], mapping({ username: 'email' })),
      ).toHaveProperty('refusal')
    }
  })

  test('the flag may come from the other claim set (UserInfo vs ID token), for the same address', () => {
    const userInfo = { email: 'ann@example.test' }
    expect(usernameFromClaims([userInfo, verified], mapping())).toEqual({ username: 'ann@example.test' })
    expect(usernameFromClaims([userInfo, { ...verified, email: 'other@example.test' }], mapping())).toHaveProperty(
      'refusal',
    )
  })

  test('the fallback to email needs the flag too; other claims need none', () => {
    const claims = { preferred_username: 'ann', email: 'ann@example.test' }
    expect(usernameFromClaims([claims], mapping({ username: 'preferred_username' }))).toEqual({ username: 'ann' })
    expect(
      usernameFromClaims([{ email: 'ann@example.test' }], mapping({ username: 'preferred_username' })),
    ).toHaveProperty('refusal')
    expect(usernameFromClaims([{}], mapping())).toEqual({ refusal: 'no email claim names the user' })
  })
})
