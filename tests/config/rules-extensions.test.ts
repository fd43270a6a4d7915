/**
 * @module
 * Checks of the other extensions and `cluster`, and the corrections zot makes with a warning.
 */
import { describeRuleCases, type RuleCase, s3 } from './rule-cases'

const CASES: RuleCase[] = [
  {
    title: 'UI without search',
    patch: { extensions: { ui: {} } },
    path: 'extensions.ui',
    message: 'needs the search extension',
  },
  {
    title: 'CVE scanning on S3',
    patch: { storage: { dedupe: false, storageDriver: s3 }, extensions: { search: { cve: {} } } },
    path: 'extensions.search.cve',
    message: 'does not work with remote storage',
  },
  {
    title: 'metrics path with trailing slash',
    patch: { extensions: { metrics: { prometheus: { path: '/metrics/' } } } },
    path: 'extensions.metrics.prometheus.path',
    message: 'clean absolute path',
    fix: 'write "/metrics"',
  },
  {
    title: 'metrics path over the API',
    patch: { extensions: { metrics: { prometheus: { path: '/v2' } } } },
    path: 'extensions.metrics.prometheus.path',
    message: 'would hide the registry API',
  },
  {
    title: 'mgmt extension',
    patch: { extensions: { mgmt: { enable: true } } },
    path: 'extensions.mgmt',
    message: 'ignored',
    severity: 'warning',
  },
  {
    title: 'apikey extension',
    patch: { extensions: { apikey: { enable: true } } },
    path: 'extensions.apikey',
    message: 'http.auth.apikey',
    severity: 'warning',
  },
  {
    title: 'cluster without members',
    patch: { cluster: { hashKey: 'loremipsumdolors' } },
    path: 'cluster.members',
    message: 'needs its members',
  },
  {
    title: 'short cluster key',
    patch: { cluster: { members: ['10.0.0.1:5000'], hashKey: 'short' } },
    path: 'cluster.hashKey',
    message: 'exactly 16 characters',
  },
  {
    title: 'other dist-spec version',
    patch: { distSpecVersion: '1.0.0' },
    path: 'distSpecVersion',
    message: 'the configured version is ignored',
    severity: 'warning',
  },
  {
    title: 'short CVE interval',
    patch: { extensions: { search: { cve: { updateInterval: '1h' } } } },
    path: 'extensions.search.cve.updateInterval',
    message: 'shorter than the 2h minimum',
    severity: 'warning',
  },
  {
    title: 'short scrub interval',
    patch: { extensions: { scrub: { interval: '30m' } } },
    path: 'extensions.scrub.interval',
    message: 'shorter than the 2h minimum',
    severity: 'warning',
  },
]

describeRuleCases('extension, cluster and correction rules', CASES)
