/**
 * `verify-config` on `http.auth.bearer.oidc`: each mistake names its key, and a workload-identity
 * config as zot's example writes it (bearer OIDC alone, with accessControl) is accepted.
 */
import { describe, expect, test } from 'bun:test'
import { BASE_CONFIG, describeFindings, errorsOf, inspect, merge, type Json } from '../../config/helpers'
import { describeRuleCases, type RuleCase } from '../../config/rule-cases'

const ISSUER = 'https://kubernetes.default.svc.cluster.local'
const I0 = 'http.auth.bearer.oidc[0]'
const oidc = (entry: Json): Json => ({
  http: { auth: { bearer: { oidc: [merge({ issuer: ISSUER, audiences: ['zot'] }, entry)] } } },
})

const CASES: RuleCase[] = [
  {
    title: 'an issuer that is not a URL',
    patch: oidc({ issuer: 'kubernetes' }),
    path: `${I0}.issuer`,
    message: 'must be an absolute http(s) URL',
  },
  { title: 'no audience', patch: oidc({ audiences: [] }), path: `${I0}.audiences`, message: 'at least one audience' },
  {
    title: 'a blank audience',
    patch: oidc({ audiences: ['zot', ' '] }),
    path: `${I0}.audiences`,
    message: 'none blank',
  },
  {
    title: 'both CA forms',
    patch: (files) => oidc({ certificateAuthority: '-----BEGIN CERTIFICATE-----', certificateAuthorityFile: files.ca }),
    path: I0,
    message: 'mutually exclusive',
  },
  {
    title: 'an inline CA that is not PEM',
    patch: oidc({ certificateAuthority: '/etc/zot/ca.pem' }),
    path: `${I0}.certificateAuthority`,
    message: 'holds no PEM certificate',
  },
  {
    title: 'a username expression that does not parse',
    patch: oidc({ claimMapping: { username: "claims.sub +'" } }),
    path: `${I0}.claimMapping.username`,
    message: 'not a valid CEL expression',
  },
  {
    title: 'a validation without message',
    patch: oidc({ claimMapping: { validations: [{ expression: "claims.sub != ''" }] } }),
    path: `${I0}.claimMapping.validations[0].message`,
    message: 'needs a message',
  },
  {
    title: 'a validation that is not bool',
    patch: oidc({ claimMapping: { validations: [{ expression: 'claims.sub', message: 'm' }] } }),
    path: `${I0}.claimMapping.validations[0].expression`,
    message: 'must evaluate to bool',
  },
  {
    title: 'matches with a pattern from the token',
    patch: oidc({ claimMapping: { groups: 'claims.groups.filter(g, g.matches(claims.prefix))' } }),
    path: `${I0}.claimMapping.groups`,
    message: 'must be a literal string',
  },
  {
    title: 'an upstream token endpoint without oidc',
    patch: (files) => ({
      http: {
        auth: {
          bearer: {
            realm: 'https://auth.example.com/token',
            service: 'zot',
            cert: files.cert,
            upstreamTokenEndpoint: { realm: 'https://auth.example.com/token', service: 'auth' },
          },
        },
      },
    }),
    path: 'http.auth.bearer.upstreamTokenEndpoint',
    message: 'has no effect without oidc',
    severity: 'warning',
  },
]

describeRuleCases('bearer oidc rules', CASES)

describe('accepted workload-identity configs', () => {
  test("zot's example (bearer OIDC alone, users in accessControl) has no error and is not refused as planned", async () => {
    const config = merge(BASE_CONFIG, {
      http: {
        auth: {
          bearer: {
            realm: 'zot',
            service: 'zot-service',
            oidc: [
              {
                issuer: ISSUER,
                audiences: ['zot', 'https://zot.example.com'],
                claimMapping: { username: 'claims.sub' },
              },
            ],
          },
        },
        accessControl: {
          repositories: {
            '**': {
              policies: [
                { users: ['system:serviceaccount:flux-system:source-controller'], actions: ['read', 'create'] },
              ],
            },
          },
        },
      },
    })
    const { findings } = await inspect(config)
    expect(errorsOf(findings), describeFindings(findings)).toEqual([])
  })

  test('a missing certificateAuthorityFile is named', async () => {
    const { findings } = await inspect(
      merge(BASE_CONFIG, oidc({ certificateAuthorityFile: '/nonexistent/k8s-ca.pem' })) as Json,
    )
    const paths = findings.map((finding) => finding.path)
    expect(paths).toContain(`${I0}.certificateAuthorityFile`)
  })
})
