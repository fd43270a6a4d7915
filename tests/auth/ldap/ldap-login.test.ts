/**
 * The outcome memory and the bound of LDAP logins (lib/auth/ldap/ldap-login.ts), over a directory
 * stand-in whose logins the test releases: identical credentials share one login, outcomes are
 * remembered, outages are not, and logins beyond the bound are refused without reaching it.
 */
import { describe, expect, test } from 'bun:test'
import { HashCheckBusyError } from '../../../lib/auth/htpasswd/password-hash'
import type { LdapDirectory } from '../../../lib/auth/ldap/ldap-directory'
import { LdapUnavailableError } from '../../../lib/auth/ldap/ldap-unavailable'
import { ldapPasswordSource, MAX_DIRECTORY_LOGINS } from '../../../lib/auth/ldap/ldap-login'

/** A directory whose every login waits until `release` and then answers `answer`. */
function heldDirectory(answer: (username: string, password: string) => string[] | false | Error) {
  const calls: string[] = []
  let release = () => {}
  const gate = new Promise<void>((resolve) => (release = resolve))
  const directory: LdapDirectory = {
    async login(username, password) {
      calls.push(username)
      await gate
      const outcome = answer(username, password)
      if (outcome instanceof Error) throw outcome
      return outcome
    },
  }
  return { directory, calls, release: () => release() }
}

describe('LDAP outcome memory', () => {
  test('identical concurrent logins share one directory login, and the outcome is remembered', async () => {
    const held = heldDirectory((_, password) => (password === 'right' ? ['g'] : false))
    const recorded: string[] = []
    const source = ldapPasswordSource(held.directory, async (username) => void recorded.push(username))
    const logins = [source.verify('alice', 'right'), source.verify('alice', 'right'), source.verify('alice', 'wrong')]
    held.release()
    expect(await Promise.all(logins)).toEqual([['g'], ['g'], false])
    expect(held.calls).toEqual(['alice', 'alice'])
    expect(await source.recall('alice', 'right')).toEqual(['g'])
    expect(await source.recall('alice', 'wrong')).toBe(false)
    expect(await source.recall('alice', 'other')).toBeUndefined()
    expect(recorded).toEqual(['alice'])
  })

  test('an outage is not remembered', async () => {
    const held = heldDirectory(() => new LdapUnavailableError('down'))
    const source = ldapPasswordSource(held.directory)
    held.release()
    await expect(source.verify('alice', 'right')).rejects.toBeInstanceOf(LdapUnavailableError)
    expect(await source.recall('alice', 'right')).toBeUndefined()
  })

  test(`more than ${MAX_DIRECTORY_LOGINS} directory logins at once are refused as busy`, async () => {
    const held = heldDirectory(() => false)
    const source = ldapPasswordSource(held.directory)
    const running = Array.from({ length: MAX_DIRECTORY_LOGINS }, (_, index) => source.verify(`user${index}`, 'x'))
    await expect(source.verify('one-more', 'x')).rejects.toBeInstanceOf(HashCheckBusyError)
    expect(held.calls).toHaveLength(MAX_DIRECTORY_LOGINS)
    held.release()
    await Promise.all(running)
    expect(await source.verify('one-more', 'x')).toBe(false)
  })
})
