/**
 * Repository globs were compiled to backtracking regexes and matched on the event loop: any user
 * could create a key scoped `*a*a*a*a*a*a*a*a*b:read`, and one request naming a 55-character
 * repository with it kept `/livez` waiting 4-7 s (60 characters: 20 s). Operator globs were just
 * as exposed to anonymous names: `**` + `/*-*-*-*-*-x` took 8 s on a 250-character name. Scopes
 * are now bounded at creation, and every glob is matched in time linear in the name.
 */
import { describe, expect, test } from 'bun:test'
import { startSecurityTarget, worstLivezDuring, type SecurityTarget } from './support'

const CRAFTED = '*a*a*a*a*a*a*a*a*b:read'
const LIMIT_MS = 100
const EVERYTHING = ['read', 'create', 'update', 'delete']
// Valid repository names of the maximum length (255) that the globs below almost match.
const LONG_NAMES = [
  'a'.repeat(255),
  `a${'-a'.repeat(127)}`,
  `a/${'a'.repeat(252)}`,
  `a/a${'-'.repeat(251)}a`,
  `${'a/'.repeat(127)}a`,
]

async function createKeyResponse(target: SecurityTarget, scopes: string[]) {
  const response = await target.request('/zot/auth/apikey', {
    method: 'POST',
    headers: { ...target.basic('bob'), 'Content-Type': 'application/json' },
    body: JSON.stringify({ scopes }),
  })
  const body = (await response.json()) as { errors?: { message: string }[] }
  return { status: response.status, message: body.errors?.[0]?.message ?? '' }
}

/** Sends `rounds` passes over LONG_NAMES and returns the statuses seen. */
async function tagListsOfLongNames(
  target: SecurityTarget,
  headers: Record<string, string>,
  rounds = 4,
): Promise<Set<number>> {
  const statuses = new Set<number>()
  for (let round = 0; round < rounds; round++) {
    for (const name of LONG_NAMES) {
      const response = await target.request(`/v2/${name}/tags/list`, { headers })
      await response.arrayBuffer()
      statuses.add(response.status)
    }
  }
  return statuses
}

describe('API-key scopes', async () => {
  // With accessControl, so that the code before the fix matched scopes at all (see scopes.test).
  const target = await startSecurityTarget({
    config: { http: { accessControl: { repositories: { '**': { defaultPolicy: EVERYTHING } } } } },
  })

  test('the crafted scope is refused at creation, naming the scope and the limit', async () => {
    const { status, message } = await createKeyResponse(target, [CRAFTED])
    expect(status).toBe(400)
    expect(message).toContain(JSON.stringify(CRAFTED))
    expect(message).toContain('more than 8 wildcards')
  })

  test.each([
    ['longer than 256 characters', `${'x'.repeat(250)}/**:read`],
    ['more than 3 ** segments', '**/a/**/b/**/c/**:read'],
    ['nested braces are not allowed', '{a,{b,c}}/x:read'],
    ['expands to more than 16 brace alternatives', '{a,b}{c,d}{e,f}{g,h}{i,j}:read'],
    ['character class', 'ci/[abc:read'],
  ])('a scope is refused with a reason: %s', async (reason, scope) => {
    const { status, message } = await createKeyResponse(target, [scope])
    expect(status).toBe(400)
    expect(message).toContain(JSON.stringify(scope))
    expect(message).toContain(reason)
  })

  test('at most 32 scopes per key', async () => {
    const scopes = Array.from({ length: 33 }, (_, index) => `team${index}/**:read`)
    const { status, message } = await createKeyResponse(target, scopes)
    expect(status).toBe(400)
    expect(message).toContain('at most 32 per key')
    expect((await createKeyResponse(target, scopes.slice(0, 32))).status).toBe(201)
  })

  test('an allowed scope with 8 wildcards against 255-character names keeps /livez fast', async () => {
    const key = await target.createKey('bob', ['*a*a*a*a*a*a*a*b:read', '{x,y}*-*-*-*-*-*-*/**:read'])
    let statuses = new Set<number>()
    const worst = await worstLivezDuring(target.url, async () => {
      statuses = await tagListsOfLongNames(target, target.basic('bob', key))
    })
    // Out of scope: refused, and quickly.
    expect([...statuses]).toEqual([403])
    expect(worst).toBeLessThan(LIMIT_MS)
    // In scope: the scope still grants what it says.
    const inScope = await target.request(`/v2/${'a'.repeat(200)}b/tags/list`, {
      headers: target.basic('bob', key),
    })
    expect(inScope.status).toBe(404)
  }, 30_000)
})

describe('operator globs (accessControl) against anonymous names', async () => {
  const target = await startSecurityTarget({
    config: {
      http: {
        accessControl: {
          repositories: {
            '**/*-*-*-*-*-x': { anonymousPolicy: ['read'] },
            '**': { defaultPolicy: EVERYTHING },
          },
        },
      },
    },
  })

  test('crafted anonymous names keep /livez fast, and the glob still grants what it says', async () => {
    let statuses = new Set<number>()
    const worst = await worstLivezDuring(target.url, async () => {
      statuses = await tagListsOfLongNames(target, {})
    })
    expect([...statuses]).toEqual([401])
    expect(worst).toBeLessThan(LIMIT_MS)
    expect((await target.request('/v2/team/a-b-c-d-e-x/tags/list')).status).toBe(404)
  }, 30_000)
})
