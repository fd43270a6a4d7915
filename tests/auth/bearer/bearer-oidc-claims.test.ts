/**
 * zot's `claimMapping` CEL expressions (lib/auth/bearer/cel-claims.ts), in process: zot's
 * defaults and evaluation order, the results zot requires (a string user name, a list of string
 * groups, bool validations), and the expressions refused when the config is read because a token
 * could make them costly.
 */
import { describe, expect, test } from 'bun:test'
import { ClaimMappingError, compileClaimMapping, type ClaimMappingConfig } from '../../../lib/auth/bearer/cel-claims'

const K8S_CLAIMS = {
  iss: 'https://kubernetes.default.svc.cluster.local',
  sub: 'system:serviceaccount:flux-system:source-controller',
  aud: ['zot'],
  exp: 1_900_000_000,
  'kubernetes.io': { namespace: 'flux-system', serviceaccount: { name: 'source-controller' } },
  email: 'ci@example.com',
  groups: ['dev', 'ops'],
}

const mapping = (config: Partial<ClaimMappingConfig>) =>
  compileClaimMapping({ variables: [], validations: [], username: '', groups: '', ...config })

/** The refusal of `config`: the key it names and its message. */
function refusal(config: Partial<ClaimMappingConfig>): { key: string; message: string } {
  try {
    mapping(config)
  } catch (error) {
    if (error instanceof ClaimMappingError) return { key: error.key, message: error.message }
    throw error
  }
  throw new Error('the mapping compiled')
}

describe('mapping claims', () => {
  test("without a mapping, the user is zot's iss/sub and there are no groups", () => {
    expect(compileClaimMapping(undefined).identify(K8S_CLAIMS)).toEqual({
      username: `${K8S_CLAIMS.iss}/${K8S_CLAIMS.sub}`,
      groups: [],
    })
  })

  test('variables build on claims and on earlier variables; username and groups use them', () => {
    const identity = mapping({
      variables: [
        { name: 'ns', expression: "claims['kubernetes.io'].namespace" },
        { name: 'who', expression: "vars.ns + ':' + claims['kubernetes.io'].serviceaccount.name" },
      ],
      username: 'vars.who',
      groups: "claims.groups.map(g, vars.ns + '/' + g)",
    }).identify(K8S_CLAIMS)
    expect(identity).toEqual({
      username: 'flux-system:source-controller',
      groups: ['flux-system/dev', 'flux-system/ops'],
    })
  })

  test("zot's documented examples evaluate: split, in a literal list, replace, optional fields, numbers", () => {
    const identify = (username: string) => mapping({ username }).identify(K8S_CLAIMS)
    expect(identify("claims.email.split('@')[0]")).toEqual({ username: 'ci', groups: [] })
    expect(identify("claims['kubernetes.io'].namespace in ['flux-system'] ? 'ok' : 'no'")).toMatchObject({
      username: 'ok',
    })
    expect(identify("claims.sub.replace(':', '.')")).toMatchObject({
      username: 'system.serviceaccount.flux-system.source-controller',
    })
    expect(identify("claims.?nickname.orValue('none')")).toMatchObject({ username: 'none' })
    expect(identify("claims.exp > 1000 ? 'numeric' : 'no'")).toMatchObject({ username: 'numeric' })
  })

  test('a false validation refuses the token with its message; validations see variables', () => {
    const mapped = mapping({
      variables: [{ name: 'ns', expression: "claims['kubernetes.io'].namespace" }],
      validations: [
        { expression: "claims.sub.startsWith('system:serviceaccount:')", message: 'service accounts only' },
        { expression: "vars.ns == 'prod'", message: 'only the prod namespace' },
      ],
    })
    expect(mapped.identify(K8S_CLAIMS)).toBe('claim validation failed: only the prod namespace')
    const prod = { ...K8S_CLAIMS, 'kubernetes.io': { namespace: 'prod' } }
    expect(mapped.identify(prod)).toMatchObject({ username: `${K8S_CLAIMS.iss}/${K8S_CLAIMS.sub}` })
  })

  test('a missing claim, a non-string user name or groups that are not strings refuse the token', () => {
    expect(mapping({ username: 'claims.nickname' }).identify(K8S_CLAIMS)).toStartWith('claim mapping failed:')
    expect(mapping({ username: 'claims.exp' }).identify(K8S_CLAIMS)).toBe(
      'the username expression did not yield a string',
    )
    expect(mapping({ groups: 'claims.exp' }).identify(K8S_CLAIMS)).toBe(
      'the groups expression did not yield a list of strings',
    )
    expect(mapping({ groups: 'claims.groups' }).identify({ ...K8S_CLAIMS, groups: ['dev', 7] })).toBe(
      'the groups expression did not yield a list of strings',
    )
  })
})

describe('mappings refused when the config is read', () => {
  test('syntax errors and unknown names, with the key of the expression', () => {
    expect(refusal({ username: 'claims.sub +' })).toMatchObject({ key: 'claimMapping.username' })
    expect(refusal({ groups: 'token.groups' }).message).toContain('Unknown variable: token')
    const variables = [
      { name: 'a', expression: 'claims.a' },
      { name: 'b', expression: '(' },
    ]
    expect(refusal({ variables }).key).toBe('claimMapping.variables[1].expression')
  })

  test('cel-go extensions zot enables that this evaluator lacks are named as unknown: sets, base64', () => {
    expect(refusal({ groups: "sets.contains(claims.groups, ['dev']) ? ['x'] : []" }).message).toContain(
      'Unknown variable: sets',
    )
  })

  test('a validation must be bool (as zot compiles it) and carry a message; a variable needs a name', () => {
    expect(refusal({ validations: [{ expression: 'claims.email_verified', message: 'verified' }] })).toEqual({
      key: 'claimMapping.validations[0].expression',
      message: 'must evaluate to bool, but its type is dyn',
    })
    expect(refusal({ validations: [{ expression: 'true', message: '' }] }).key).toBe(
      'claimMapping.validations[0].message',
    )
    expect(refusal({ variables: [{ name: '', expression: 'claims.sub' }] }).key).toBe('claimMapping.variables[0].name')
  })

  test('matches runs on RE2: Go syntax, linear time on any input; its pattern must be a literal', () => {
    const sa = mapping({
      validations: [
        { expression: "claims.sub.matches('^system:serviceaccount:[a-z-]+:') ", message: 'service accounts only' },
      ],
      groups: "claims.groups.filter(g, g.matches('^d[[:alpha:]]+$'))",
    })
    expect(sa.identify(K8S_CLAIMS)).toMatchObject({ groups: ['dev'] })
    expect(sa.identify({ ...K8S_CLAIMS, sub: 'user:bob' })).toBe('claim validation failed: service accounts only')
    // POSIX classes are RE2's ([[:alpha:]] means something else to JavaScript), and a nested
    // quantifier that a backtracking engine would take ages over answers at once.
    const nested = mapping({ username: "claims.sub.matches('^(a+)+$') ? 'yes' : 'no'" })
    expect(nested.identify({ ...K8S_CLAIMS, sub: `${'a'.repeat(10_000)}!` })).toMatchObject({ username: 'no' })
    expect(refusal({ groups: 'claims.groups.filter(g, g.matches(claims.sub))' }).message).toContain(
      'must be a literal string',
    )
    expect(refusal({ username: "claims.sub.matches('(?=x)') ? 'a' : 'b'" }).message).toContain(
      'not a valid RE2 expression',
    )
  })

  test('iterating over token data inside another iteration is refused; over literals it is fine', () => {
    expect(refusal({ groups: 'claims.groups.filter(g, claims.groups.exists(h, h == g))' }).message).toContain(
      'inside another iteration',
    )
    expect(refusal({ username: "claims.groups.exists(g, g in claims.groups) ? 'a' : 'b'" }).message).toContain(
      '`in` over input data inside an iteration',
    )
    const literal = mapping({
      groups: "claims.groups.filter(g, g in ['dev', 'qa'] && ['d', 'q'].exists(p, g.startsWith(p)))",
    })
    expect(literal.identify(K8S_CLAIMS)).toMatchObject({ groups: ['dev'] })
    const chained = mapping({ groups: "claims.groups.filter(g, g != 'ops').map(g, 'team-' + g)" })
    expect(chained.identify(K8S_CLAIMS)).toMatchObject({ groups: ['team-dev'] })
  })

  test('expressions beyond the parse limits are refused', () => {
    const huge = Array.from({ length: 300 }, (_, index) => `claims.groups[${index % 2}]`).join(' + ')
    expect(refusal({ username: huge }).message).toContain('maxAstNodes')
  })
})
