import { afterAll, describe, expect, spyOn, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { basicAuthorization, parseAuthorization } from '../../lib/auth/basic-credentials'
import { createHtpasswd } from '../../lib/auth/htpasswd/htpasswd'

const directory = await mkdtemp(join(tmpdir(), 'zot-htpasswd-'))
afterAll(() => rm(directory, { recursive: true, force: true }))

// `htpasswd -nb -5 bob pw`
const BOB =
  'bob:$6$xKIQIsWWODzhqB4.$7sWhhIZBIkBYbuynd12NRiSIgKUsGuemx9DC4MRZvjRfowvXhXdzi.eSjlmLK6X0AXkhAYaKG3JiAWdWhnX.q0'
const line = (user: string, password: string, cost = 4, prefix = '$2y$') =>
  `${user}:${bcrypt.hashSync(password, cost).replace(/^\$2[ab]\$/, prefix)}`

let sequence = 0
async function file(text: string): Promise<string> {
  const path = join(directory, `htpasswd-${++sequence}`)
  await writeFile(path, text)
  return path
}

describe('htpasswd verification', async () => {
  const warnings: unknown[] = []
  const users = createHtpasswd({
    path: await file(
      [
        '# comment',
        line('alice', 'wonderland'),
        line('carol', 'b-secret', 4, '$2b$'),
        line('dave', 'a-secret', 4, '$2a$'),
        BOB,
        '',
        'mallory:$apr1$abc$def',
        'plain:password',
        'nocolon',
      ].join('\n'),
    ),
    onWarning: (message, fields) => warnings.push({ message, fields }),
  })

  test('bcrypt $2y$, $2b$, $2a$ and SHA-crypt $6$ entries verify', async () => {
    expect(await users.verify('alice', 'wonderland')).toBe(true)
    expect(await users.verify('carol', 'b-secret')).toBe(true)
    expect(await users.verify('dave', 'a-secret')).toBe(true)
    expect(await users.verify('bob', 'pw')).toBe(true)
  })

  test('wrong passwords and unknown users are refused', async () => {
    expect(await users.verify('alice', 'wonderlan')).toBe(false)
    expect(await users.verify('alice', '')).toBe(false)
    expect(await users.verify('bob', 'PW')).toBe(false)
    expect(await users.verify('nobody', 'wonderland')).toBe(false)
    expect(await users.verify('', '')).toBe(false)
  })

  test('apr1, plaintext and malformed lines are skipped with a warning that hides the hash', async () => {
    expect(await users.verify('mallory', 'anything')).toBe(false)
    expect(await users.verify('plain', 'password')).toBe(false)
    expect(warnings).toHaveLength(3)
    expect(JSON.stringify(warnings)).not.toContain('apr1')
    expect(JSON.stringify(warnings)).not.toContain('password')
  })

  test('the shared example file parses', async () => {
    const example = createHtpasswd({
      path: join(import.meta.dir, '../fixtures/configs/files/htpasswd.example'),
    })
    expect(await example.verify('youruser', 'wrong')).toBe(false)
  })
})

describe('htpasswd timing', async () => {
  const users = createHtpasswd({
    path: await file([line('alice', 'right', 9), line('bob', 'other', 9)].join('\n')),
  })
  const costOf = (hash: unknown) => /^\$2.\$(\d\d)\$/.exec(String(hash))?.[1]

  // Asserted on the work done, not on wall-clock ratios, which a loaded CI machine breaks: an
  // unknown user pays exactly one bcrypt comparison at the cost the file's users pay.
  test('an unknown user costs as much as a wrong password', async () => {
    const verify = spyOn(Bun.password, 'verify')
    try {
      expect(await users.verify('alice', 'wrong')).toBe(false)
      expect(verify).toHaveBeenCalledTimes(1)
      const userHash = verify.mock.calls[0]![1]
      verify.mockClear()
      expect(await users.verify('nobody', 'wrong')).toBe(false)
      expect(verify).toHaveBeenCalledTimes(1)
      expect(costOf(verify.mock.calls[0]![1])).toBe(costOf(userHash))
    } finally {
      verify.mockRestore()
    }
  })

  test('an outcome is remembered: repeating credentials, right or wrong, costs no hash', async () => {
    expect(await users.verify('alice', 'right')).toBe(true)
    expect(await users.verify('bob', 'wrong-once')).toBe(false)
    const verify = spyOn(Bun.password, 'verify')
    try {
      expect(await users.verify('alice', 'right')).toBe(true)
      expect(await users.verify('bob', 'wrong-once')).toBe(false)
      expect(await users.recall('alice', 'right')).toBe(true)
      expect(await users.recall('bob', 'wrong-once')).toBe(false)
      expect(await users.recall('bob', 'never-tried')).toBeUndefined()
      expect(verify).toHaveBeenCalledTimes(0)
      expect(await users.verify('alice', 'wrong-twice')).toBe(false)
      expect(verify).toHaveBeenCalledTimes(1)
    } finally {
      verify.mockRestore()
    }
  })

  test('concurrent checks of the same credentials share one hash', async () => {
    const verify = spyOn(Bun.password, 'verify')
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, () => users.verify('bob', 'other')))
      expect(answers).toEqual(Array(8).fill(true))
      expect(verify).toHaveBeenCalledTimes(1)
    } finally {
      verify.mockRestore()
    }
  })
})

describe('bcrypt compatibility', async () => {
  // Past 72 bytes bcrypt reads nothing; Bun would pre-hash such a password unless it is cut.
  const long = 'a-very-long-passphrase-that-goes-on-and-on-beyond-the-seventy-two-byte-bcrypt-limit-xyz'
  const unicode = 'pässwörd-ünïcödé'
  const users = createHtpasswd({
    path: await file(
      [
        // `htpasswd -nbB -C 4 <user> <password>` (Apache's crypt_blowfish)
        'apache-long:$2y$04$p3.6sR0xgL2mTy4OFdymBeC9D.2PN6ubLvAfi8/bDNKbzPCHVoVQy',
        'apache-unicode:$2y$04$PWke0RdMJdZEY9a6qlC8g.BXU.pEuufI9yJOgMRcabGWY1e0vQoD.',
        line('bcryptjs-long', long, 4, '$2a$'),
        line('bcryptjs-unicode', unicode, 4, '$2b$'),
        line('bcryptjs-multibyte-cut', `${'x'.repeat(71)}é`, 4),
        line('empty', '', 4),
      ].join('\n'),
    ),
  })

  test('hashes from htpasswd -B and bcryptjs verify, long passwords by their first 72 bytes', async () => {
    for (const user of ['apache-long', 'bcryptjs-long']) {
      expect(await users.verify(user, long)).toBe(true)
      expect(await users.verify(user, `${long.slice(0, 72)}anything`)).toBe(true)
      expect(await users.verify(user, long.slice(0, 71))).toBe(false)
    }
    for (const user of ['apache-unicode', 'bcryptjs-unicode']) {
      expect(await users.verify(user, unicode)).toBe(true)
      expect(await users.verify(user, unicode.normalize('NFD'))).toBe(false)
    }
    // The 72-byte cut falls inside the 2-byte é, as it does for bcrypt itself.
    expect(await users.verify('bcryptjs-multibyte-cut', `${'x'.repeat(71)}é`)).toBe(true)
    expect(await users.verify('bcryptjs-multibyte-cut', `${'x'.repeat(71)}è`)).toBe(true)
    expect(await users.verify('bcryptjs-multibyte-cut', 'x'.repeat(72))).toBe(false)
    // An empty password in the file is one, as for htpasswd and zot.
    expect(await users.verify('empty', '')).toBe(true)
    expect(await users.verify('empty', 'x')).toBe(false)
    expect(await users.verify('apache-unicode', '')).toBe(false)
  })

  test('SHA-crypt entries beyond the rounds limit are skipped with a warning', async () => {
    const warnings: unknown[] = []
    const heavy = createHtpasswd({
      path: await file(`heavy:$6$rounds=999999999$salt$${'x'.repeat(86)}\n${BOB}\n`),
      onWarning: (_message, fields) => warnings.push(fields),
    })
    expect(await heavy.has('heavy')).toBe(false)
    expect(await heavy.verify('bob', 'pw')).toBe(true)
    expect(JSON.stringify(warnings)).toContain('rounds above 1000000')
  })
})

describe('htpasswd reload', () => {
  test('an edited file is picked up, a replaced one too, a removed one admits nobody', async () => {
    const path = await file(line('alice', 'one'))
    const users = createHtpasswd({ path, checkIntervalMs: 0 })
    expect(await users.verify('alice', 'one')).toBe(true)

    await writeFile(path, [line('alice', 'two'), BOB].join('\n'))
    expect(await users.verify('alice', 'two')).toBe(true)
    // The success cache must not outlive the entry it was earned against.
    expect(await users.verify('alice', 'one')).toBe(false)
    expect(await users.verify('bob', 'pw')).toBe(true)

    const replacement = join(directory, 'replacement')
    await writeFile(replacement, line('carol', 'three'))
    await rename(replacement, path)
    expect(await users.verify('carol', 'three')).toBe(true)
    expect(await users.verify('alice', 'two')).toBe(false)

    await rm(path)
    expect(await users.verify('carol', 'three')).toBe(false)
    await writeFile(path, line('carol', 'three'))
    expect(await users.verify('carol', 'three')).toBe(true)
  })

  test('changes are noticed only after the check interval', async () => {
    const path = await file(line('alice', 'one'))
    const users = createHtpasswd({ path, checkIntervalMs: 60_000 })
    await writeFile(path, line('alice', 'two'))
    expect(await users.verify('alice', 'two')).toBe(false)
    await users.refresh(true)
    expect(await users.verify('alice', 'two')).toBe(true)
  })

  test('a missing file at start is an error', () => {
    expect(() => createHtpasswd({ path: join(directory, 'missing') })).toThrow()
  })
})

describe('Authorization header parsing', () => {
  test('Basic credentials split at the first colon and decode UTF-8', () => {
    expect(parseAuthorization(basicAuthorization('ålice', 'pa:ss'))).toEqual({
      kind: 'basic',
      credentials: { username: 'ålice', password: 'pa:ss' },
    })
    expect(parseAuthorization(`basic ${btoa('u:')}`)).toEqual({
      kind: 'basic',
      credentials: { username: 'u', password: '' },
    })
  })

  test('absent and the empty Basic Og== count as no credentials', () => {
    expect(parseAuthorization(undefined)).toEqual({ kind: 'none' })
    expect(parseAuthorization('')).toEqual({ kind: 'none' })
    expect(parseAuthorization('Basic Og==')).toEqual({ kind: 'none' })
  })

  test.each([
    ['Bearer abc', 'unsupported authorization scheme'],
    ['Basic', 'unsupported authorization scheme'],
    ['Basic !!!', 'malformed basic credentials'],
    [`Basic ${btoa('nocolon')}`, 'malformed basic credentials'],
    [`Basic ${btoa('a:b')}, Basic ${btoa('c:d')}`, 'more than one Authorization header'],
  ])('%s is invalid', (value, reason) => {
    expect(parseAuthorization(value)).toEqual({ kind: 'invalid', reason })
  })
})
