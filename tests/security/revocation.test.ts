/**
 * Removing a user, or logging out, must end their access. Sessions were stateless sealed cookies
 * (a copied cookie worked for 2 h after logout) and nothing checked that a key's owner still
 * existed (deleting an htpasswd line left the user's keys and sessions working). Now sessions
 * carry their issue time, a logout time stored with the registry's data kills older ones on
 * every replica, and keys and sessions of an htpasswd user need the user's line in the file.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startRegistry } from '../support/server'
import { tempDirectory } from '../support/temp'
import { startSecurityTarget, writeHtpasswd, type SecurityTarget } from './support'

type Target = Pick<SecurityTarget, 'request'>

/** Signs in on the key page's form; returns the `session` cookie. */
async function signIn(target: Target, user: string): Promise<string> {
  const response = await target.request('/user/apikey/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: user, password: `${user}-pw` }).toString(),
    redirect: 'manual',
  })
  expect(response.status).toBe(303)
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith('session='))
  return cookie!.split(';')[0]!
}

/** 200 when the cookie is a session (zot's UI header), 401 when the request is anonymous. */
const asSession = (target: Target, cookie: string) =>
  target.request('/v2/', { headers: { Cookie: cookie, 'X-ZOT-API-CLIENT': 'zot-ui' } })

/** Logs out with the key page's form (which carries a CSRF token sealed for the user). */
async function logOut(target: Target, cookie: string): Promise<void> {
  const page = await (await target.request('/user/apikey', { headers: { Cookie: cookie } })).text()
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1]
  expect(csrf).toBeDefined()
  const response = await target.request('/user/apikey/logout', {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf: csrf! }).toString(),
    redirect: 'manual',
  })
  expect(response.status).toBe(303)
}

/** Polls until `status()` gives `expected` or `withinMs` passes; returns the last status. */
async function eventually(status: () => Promise<number>, expected: number, withinMs: number) {
  const deadline = Date.now() + withinMs
  let last = await status()
  while (last !== expected && Date.now() < deadline) {
    await Bun.sleep(200)
    last = await status()
  }
  return last
}

describe('logout', async () => {
  const target = await startSecurityTarget({ users: ['alice', 'bob'] })

  test('ends the session on the server: a copied cookie stops working', async () => {
    const bob = await signIn(target, 'bob')
    const cookie = await signIn(target, 'alice')
    const copied = cookie
    expect((await asSession(target, copied)).status).toBe(200)
    await logOut(target, cookie)
    expect((await asSession(target, copied)).status).toBe(401)
    // The key page no longer opens with it either.
    const page = await (await target.request('/user/apikey', { headers: { Cookie: copied } })).text()
    expect(page).not.toContain('name="csrf"')
    // Only alice logged out.
    expect((await asSession(target, bob)).status).toBe(200)
  })

  test('signing in again after the logout works', async () => {
    expect((await asSession(target, await signIn(target, 'alice'))).status).toBe(200)
  })
})

describe('removing a user from htpasswd', async () => {
  const target = await startSecurityTarget({ users: ['alice', 'bob'] })

  test('ends their API keys and sessions within seconds; others keep theirs', async () => {
    const bobKey = await target.createKey('bob')
    const bobSession = await signIn(target, 'bob')
    const aliceKey = await target.createKey('alice')
    const withKey = (user: string, key: string) => () =>
      target.request('/v2/', { headers: target.basic(user, key) }).then((response) => response.status)
    expect(await withKey('bob', bobKey)()).toBe(200)
    expect((await asSession(target, bobSession)).status).toBe(200)

    await writeHtpasswd(target.htpasswdPath, ['alice'])
    expect(await eventually(withKey('bob', bobKey), 401, 3000)).toBe(401)
    expect((await asSession(target, bobSession)).status).toBe(401)
    expect(await withKey('alice', aliceKey)()).toBe(200)
  })

  test('putting the line back restores the keys (they were never deleted)', async () => {
    const key = await target.createKey('alice')
    await writeHtpasswd(target.htpasswdPath, [])
    const status = () =>
      target.request('/v2/', { headers: target.basic('alice', key) }).then((response) => response.status)
    expect(await eventually(status, 401, 3000)).toBe(401)
    await writeHtpasswd(target.htpasswdPath, ['alice'])
    expect(await eventually(status, 200, 3000)).toBe(200)
  })
})

// Replicas share sessions through zot's sessionKeysFile, or, with a sessionDriver (zot's redis
// one here, never contacted), through the key kept with the registry's data.
describe.each([
  ['a sessionKeysFile', 'file'],
  ['a redis sessionDriver and no key file', 'driver'],
])('replicas on one storage with %s', async (_, shared) => {
  const directory = await tempDirectory('revocation-replicas')
  const sessionKeysFile = join(directory, 'session-keys.json')
  await writeFile(sessionKeysFile, JSON.stringify({ hashKey: 'replica-test-hash-key' }))
  const sessions =
    shared === 'file' ? { sessionKeysFile } : { sessionDriver: { name: 'redis', url: 'redis://127.0.0.1:1' } }
  const config = { http: { auth: sessions } }
  const first = await startSecurityTarget({ users: ['alice'], config })
  const second = await startRegistry({
    config: {
      http: { auth: { htpasswd: { path: first.htpasswdPath }, apikey: true, ...sessions } },
      log: { level: 'warn' },
    },
    storage: first.storage,
  })
  afterAll(() => second.stop())
  const onSecond: Target = { request: (path, init) => fetch(`${second.url}${path}`, init) }

  test('a logout on one replica ends the session on the other within seconds', async () => {
    const cookie = await signIn(first, 'alice')
    expect((await asSession(onSecond, cookie)).status).toBe(200)
    await logOut(first, cookie)
    expect((await asSession(first, cookie)).status).toBe(401)
    const status = () => asSession(onSecond, cookie).then((response) => response.status)
    expect(await eventually(status, 401, 8000)).toBe(401)
  }, 15_000)
})
