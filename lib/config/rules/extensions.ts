/**
 * @module
 * Checks of `extensions` other than sync, and of `cluster` (docs/zot-compatibility.md 1.1 "extensions",
 * "cluster").
 */
import { posix } from 'node:path'
import { allStores, isRemote } from '../stores'
import type { Rule } from './rule'

const CLUSTER_HASH_KEY_LENGTH = 16

export const extensionRules: readonly Rule[] = [
  {
    severity: 'error',
    summary: 'An event sink whose address its type cannot use, or a nats sink without a channel.',
    check(config, report) {
      config.extensions?.events?.sinks.forEach((sink, index) => {
        const at = `extensions.events.sinks[${index}]`
        const scheme = /^([a-z]+):\/\//i.exec(sink.address)?.[1]?.toLowerCase()
        const schemes = sink.type === 'http' ? ['http', 'https'] : ['nats', 'tls']
        if (!scheme || !schemes.includes(scheme)) {
          report(`${at}.address`, `a ${sink.type} sink needs a ${schemes.join(':// or ')}:// URL`, {
            value: sink.address,
            fix: sink.type === 'http' ? 'e.g. "https://hooks.example.com/zot"' : 'e.g. "nats://127.0.0.1:4222"',
          })
        }
        if (sink.type === 'nats' && !sink.channel) {
          report(`${at}.channel`, 'a nats sink publishes to a subject and none is set', {
            fix: 'e.g. "channel": "zot.events"',
          })
        }
      })
    },
  },
  {
    severity: 'error',
    summary: 'The UI without the search extension.',
    check(config, report) {
      const extensions = config.extensions
      if (extensions?.ui?.enable && !extensions.search?.enable) {
        report('extensions.ui', 'the UI needs the search extension', {
          fix: 'add "search": {"enable": true} under extensions',
        })
      }
    },
  },
  {
    severity: 'error',
    summary: 'CVE scanning with remote storage.',
    check(config, report) {
      const search = config.extensions?.search
      if (search?.enable && search.cve && allStores(config).some(({ store }) => isRemote(store))) {
        report('extensions.search.cve', 'CVE scanning does not work with remote storage', {
          fix: 'remove the cve section',
        })
      }
    },
  },
  {
    severity: 'error',
    summary: 'A metrics path that is not clean, does not start with `/`, or is `/` or `/v2`.',
    check(config, report) {
      const path = config.extensions?.metrics?.prometheus.path
      if (path === undefined) return
      const metricsPath = 'extensions.metrics.prometheus.path'
      const cleaned = goCleanPath(path)
      if (!path.startsWith('/') || cleaned !== path) {
        report(metricsPath, 'must be a clean absolute path', {
          value: path,
          fix: cleaned.startsWith('/') && cleaned !== '/' ? `write "${cleaned}"` : 'use e.g. "/metrics"',
        })
      } else if (path === '/' || path === '/v2') {
        report(metricsPath, 'would hide the registry API', {
          value: path,
          fix: 'use e.g. "/metrics"',
        })
      }
    },
  },
  {
    severity: 'warning',
    summary: '`extensions.mgmt` or `extensions.apikey` present (ignored by zot).',
    check(config, report) {
      if (config.extensions?.mgmt) report('extensions.mgmt', 'ignored: search enables it', { fix: 'remove it' })
      if (config.extensions?.apikey)
        report('extensions.apikey', 'ignored: API keys are configured with http.auth.apikey', {
          fix: 'remove it and set "apikey": true under http.auth',
        })
    },
  },
  {
    severity: 'error',
    summary: 'A cluster without members, or with a `hashKey` that is not exactly 16 characters.',
    check(config, report) {
      const cluster = config.cluster
      if (!cluster) return
      if (cluster.members.length === 0)
        report('cluster.members', 'a cluster needs its members', {
          fix: 'list every replica as "host:port"',
        })
      if (cluster.hashKey.length !== CLUSTER_HASH_KEY_LENGTH) {
        report('cluster.hashKey', `must be exactly ${CLUSTER_HASH_KEY_LENGTH} characters`, {
          value: cluster.hashKey,
          fix: 'use the same 16-character key on every replica',
        })
      }
    },
  },
]

/** Go's `path.Clean`: normalized, without a trailing slash except for the root. */
function goCleanPath(path: string): string {
  const normalized = posix.normalize(path)
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized
}
