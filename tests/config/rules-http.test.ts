/**
 * @module
 * Checks of `http`: the listen address, TLS files, mTLS settings, the public URL; authentication
 * only through methods not implemented yet.
 */
import { describeRuleCases, type RuleCase, tlsFiles } from './rule-cases'

const CASES: RuleCase[] = [
  {
    title: 'TLS without key',
    patch: (f) => ({ http: { tls: { cert: f.cert } } }),
    path: 'http.tls.key',
    message: 'HTTPS needs both cert and key',
  },
  {
    title: 'relative external URL',
    patch: { http: { externalUrl: 'zot.example.com' } },
    path: 'http.externalUrl',
    message: 'absolute http(s) URL',
  },
  {
    title: 'mTLS without TLS',
    patch: { http: { auth: { apikey: true, mtls: {} } } },
    path: 'http.auth.mtls',
    message: 'needs TLS with a CA',
  },
  {
    title: 'SAN index without URI',
    patch: (f) => ({ http: { tls: tlsFiles(f), auth: { apikey: true, mtls: { uriSanIndex: 1 } } } }),
    path: 'http.auth.mtls.uriSanIndex',
    message: 'contains "URI"',
  },
  {
    title: 'bad URI SAN pattern',
    patch: (f) => ({
      http: {
        tls: tlsFiles(f),
        auth: { apikey: true, mtls: { identityAttributes: ['URI'], uriSanPattern: 'spiffe://(.*' } },
      },
    }),
    path: 'http.auth.mtls.uriSanPattern',
    message: 'not a valid regular expression',
  },
]

describeRuleCases('http rules', CASES)
