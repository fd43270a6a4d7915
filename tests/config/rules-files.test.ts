/**
 * @module
 * Files a config names: they must exist, and secret files are read strictly.
 */
import { merge } from './helpers'
import { describeRuleCases, type RuleCase, registry } from './rule-cases'

const CASES: RuleCase[] = [
  {
    title: 'missing htpasswd file',
    patch: (f) => ({ http: { auth: { htpasswd: { path: `${f.dir}/nope` } } } }),
    path: 'http.auth.htpasswd.path',
    message: 'file not found',
  },
  {
    title: 'missing htpasswd file at a relative path',
    patch: { http: { auth: { htpasswd: { path: 'no/such/htpasswd' } } } },
    path: 'http.auth.htpasswd.path',
    message: `file not found: ${process.cwd()}/no/such/htpasswd (relative paths start at the working directory`,
  },
  {
    title: 'htpasswd path is a directory',
    patch: (f) => ({ http: { auth: { htpasswd: { path: f.aDirectory } } } }),
    path: 'http.auth.htpasswd.path',
    message: 'is a directory',
  },
  {
    title: 'missing TLS certificate',
    patch: (f) => ({ http: { tls: { cert: `${f.dir}/missing.crt`, key: f.key } } }),
    path: 'http.tls.cert',
    message: 'file not found',
  },
  {
    title: 'OpenID credentials without secret',
    patch: (f) => ({
      http: {
        auth: {
          openid: {
            providers: {
              github: {
                credentialsFile: f.write('id-only.json', '{"clientid": "x"}'),
                scopes: ['user'],
              },
            },
          },
        },
      },
    }),
    path: 'http.auth.openid.providers.github.credentialsFile',
    message: /in .*id-only.json: clientsecret: required key is missing/,
  },
  {
    title: 'OpenID credentials with a typo',
    patch: (f) => ({
      http: {
        auth: {
          openid: {
            providers: {
              github: {
                credentialsFile: f.write('typo.json', '{"clientid": "x", "clientsecret": "y", "clientsecrett": "z"}'),
                scopes: ['user'],
              },
            },
          },
        },
      },
    }),
    path: 'http.auth.openid.providers.github.credentialsFile',
    message: 'did you mean `clientsecret`?',
  },
  {
    title: 'LDAP credentials incomplete',
    patch: (f) => ({
      http: {
        auth: {
          ldap: {
            address: 'l',
            baseDN: 'b',
            userAttribute: 'uid',
            credentialsFile: f.write('ldap-dn-only.json', '{"bindDN": "cn=x"}'),
          },
        },
      },
    }),
    path: 'http.auth.ldap.credentialsFile',
    message: 'bindPassword: required key is missing',
  },
  {
    title: 'empty session keys',
    patch: (f) => ({
      http: { auth: { sessionKeysFile: f.write('empty-keys.json', '{"hashKey": ""}') } },
    }),
    path: 'http.auth.sessionKeysFile',
    message: 'neither hashKey nor encryptKey',
  },
  {
    title: 'sync credentials keyed by URL',
    patch: (f) =>
      merge(registry({}), {
        extensions: {
          sync: {
            credentialsFile: f.write('by-url.json', '{"https://ghcr.io": {"username": "u", "password": "p"}}'),
          },
        },
      }),
    path: 'extensions.sync.credentialsFile',
    message: 'is not a host',
    fix: 'write "ghcr.io"',
  },
  {
    title: 'sync credentials not JSON',
    patch: (f) =>
      merge(registry({}), {
        extensions: {
          sync: { credentialsFile: f.write('broken.json', '{"ghcr.io": {"username": "u",}}') },
        },
      }),
    path: 'extensions.sync.credentialsFile',
    message: /JSON syntax error at line 1, column 30/,
  },
]

describeRuleCases('referenced files', CASES)
