import { afterAll, describe, expect, spyOn, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { basicAuthorization, parseAuthorization } from '../../lib/auth/basic-credentials'
import { createHtpasswd } from '../../lib/auth/htpasswd'

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

  // Asserted on the work done, not on wall-clock ratios, which a loaded CI machine breaks: an
  // unknown user pays exactly one bcrypt comparison at the cost the file's users pay.
  test('an unknown user costs as much as a wrong password', async () => {
    const compare = spyOn(bcrypt, 'compare')
    try {
      expect(await users.verify('alice', 'wrong')).toBe(false)
      expect(compare).toHaveBeenCalledTimes(1)
      const userHash = compare.mock.calls[0]![1] as string
      compare.mockClear()
      expect(await users.verify('nobody', 'wrong')).toBe(false)
      expect(compare).toHaveBeenCalledTimes(1)
      expect(bcrypt.getRounds(compare.mock.calls[0]![1] as string)).toBe(bcrypt.getRounds(userHash))
    } finally {
      compare.mockRestore()
    }
  })

  test('a success is remembered, a failure never is', async () => {
    expect(await users.verify('alice', 'right')).toBe(true)
    const compare = spyOn(bcrypt, 'compare')
    try {
      expect(await users.verify('alice', 'right')).toBe(true)
      expect(compare).toHaveBeenCalledTimes(0)
      expect(await users.verify('alice', 'wrong')).toBe(false)
      expect(await users.verify('alice', 'wrong')).toBe(false)
      expect(compare).toHaveBeenCalledTimes(2)
    } finally {
      compare.mockRestore()
    }
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
    expect(parseAuthorization('basic ' + btoa('u:'))).toEqual({
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
    ['Basic ' + btoa('nocolon'), 'malformed basic credentials'],
    ['Basic ' + btoa('a:b') + ', Basic ' + btoa('c:d'), 'more than one Authorization header'],
  ])('%s is invalid', (value, reason) => {
    expect(parseAuthorization(value)).toEqual({ kind: 'invalid', reason })
  })
})
