/**
 * @module
 * Checks of authentication and access control.
 */
import { describeRuleCases, type RuleCase } from './rule-cases'

/** A bearer section's challenge, so cases about other bearer keys have nothing else to report. */
const CHALLENGE = { realm: 'https://auth.example.com/token', service: 'zot' }

const CASES: RuleCase[] = [
  {
    title: 'LDAP without base DN',
    patch: { http: { auth: { ldap: { address: 'ldap', userAttribute: 'uid' } } } },
    path: 'http.auth.ldap.baseDN',
    message: 'LDAP needs this key',
  },
  {
    title: 'provider named after the IdP',
    patch: { http: { auth: { openid: { providers: { keycloak: { clientid: 'a' } } } } } },
    path: 'http.auth.openid.providers.keycloak',
    message: 'unsupported provider "keycloak"',
    fix: '"oidc" (any OpenID Connect IdP',
  },
  {
    title: 'OIDC without issuer',
    patch: (f) => ({
      http: {
        auth: {
          openid: {
            providers: { oidc: { credentialsFile: f.oidcCredentials, scopes: ['openid'] } },
          },
        },
      },
    }),
    path: 'http.auth.openid.providers.oidc',
    message: 'the provider needs `issuer`',
  },
  {
    title: 'GitHub without scopes',
    patch: (f) => ({
      http: { auth: { openid: { providers: { github: { credentialsFile: f.oidcCredentials } } } } },
    }),
    path: 'http.auth.openid.providers.github',
    message: 'the provider needs `scopes`',
  },
  {
    title: 'inline OpenID secret',
    patch: {
      http: {
        auth: {
          openid: { providers: { github: { clientid: 'a', clientsecret: 'b', scopes: ['user'] } } },
        },
      },
    },
    path: 'http.auth.openid.providers.github',
    message: 'deprecated by zot',
    severity: 'warning',
  },
  {
    title: 'bearer with two key sources',
    patch: (f) => ({
      http: {
        auth: {
          bearer: {
            realm: 'https://auth',
            service: 'zot',
            cert: f.cert,
            awsSecretsManager: { region: 'eu-west-1', secretName: 'keys' },
          },
        },
      },
    }),
    path: 'http.auth.bearer',
    message: 'choose one',
  },
  {
    title: 'secrets manager without secret',
    patch: { http: { auth: { apikey: true, bearer: { ...CHALLENGE, awsSecretsManager: { region: 'eu-west-1' } } } } },
    path: 'http.auth.bearer.awsSecretsManager.secretName',
    message: 'needs this key',
  },
  {
    title: 'secrets manager region that cannot be part of a host name',
    patch: {
      http: { auth: { bearer: { ...CHALLENGE, awsSecretsManager: { region: 'us east 1', secretName: 'keys' } } } },
    },
    path: 'http.auth.bearer.awsSecretsManager.region',
    message: 'is not an AWS region name',
    fix: '"us-east-1"',
  },
  {
    title: 'secrets manager secret name with characters AWS refuses',
    patch: {
      http: { auth: { bearer: { ...CHALLENGE, awsSecretsManager: { region: 'us-east-1', secretName: 'zot keys!' } } } },
    },
    path: 'http.auth.bearer.awsSecretsManager.secretName',
    message: 'is not a secret name or ARN',
    fix: 'or the ARN',
  },
  {
    title: 'bearer cert without a realm',
    patch: (f) => ({ http: { auth: { bearer: { service: 'zot', cert: f.cert } } } }),
    path: 'http.auth.bearer.realm',
    message: 'need the token server announced in the challenge',
  },
  {
    title: 'negative refresh',
    patch: {
      http: {
        auth: {
          apikey: true,
          bearer: { ...CHALLENGE, awsSecretsManager: { region: 'r', secretName: 's', refreshInterval: '-1m' } },
        },
      },
    },
    path: 'http.auth.bearer.awsSecretsManager.refreshInterval',
    message: 'must not be negative',
  },
  {
    title: 'token endpoint without service',
    patch: {
      http: { auth: { bearer: { upstreamTokenEndpoint: { realm: 'https://auth/token' } } } },
    },
    path: 'http.auth.bearer.upstreamTokenEndpoint.service',
    message: 'needs this key',
  },
  {
    title: 'plain-http token endpoint',
    patch: {
      http: {
        auth: { bearer: { upstreamTokenEndpoint: { realm: 'http://auth/token', service: 'zot' } } },
      },
    },
    path: 'http.auth.bearer.upstreamTokenEndpoint.realm',
    message: 'plain http',
    fix: 'allowInsecureHttp',
  },
  {
    title: 'session driver without name',
    patch: { http: { auth: { sessionDriver: { url: 'redis://r' } } } },
    path: 'http.auth.sessionDriver.name',
    message: 'needs a name',
  },
  {
    title: 'unknown session driver',
    patch: { http: { auth: { sessionDriver: { name: 'memcached' } } } },
    path: 'http.auth.sessionDriver.name',
    message: 'unsupported session driver',
  },
  {
    title: 'redis sessions with session keys',
    patch: (f) => ({
      http: { auth: { sessionKeysFile: f.sessionKeys, sessionDriver: { name: 'redis' } } },
    }),
    path: 'http.auth.sessionKeysFile',
    message: 'not supported with the redis session driver',
  },
  {
    title: 'access control without login',
    patch: {
      http: {
        accessControl: {
          repositories: { '**': { policies: [{ users: ['admin'], actions: ['read'] }] } },
        },
      },
    },
    path: 'http.accessControl',
    message: 'no authentication is configured',
  },
  {
    title: 'access-control glob',
    patch: (f) => ({
      http: {
        auth: { htpasswd: { path: f.htpasswd } },
        accessControl: { repositories: { 'team/{a,b': { anonymousPolicy: ['read'] } } },
      },
    }),
    path: 'http.accessControl.repositories["team/{a,b"]',
    message: 'without a closing `}`',
  },
  {
    title: 'CEL condition',
    patch: (f) => ({
      http: {
        auth: { htpasswd: { path: f.htpasswd } },
        accessControl: {
          repositories: {
            '**': {
              policies: [
                {
                  users: ['a'],
                  actions: ['read'],
                  conditions: [{ expression: 'req.method == "GET"' }, { expression: '(req.tls.enabled' }],
                },
              ],
            },
          },
        },
      },
    }),
    path: 'http.accessControl.repositories["**"].policies[0].conditions[1].expression',
    message: 'not a valid CEL expression',
  },
]

describeRuleCases('authentication and access-control rules', CASES)
