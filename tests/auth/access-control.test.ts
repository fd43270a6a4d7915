import { describe, expect, test } from 'bun:test'
import { createAccessControl } from '../../lib/auth/policy/access-control'
import { parseKeyScope } from '../../lib/auth/keys/key-scope'
import { anonymousPrincipal, type ScopedPrincipal } from '../../lib/auth/policy/principal'
import { repositoryGlob } from '../../lib/auth/policy/repository-glob'
import { requiredChecks, type RequiredCheck } from '../../lib/auth/policy/required-actions'
import type { Action } from '../../lib/http/context'
import type { RequestTarget } from '../../lib/oci/request-target'
import { accessOf, fixtureConfig, user } from './support'

const ACTIONS: Action[] = ['read', 'create', 'update', 'delete']
const allowed = (can: (action: Action) => boolean): Action[] => ACTIONS.filter(can)
const anonymous = anonymousPrincipal()

describe('repository globs (doublestar semantics)', () => {
  test.each([
    ['tmp/**', 'tmp', true],
    ['tmp/**', 'tmp/a', true],
    ['tmp/**', 'tmp/a/b', true],
    ['tmp/**', 'tmpx', false],
    ['**', 'a/b/c', true],
    ['*', 'a', true],
    ['*', 'a/b', false],
    ['a/*', 'a/b/c', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['**/b', 'b', true],
    ['{a,b}/c', 'b/c', true],
    ['a/[xy]', 'a/y', true],
    ['a/?', 'a/z', true],
    ['!a', 'b', false],
    ['+(a|b)', 'a', false],
  ])('%s on %s is %p', (pattern, repository, expected) => {
    expect(repositoryGlob(pattern)(repository)).toBe(expected)
  })
})

describe('blumeops: anonymous read, CI group read+create, admins everything', async () => {
  const config = await fixtureConfig('blumeops-oidc-apikeys.json')
  const access = createAccessControl(config.http.accessControl)
  const ci = user('forgejo-runner', ['artifact-workloads'], 'apikey')
  const admin = user('erich', ['admins'], 'openid')
  const other = user('someone', ['users'], 'openid')

  test('anonymous requests may read any repository and nothing else', () => {
    for (const repository of ['app', 'docker.io/library/nginx', 'deep/a/b/c']) {
      expect(allowed((action) => access.can(anonymous, action, repository))).toEqual(['read'])
    }
  })

  test('the CI group may read and create, never update (move a tag) or delete', () => {
    expect(allowed((action) => access.can(ci, action, 'blumeops/app'))).toEqual(['read', 'create'])
  })

  test('admins may do everything, through adminPolicy', () => {
    expect(allowed((action) => access.can(admin, action, 'blumeops/app'))).toEqual(ACTIONS)
  })

  test('an authenticated user outside every group gets nothing: anonymousPolicy is for anonymous only', () => {
    expect(allowed((action) => access.can(other, action, 'blumeops/app'))).toEqual([])
  })

  test('the config has anonymous access', () => {
    expect(access.anonymousAccess).toBe(true)
    expect(access.configured).toBe(true)
  })
})

describe('lumie: anonymous and authenticated read, admin user and group', async () => {
  const config = await fixtureConfig('lumie-s3-oidc-mirror.json')
  const access = createAccessControl(config.http.accessControl)

  test.each([
    ['anonymous', anonymous, ['read']],
    ['any user', user('dev'), ['read']],
    ['the admin user', user('admin'), ACTIONS],
    ['an admins member', user('kc-user', ['admins'], 'openid'), ACTIONS],
  ] as const)('%s', (_, principal, expected) => {
    expect(allowed((action) => access.can(principal, action, 'library/nginx'))).toEqual([...expected])
  })

  test('an anonymous principal named like an admin user is still anonymous', () => {
    expect(access.can({ username: '', groups: [], method: 'anonymous' }, 'delete', 'x')).toBe(false)
  })
})

describe('evaluation order', () => {
  const access = accessOf({
    repositories: {
      '**': { defaultPolicy: ['read', 'create', 'update', 'delete'], anonymousPolicy: ['read'] },
      'secret/**': { policies: [{ users: ['alice'], actions: ['read'] }] },
      'secret/shared/**': { defaultPolicy: ['read'] },
      'a/*': { policies: [{ users: ['first'], actions: ['read'] }] },
      '*/b': { policies: [{ users: ['second'], actions: ['read'] }] },
      'ci/**': {
        policies: [
          { groups: ['ci'], actions: ['read', 'create'] },
          { users: ['*'], actions: ['read'] },
        ],
      },
      'cel/**': {
        policies: [{ users: ['alice'], actions: ['read'], conditions: [{ expression: 'true' }] }],
      },
    },
    adminPolicy: { users: ['root'], actions: ['read', 'delete'] },
    groups: { ci: { users: ['runner'] }, ops: { users: ['runner', 'alice'] } },
    metrics: { users: ['prometheus'] },
  })

  test('the longest matching glob alone decides, even against a more generous shorter one', () => {
    expect(access.can(user('bob'), 'read', 'secret/x')).toBe(false)
    expect(access.can(user('alice'), 'read', 'secret/x')).toBe(true)
    expect(access.can(user('alice'), 'create', 'secret/x')).toBe(false)
    expect(access.can(anonymous, 'read', 'secret/x')).toBe(false)
    expect(access.can(user('bob'), 'read', 'secret/shared/x')).toBe(true)
    expect(access.can(user('bob'), 'delete', 'other')).toBe(true)
  })

  test('equal lengths: the glob listed first wins', () => {
    expect(access.can(user('first'), 'read', 'a/b')).toBe(true)
    expect(access.can(user('second'), 'read', 'a/b')).toBe(false)
  })

  test('adminPolicy applies after the winning group, with its own actions only', () => {
    expect(access.can(user('root'), 'read', 'secret/x')).toBe(true)
    expect(access.can(user('root'), 'delete', 'secret/x')).toBe(true)
    expect(access.can(user('root'), 'create', 'secret/x')).toBe(false)
  })

  test('static groups are resolved from accessControl.groups', () => {
    expect(access.staticGroups('runner').sort()).toEqual(['ci', 'ops'])
    expect(access.staticGroups('nobody')).toEqual([])
  })

  test('"*" in users is a literal name, not a wildcard (zot)', () => {
    expect(access.can(user('carol'), 'read', 'ci/app')).toBe(false)
    expect(access.can(user('*'), 'read', 'ci/app')).toBe(true)
  })

  test('a policy entry with conditions grants only on a request it holds for (conditions.test.ts has the rest)', () => {
    const facts = { method: 'GET', userAgent: '', clientIp: '', forwardedFor: [], tls: { enabled: false, version: '' } }
    expect(access.conditional).toBe(true)
    expect(access.can(user('alice'), 'read', 'cel/x')).toBe(false)
    expect(access.can(user('alice'), 'read', 'cel/x', { facts })).toBe(true)
  })

  test('catalog filtering keeps what the principal can read', () => {
    const catalog = ['other', 'secret/x', 'secret/shared/y', 'ci/app']
    expect(catalog.filter((repository) => access.canRead(user('bob'), repository))).toEqual([
      'other',
      'secret/shared/y',
    ])
    expect(catalog.filter((repository) => access.canRead(anonymous, repository))).toEqual(['other'])
    expect(catalog.filter((repository) => access.canRead(user('runner', ['ci']), repository))).toEqual([
      'other',
      'secret/shared/y',
      'ci/app',
    ])
  })

  test('metrics: listed users only; anonymous only with metrics.anonymousPolicy read', () => {
    expect(access.canScrapeMetrics(user('prometheus'))).toBe(true)
    expect(access.canScrapeMetrics(user('root'))).toBe(false)
    expect(access.canScrapeMetrics(anonymous)).toBe(false)
    expect(accessOf({ metrics: { anonymousPolicy: ['read'] } }).canScrapeMetrics(anonymous)).toBe(true)
  })

  test('API-key scopes narrow what the owner may do, never widen it', () => {
    const scoped: ScopedPrincipal = {
      ...user('bob'),
      method: 'apikey',
      scopes: [parseKeyScope('team/**:read,create'), parseKeyScope('tools')],
    }
    expect(allowed((action) => access.can(scoped, action, 'team/app'))).toEqual(['read', 'create'])
    expect(allowed((action) => access.can(scoped, action, 'tools'))).toEqual(ACTIONS)
    expect(allowed((action) => access.can(scoped, action, 'other'))).toEqual([])
    expect(allowed((action) => access.can(scoped, action, 'secret/x'))).toEqual([])
  })
})

describe('no accessControl', () => {
  const access = createAccessControl(undefined)
  test('every authenticated user may do everything; anonymous nothing', () => {
    expect(allowed((action) => access.can(user('x'), action, 'any/repo'))).toEqual(ACTIONS)
    expect(allowed((action) => access.can(anonymous, action, 'any/repo'))).toEqual([])
    expect(access.configured).toBe(false)
    expect(access.canScrapeMetrics(user('x'))).toBe(true)
  })
})

describe('key scopes syntax', () => {
  test('glob with or without actions', () => {
    expect(parseKeyScope('ci/**:read, create').actions).toEqual(['read', 'create'])
    expect(parseKeyScope('ci/**').actions).toEqual(ACTIONS)
  })
  test.each(['', ':read', 'ci/**:', 'ci/**:push', 'ci/**:read,admin'])('%p is refused', (text) => {
    expect(() => parseKeyScope(text)).toThrow()
  })
})

describe('required actions (zot 3.1)', () => {
  const existing = new Set(['app:v1', 'app:latest'])
  const tagExists = async (repository: string, tag: string) => existing.has(`${repository}:${tag}`)
  const manifest = (reference: string): RequestTarget => ({
    kind: 'manifest',
    repository: 'app',
    reference,
  })
  const digest = `sha256:${'a'.repeat(64)}`
  const check = (action: Action, reference = ''): RequiredCheck => ({ action, reference })
  const cases: [string, RequestTarget, string[], RequiredCheck[]][] = [
    ['GET', manifest('v1'), [], [check('read', 'v1')]],
    ['HEAD', { kind: 'blob', repository: 'app', digest }, [], [check('read')]],
    ['GET', { kind: 'tags', repository: 'app' }, [], [check('read')]],
    ['GET', { kind: 'referrers', repository: 'app', digest }, [], [check('read')]],
    ['GET', { kind: 'upload', repository: 'app', uploadId: 'u' }, [], [check('read')]],
    ['POST', { kind: 'uploads', repository: 'app' }, [], [check('create')]],
    ['PATCH', { kind: 'upload', repository: 'app', uploadId: 'u' }, [], [check('create')]],
    ['PUT', { kind: 'upload', repository: 'app', uploadId: 'u' }, [], [check('create')]],
    ['PUT', manifest('v2'), [], [check('create', 'v2')]],
    ['PUT', manifest('v1'), [], [check('update', 'v1')]],
    ['PUT', manifest(digest), [], [check('create', digest)]],
    ['PUT', manifest(digest), ['v2', 'v3'], [check('create', 'v2'), check('create', 'v3'), check('create', digest)]],
    ['PUT', manifest(digest), ['v1'], [check('update', 'v1'), check('update', digest)]],
    [
      'PUT',
      manifest(digest),
      ['v1', 'v2'],
      [check('update', 'v1'), check('create', 'v2'), check('create', digest), check('update', digest)],
    ],
    ['DELETE', manifest('v1'), [], [check('delete', 'v1')]],
    ['DELETE', { kind: 'blob', repository: 'app', digest }, [], [check('delete')]],
    ['DELETE', { kind: 'upload', repository: 'app', uploadId: 'u' }, [], [check('delete')]],
    ['GET', { kind: 'base' }, [], []],
    ['GET', { kind: 'catalog' }, [], []],
  ]
  test.each(cases)('%s %o ?tag=%o', async (method, target, tags, expected) => {
    expect(await requiredChecks(method, target, { tagExists, tags })).toEqual(expected)
  })

  test('an absurd number of tags demands both create and update without probing storage', async () => {
    let probes = 0
    const counting = async () => (probes++, false)
    const tags = Array.from({ length: 500 }, (_, index) => `t${index}`)
    expect(await requiredChecks('PUT', manifest(digest), { tagExists: counting, tags })).toEqual([
      check('create', digest),
      check('update', digest),
    ])
    expect(probes).toBe(0)
  })
})
