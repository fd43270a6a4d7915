/**
 * @module
 * Checks of authentication and authorization (docs/zot-compatibility.md 1.1 "ldap", "openid", "bearer",
 * "session driver", "authz"): mandatory settings of each method, and access control that only
 * makes sense with some way to log in.
 */
import type * as CelClaims from '../../auth/bearer/cel-claims'
import type * as ConditionCompiler from '../../auth/policy/condition-compiler'
import type * as Conditions from '../../auth/policy/conditions'
import { implementedLoginMethods, onlyUnimplementedLogins } from '../implementation/auth-methods'
import { childPath, entryPath, itemPath } from '../findings'
import { GLOB_FIX, globProblem } from '../values/patterns'
import type { Config } from '../schema'
import { nearest } from '../advice/suggest'
import { httpUrl, listOf, type Report, type Rule } from './rule'

const OIDC_PROVIDERS = ['google', 'gitlab', 'oidc']
const OAUTH2_PROVIDERS = ['github']
const SESSION_DRIVERS = ['local', 'redis']
/** What the AWS SDK accepts as a region: a host-name label (it becomes part of the endpoint's host). */
const AWS_REGION = /^(?!-)[a-zA-Z0-9-]{1,63}(?<!-)$/
/** GetSecretValue's SecretId: a name (letters, digits, `/_+=.@-`) or an ARN (adds `:`), at most 2048. */
const AWS_SECRET_ID = /^[\w/+=.@:-]{1,2048}$/

type AccessControl = NonNullable<Config['http']['accessControl']>

export const authRules: readonly Rule[] = [
  {
    severity: 'error',
    summary:
      'Authentication only through methods not implemented yet (those whose status below is planned, ' +
      'such as `bearer` or `mtls`): serving would drop authentication.',
    check(config, report) {
      const methods = onlyUnimplementedLogins(config.http.auth)
      const [first] = methods
      if (!first) return
      report(
        `http.auth.${first}`,
        `${listOf(methods)} ${methods.length > 1 ? 'are' : 'is'} not implemented yet, and no other login method is ` +
          'configured: nobody could log in, so zot-bun refuses to run instead of serving without authentication',
        {
          fix: `add a login method this version implements (${listOf(implementedLoginMethods())}), or run zot for now`,
        },
      )
    },
  },
  {
    severity: 'error',
    summary: 'LDAP without `address`, `baseDN` or `userAttribute`.',
    check(config, report) {
      const ldap = config.http.auth?.ldap
      if (!ldap) return
      for (const key of ['address', 'baseDN', 'userAttribute'] as const) {
        if (!ldap[key]) report(`http.auth.ldap.${key}`, 'LDAP needs this key', { fix: `set ${key}` })
      }
    },
  },
  {
    severity: 'error',
    summary:
      'An OpenID provider that is not `google`, `gitlab`, `oidc` or `github`; an OpenID Connect provider ' +
      'without `clientid`, `issuer` or `scopes`; GitHub without `clientid` or `scopes`.',
    check(config, report) {
      for (const [name, provider] of Object.entries(config.http.auth?.openid?.providers ?? {})) {
        const path = entryPath('http.auth.openid.providers', name)
        const isOidc = OIDC_PROVIDERS.includes(name)
        if (!isOidc && !OAUTH2_PROVIDERS.includes(name)) {
          const suggestion = nearest(name, [...OIDC_PROVIDERS, ...OAUTH2_PROVIDERS])
          report(path, `unsupported provider "${name}"`, {
            fix: suggestion
              ? `did you mean "${suggestion}"?`
              : 'the key is the provider kind: "oidc" (any OpenID Connect IdP, e.g. Keycloak), ' +
                '"google", "gitlab" or "github"; put a display name in `name`',
          })
          continue
        }
        const missing = [
          ...(provider.clientid ? [] : ['clientid']),
          ...(isOidc && !provider.issuer ? ['issuer'] : []),
          ...(provider.scopes.length === 0 ? ['scopes'] : []),
        ]
        if (missing.length > 0) {
          report(path, `the provider needs ${listOf(missing)}`, {
            fix: missing.includes('clientid')
              ? 'set credentialsFile (a file with clientid and clientsecret) and the other keys'
              : `set ${missing.join(', ')}`,
          })
        }
      }
    },
  },
  {
    severity: 'error',
    summary: 'GitHub `authurl` or `tokenurl` that is not an absolute URL.',
    check(config, report) {
      const github = config.http.auth?.openid?.providers.github
      if (github === undefined) return
      for (const key of ['authurl', 'tokenurl'] as const) {
        const url = github[key]
        if (url !== undefined && !URL.canParse(url)) {
          report(childPath(entryPath('http.auth.openid.providers', 'github'), key), 'not an absolute URL', {
            value: url,
            fix: `write it with scheme and host, e.g. "https://ghe.example.com/login/oauth/${key === 'authurl' ? 'authorize' : 'access_token'}"`,
          })
        }
      }
    },
  },
  {
    severity: 'warning',
    summary: 'OpenID `clientid`/`clientsecret` written inline instead of in `credentialsFile` (deprecated by zot).',
    check(config, report) {
      for (const [name, provider] of Object.entries(config.http.auth?.openid?.providers ?? {})) {
        if (provider.credentialsFile === undefined && (provider.clientid || provider.clientsecret)) {
          report(entryPath('http.auth.openid.providers', name), 'inline clientid/clientsecret are deprecated by zot', {
            fix: 'move them to a JSON file {"clientid": ..., "clientsecret": ...} and set credentialsFile to its path',
          })
        }
      }
    },
  },
  {
    severity: 'error',
    summary:
      'Bearer with `cert` or `awsSecretsManager` but no `realm` or `service`; with both `cert` and ' +
      '`awsSecretsManager`; AWS Secrets Manager without `region` or `secretName`, with a `region` that is not a ' +
      'host-name label (`us-east-1`), a `secretName` with characters no secret name or ARN has, or a negative ' +
      '`refreshInterval`; an `upstreamTokenEndpoint` without `realm` or ' +
      '`service`, with a relative realm, or an http realm without `allowInsecureHttp`.',
    check(config, report) {
      const bearer = config.http.auth?.bearer
      if (!bearer) return
      const asm = bearer.awsSecretsManager
      if (bearer.cert || asm) {
        // Without them the 401 cannot tell clients where to get a token (zot then leaves bearer off).
        for (const key of ['realm', 'service'] as const) {
          if (!bearer[key])
            report(`http.auth.bearer.${key}`, 'bearer tokens need the token server announced in the challenge', {
              fix: `set ${key}, e.g. ${key === 'realm' ? '"https://auth.example.com/token"' : '"registry.example.com"'}`,
            })
        }
      }
      if (bearer.cert && asm) {
        report('http.auth.bearer', 'cert and awsSecretsManager both supply token keys; choose one', {
          fix: 'remove one of them',
        })
      }
      if (asm) {
        for (const key of ['region', 'secretName'] as const) {
          if (!asm[key])
            report(`http.auth.bearer.awsSecretsManager.${key}`, 'AWS Secrets Manager needs this key', {
              fix: `set ${key}`,
            })
        }
        if (asm.region && !AWS_REGION.test(asm.region)) {
          report(
            'http.auth.bearer.awsSecretsManager.region',
            `${JSON.stringify(asm.region)} is not an AWS region name`,
            {
              fix: 'use the region code of the secret, such as "us-east-1" or "eu-central-1"',
            },
          )
        }
        if (asm.secretName && !AWS_SECRET_ID.test(asm.secretName)) {
          report(
            'http.auth.bearer.awsSecretsManager.secretName',
            `${JSON.stringify(asm.secretName)} is not a secret name or ARN`,
            {
              fix: 'use the name (letters, digits and /_+=.@-, up to 512) or the ARN of the secret',
            },
          )
        }
        if (asm.refreshInterval < 0) {
          report('http.auth.bearer.awsSecretsManager.refreshInterval', 'must not be negative', {
            fix: 'use a positive duration such as "1m"',
          })
        }
      }
      checkUpstreamTokenEndpoint(bearer.upstreamTokenEndpoint, report)
    },
  },
  {
    severity: 'error',
    summary:
      'A bearer `oidc` issuer that is not an absolute http(s) URL, without audiences or with a blank one, with both ' +
      '`certificateAuthority` and `certificateAuthorityFile`, or whose `claimMapping` does not compile (a CEL ' +
      'syntax or type error, a validation without message or not of type bool, an unnamed variable, a `matches` ' +
      'pattern that is not a literal RE2 expression, or an iteration over token data inside another iteration).',
    check(config, report) {
      const issuers = config.http.auth?.bearer?.oidc ?? []
      if (issuers.length === 0) return
      // Loaded only for configs with issuers: the CEL evaluator costs tens of ms and ~0.5 MB to load.
      const { ClaimMappingError, compileClaimMapping } = require('../../auth/bearer/cel-claims') as typeof CelClaims
      for (const [index, entry] of issuers.entries()) {
        const path = itemPath('http.auth.bearer.oidc', index)
        if (!httpUrl(entry.issuer)) {
          report(`${path}.issuer`, 'must be an absolute http(s) URL', {
            value: entry.issuer,
            fix: 'write the issuer exactly as its tokens name it in `iss`, e.g. "https://kubernetes.default.svc.cluster.local"',
          })
        }
        if (entry.audiences.length === 0 || entry.audiences.some((audience) => audience.trim() === '')) {
          report(`${path}.audiences`, 'needs at least one audience, none blank (zot refuses to start otherwise)', {
            fix: 'list the audiences the tokens are issued for, e.g. ["zot"]',
          })
        }
        if (
          entry.certificateAuthority !== undefined &&
          !entry.certificateAuthority.includes('-----BEGIN CERTIFICATE-----')
        ) {
          report(`${path}.certificateAuthority`, 'holds no PEM certificate', {
            fix: 'paste the CA certificate in PEM ("-----BEGIN CERTIFICATE-----\\n..."), or use certificateAuthorityFile',
          })
        }
        if (entry.certificateAuthority !== undefined && entry.certificateAuthorityFile !== undefined) {
          report(path, 'certificateAuthority and certificateAuthorityFile are mutually exclusive', {
            fix: 'keep one of them',
          })
        }
        try {
          compileClaimMapping(entry.claimMapping)
        } catch (error) {
          if (!(error instanceof ClaimMappingError)) throw error
          report(`${path}.${error.key}`, error.message, { fix: 'correct the expression' })
        }
      }
    },
  },
  {
    severity: 'warning',
    summary: 'A bearer `upstreamTokenEndpoint` without `oidc`: only the workload token endpoint forwards to it.',
    check(config, report) {
      const bearer = config.http.auth?.bearer
      if (bearer?.upstreamTokenEndpoint && bearer.oidc.length === 0) {
        report('http.auth.bearer.upstreamTokenEndpoint', 'has no effect without oidc issuers, as in zot', {
          fix: 'remove it, or point clients at the token server directly with realm',
        })
      }
    },
  },
  {
    severity: 'error',
    summary:
      '`sessionDriver` without `name`, with a name other than `local` or `redis`, or `redis` ' +
      'together with `sessionKeysFile`.',
    check(config, report) {
      const auth = config.http.auth
      const driver = auth?.sessionDriver
      if (!driver) return
      const name = driver.name
      if (name === undefined) {
        report('http.auth.sessionDriver.name', 'the session driver needs a name', {
          fix: 'set "name": "local" or "redis"',
        })
      } else if (!SESSION_DRIVERS.includes(String(name))) {
        report('http.auth.sessionDriver.name', 'unsupported session driver', {
          value: name,
          fix: 'use "local" or "redis"',
        })
      } else if (name === 'redis' && auth.sessionKeysFile !== undefined) {
        report('http.auth.sessionKeysFile', 'session keys are not supported with the redis session driver', {
          fix: 'remove sessionKeysFile, or use the local session driver',
        })
      }
    },
  },
  {
    severity: 'error',
    summary:
      '`accessControl` without any authentication (htpasswd, LDAP, OpenID, API keys, mTLS or bearer), ' +
      'unless it only grants anonymous access.',
    check(config, report) {
      const accessControl = config.http.accessControl
      if (!accessControl || hasAuthentication(config) || onlyAnonymous(accessControl)) return
      report(
        'http.accessControl',
        'grants to users and groups need a way to log in, and no authentication is configured',
        {
          fix: 'configure http.auth (e.g. "htpasswd": {"path": ...}), or grant only anonymousPolicy',
        },
      )
    },
  },
  {
    severity: 'error',
    summary:
      'An access-control repository glob that does not compile, or a CEL `conditions[].expression` that does ' +
      'not: a syntax error, a name `req` does not have (such as `req.methd`), a result that is not a bool, a ' +
      '`matches` pattern that is not a literal RE2 expression, or an iteration over request data inside another iteration.',
    check(config, report) {
      const accessControl = config.http.accessControl
      if (!accessControl) return
      for (const glob of Object.keys(accessControl.repositories)) {
        const problem = globProblem(glob)
        if (problem)
          report(entryPath('http.accessControl.repositories', glob), `the repository glob ${problem}`, {
            fix: GLOB_FIX,
          })
      }
      checkConditions(accessControl, report)
    },
  },
]

function checkUpstreamTokenEndpoint(
  endpoint: { realm?: string; service?: string; allowInsecureHttp: boolean } | undefined,
  report: Report,
) {
  if (!endpoint) return
  const path = 'http.auth.bearer.upstreamTokenEndpoint'
  for (const key of ['realm', 'service'] as const) {
    if (!endpoint[key]) report(`${path}.${key}`, 'the upstream token endpoint needs this key', { fix: `set ${key}` })
  }
  if (!endpoint.realm) return
  const url = httpUrl(endpoint.realm)
  if (!url) report(`${path}.realm`, 'must be an absolute https URL', { value: endpoint.realm })
  else if (url.protocol === 'http:' && !endpoint.allowInsecureHttp) {
    report(`${path}.realm`, 'is plain http, which sends credentials unencrypted', {
      value: endpoint.realm,
      fix: 'use https, or set "allowInsecureHttp": true',
    })
  }
}

const CONDITION_FIX =
  'write a CEL expression of type bool over req (docs/auth.md "Conditions" lists its fields), e.g. req.method == "GET"'

/** Compiles every policy condition as `serve` will, reporting each that does not compile. */
function checkConditions(accessControl: AccessControl, report: Report) {
  const policies = [
    ...Object.values(accessControl.repositories).flatMap((group) => group.policies),
    accessControl.adminPolicy,
  ]
  if (!policies.some((policy) => policy.conditions.length > 0)) return
  // Loaded only for configs with conditions: the CEL evaluator costs tens of ms and ~0.5 MB to load.
  const { conditionKey, forEachPolicy } = require('../../auth/policy/conditions') as typeof Conditions
  const { compileCondition, ConditionError } =
    require('../../auth/policy/condition-compiler') as typeof ConditionCompiler
  forEachPolicy(accessControl, (policy, path) => {
    for (const [index, condition] of policy.conditions.entries()) {
      try {
        compileCondition(condition, conditionKey(path, index))
      } catch (error) {
        if (!(error instanceof ConditionError)) throw error
        report(error.key, error.message, { value: error.expression, fix: CONDITION_FIX })
      }
    }
  })
}

/** zot's `IsBasicAuthnEnabled`, `IsMTLSAuthEnabled` and `IsBearerAuthEnabled` together. */
function hasAuthentication(config: Config): boolean {
  const tls = config.http.tls
  // zot's IsMTLSAuthEnabled: a CA for client certificates is enough, `auth.mtls` only tunes it.
  if (tls?.cert && tls.key && tls.cacert) return true
  const auth = config.http.auth
  if (!auth) return false
  const providers = Object.keys(auth.openid?.providers ?? {})
  const bearer = auth.bearer
  return (
    Boolean(auth.htpasswd?.path) ||
    auth.ldap !== undefined ||
    providers.some((name) => OIDC_PROVIDERS.includes(name) || OAUTH2_PROVIDERS.includes(name)) ||
    auth.apikey ||
    (bearer !== undefined &&
      ((Boolean(bearer.realm && bearer.service) && Boolean(bearer.cert || bearer.awsSecretsManager)) ||
        bearer.oidc.some((issuer) => issuer.issuer !== '' && issuer.audiences.length > 0)))
  )
}

/** zot's `ContainsOnlyAnonymousPolicy` or `ContainsOnlyMetricsAnonymousPolicy`. */
function onlyAnonymous(accessControl: AccessControl): boolean {
  const admin = accessControl.adminPolicy
  if (admin.actions.length + admin.users.length > 0) return false
  const groups = Object.values(accessControl.repositories)
  const grantsToUsers = groups.some(
    (group) =>
      group.defaultPolicy.length > 0 ||
      group.policies.some((policy) => policy.actions.length + policy.users.length > 0),
  )
  if (grantsToUsers) return false
  if (groups.some((group) => group.anonymousPolicy.length > 0)) return true
  return (
    admin.groups.length === 0 &&
    groups.length === 0 &&
    Object.keys(accessControl.groups).length === 0 &&
    accessControl.metrics.anonymousPolicy.includes('read')
  )
}
