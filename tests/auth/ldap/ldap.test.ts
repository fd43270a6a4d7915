/**
 * LDAP logins against a real OpenLDAP (Debian's slapd, tests/support/counterparts/slapd.ts), through a served
 * registry: search-then-bind with a search account over StartTLS and LDAPS, groups from
 * `memberOf` in accessControl, `userFilter`, escaping of the user name, and a directory outage
 * (503, htpasswd users unaffected, recovery once the directory is back).
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeHtpasswd } from '../../security/support'
import { startRegistry } from '../../support/server'
import { PEOPLE_DN, SEARCH_ACCOUNT, startSlapd } from '../../support/counterparts/slapd'
import { tempDirectory } from '../../support/temp'

const slapd = await startSlapd(
  [
    { uid: 'alice', password: 'alice-pw' },
    { uid: 'dave', password: 'dave-pw' },
    { uid: 'erin', password: 'erin-pw' },
    { uid: 'bob', password: 'bob-pw', attributes: { employeeType: 'disabled' } },
    { uid: 'sp*cial(x)', password: 'special-pw' },
  ],
  [{ cn: 'developers', members: ['alice'] }],
)
const directory = await tempDirectory('ldap')
const credentialsFile = join(directory, 'ldap-credentials.json')
await writeFile(credentialsFile, JSON.stringify(SEARCH_ACCOUNT))
const htpasswdPath = join(directory, 'htpasswd')
await writeHtpasswd(htpasswdPath, ['hank'])

const ldap = {
  credentialsFile,
  address: '127.0.0.1',
  port: slapd.port,
  startTLS: true,
  caCert: slapd.caCert,
  baseDN: PEOPLE_DN,
  userAttribute: 'uid',
  userFilter: '(!(employeeType=disabled))',
  userGroupAttribute: 'memberOf',
}
const accessControl = {
  repositories: {
    '**': {
      policies: [{ groups: [slapd.groupDn('developers')], actions: ['read', 'create'] }],
      defaultPolicy: ['read'],
    },
  },
}

const basic = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
})

const registry = await startRegistry({
  config: {
    http: { auth: { htpasswd: { path: htpasswdPath }, ldap, apikey: true }, accessControl },
    log: { level: 'warn' },
  },
})
afterAll(() => registry.stop())
const ping = (user: string, password: string, url = registry.url) =>
  fetch(`${url}/v2/`, { headers: basic(user, password) }).then((response) => response.status)

describe('LDAP logins (StartTLS, search account, htpasswd beside)', () => {
  test('a directory user with the right password is let in; a wrong or empty one is 401', async () => {
    expect(await ping('alice', 'alice-pw')).toBe(200)
    expect(await ping('alice', 'alice-pw ')).toBe(401)
    expect(await ping('alice', '')).toBe(401)
    expect(await ping('nobody', 'alice-pw')).toBe(401)
  })

  test('a user outside userFilter is refused even with the right password', async () => {
    expect(await ping('bob', 'bob-pw')).toBe(401)
  })

  test('filter characters in the user name are escaped: no wildcard, no injected clause', async () => {
    for (const name of ['*', 'a*', 'alice)(uid=*', '*)(|(uid=*', 'alice\\', 'alice\0']) {
      expect(await ping(name, 'alice-pw')).toBe(401)
    }
    // A name full of filter syntax still logs in as exactly itself.
    expect(await ping('sp*cial(x)', 'special-pw')).toBe(200)
    expect(await ping('sp*', 'special-pw')).toBe(401)
  })

  test('memberOf groups feed accessControl: a developer may push, another user may only read', async () => {
    const upload = (user: string) =>
      fetch(`${registry.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: basic(user, `${user}-pw`) })
    const allowed = await upload('alice')
    expect(allowed.status).toBe(202)
    const refused = await upload('dave')
    expect(refused.status).toBe(403)
    const read = await fetch(`${registry.url}/v2/team/app/tags/list`, { headers: basic('dave', 'dave-pw') })
    expect(read.status).toBe(404)
  })

  test("an LDAP user's API key acts with the groups of their last directory login", async () => {
    const created = await fetch(`${registry.url}/zot/auth/apikey`, {
      method: 'POST',
      headers: { ...basic('alice', 'alice-pw'), 'Content-Type': 'application/json' },
      body: JSON.stringify({ label: 'ci' }),
    })
    expect(created.status).toBe(201)
    const { apiKey } = (await created.json()) as { apiKey: string }
    const upload = await fetch(`${registry.url}/v2/team/app/blobs/uploads/`, {
      method: 'POST',
      headers: basic('alice', apiKey),
    })
    expect(upload.status).toBe(202)
    expect(await ping('dave', apiKey)).toBe(401)
  })

  test('a directory outage is a 503 with Retry-After; htpasswd users go on; logins recover', async () => {
    await slapd.stop()
    try {
      const down = await fetch(`${registry.url}/v2/`, { headers: basic('erin', 'erin-pw') })
      expect(down.status).toBe(503)
      expect(down.headers.get('Retry-After')).toBe('5')
      expect(JSON.stringify(await down.json())).toContain('LDAP directory cannot be reached')
      expect(await ping('hank', 'hank-pw')).toBe(200)
    } finally {
      await slapd.start()
    }
    expect(await ping('erin', 'erin-pw')).toBe(200)
  })
})

describe('LDAP as the only login method, over LDAPS', () => {
  test('serve runs, and directory users log in', async () => {
    const only = await startRegistry({
      config: { http: { auth: { ldap: { ...ldap, startTLS: false, port: slapd.ldapsPort } } }, log: { level: 'warn' } },
    })
    try {
      expect(await ping('alice', 'alice-pw', only.url)).toBe(200)
      expect(await ping('alice', 'wrong', only.url)).toBe(401)
      expect(only.logs()).not.toContain('not implemented')
    } finally {
      await only.stop()
    }
  })

  test('insecure with startTLS still upgrades (as zot): an untrusted certificate is an outage', async () => {
    const upgraded = { ...ldap, insecure: true, caCert: undefined }
    const only = await startRegistry({ config: { http: { auth: { ldap: upgraded } }, log: { level: 'warn' } } })
    try {
      expect(await ping('alice', 'alice-pw', only.url)).toBe(503)
    } finally {
      await only.stop()
    }
  })

  test('a directory certificate that is not trusted is an outage, never a login', async () => {
    const untrusted = { ...ldap, startTLS: false, port: slapd.ldapsPort, caCert: undefined }
    const only = await startRegistry({ config: { http: { auth: { ldap: untrusted } }, log: { level: 'warn' } } })
    try {
      expect(await ping('alice', 'alice-pw', only.url)).toBe(503)
    } finally {
      await only.stop()
    }
  })
})
