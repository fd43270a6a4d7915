import { describe, expect, test } from 'bun:test'
import { usernameFromClaims } from '../../lib/auth/openid-claims'

const verified = { email: 'ann@example.test', email_verified: true }

describe('user names from claims', () => {
  test('the email claim names a user only when the IdP verified it', () => {
    expect(usernameFromClaims([verified], undefined)).toEqual({ username: 'ann@example.test' })
    // Some IdPs (Cognito) send the flag as a string.
    expect(usernameFromClaims([{ ...verified, email_verified: 'true' }], undefined)).toEqual({
      username: 'ann@example.test',
    })
    for (const flag of [false, 'false', undefined, 1]) {
      expect(usernameFromClaims([{ ...verified, email_verified: flag }], { username: 'email' })).toHaveProperty(
        'refusal',
      )
    }
  })

  test('the flag may come from the other claim set (UserInfo vs ID token), for the same address', () => {
    const userInfo = { email: 'ann@example.test' }
    expect(usernameFromClaims([userInfo, verified], undefined)).toEqual({ username: 'ann@example.test' })
    expect(usernameFromClaims([userInfo, { ...verified, email: 'other@example.test' }], undefined)).toHaveProperty(
      'refusal',
    )
  })

  test('the fallback to email needs the flag too; other claims need none', () => {
    const claims = { preferred_username: 'ann', email: 'ann@example.test' }
    expect(usernameFromClaims([claims], { username: 'preferred_username' })).toEqual({ username: 'ann' })
    expect(usernameFromClaims([{ email: 'ann@example.test' }], { username: 'preferred_username' })).toHaveProperty(
      'refusal',
    )
    expect(usernameFromClaims([{}], undefined)).toEqual({ refusal: 'no email claim names the user' })
  })
})
