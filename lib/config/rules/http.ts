/**
 * @module
 * Checks of `http` outside authentication: the listen address, TLS files pairing, mTLS identity
 * settings and the public URL (docs/zot-compatibility.md 1.1 "mTLS").
 */
import { goRegexProblem } from '../values/go-regex'
import { httpUrl, listOf, type Rule } from './rule'

const SAN_KEYS = ['uriSanIndex', 'dnsSanIndex', 'emailSanIndex'] as const

/** `host:port` or `[v6]:port`; a bare IPv6 address (`::1`) has colons but no port. */
const ADDRESS_WITH_PORT = /^(?:\[[^\]]*\]|[^:[\]]*):(\d*)$/

export const httpRules: readonly Rule[] = [
  {
    severity: 'error',
    summary: '`http.address` with a port (`127.0.0.1:5055`) or a scheme: zot listens on `address` and `port` joined.',
    check(config, report) {
      const { address, port } = config.http
      const withPort = ADDRESS_WITH_PORT.exec(address)
      if (withPort) {
        const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1')
        report(
          'http.address',
          'holds a port: the port goes in http.port (zot joins the two, and would fail to listen)',
          {
            value: address,
            fix: `set "address": "${host}" and "port": "${withPort[1] || port}"`,
          },
        )
      } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) {
        report('http.address', 'is a URL; it must be a host name or IP address', {
          value: address,
          fix: 'write only the host, e.g. "0.0.0.0"; put the public URL in http.externalUrl',
        })
      }
    },
  },
  {
    severity: 'error',
    summary: '`http.tls` without both `cert` and `key`.',
    check(config, report) {
      const tls = config.http.tls
      if (!tls) return
      const missing = (['cert', 'key'] as const).filter((key) => !tls[key])
      if (missing.length > 0) {
        report(
          `http.tls.${missing[0]}`,
          `HTTPS needs both cert and key; ${listOf(missing)} ${missing.length > 1 ? 'are' : 'is'} missing`,
          {
            fix: 'set both to PEM files, or remove http.tls to serve plain HTTP',
          },
        )
      }
    },
  },
  {
    severity: 'error',
    summary: '`http.externalUrl` is not an absolute http(s) URL.',
    check(config, report) {
      const url = config.http.externalUrl
      if (url !== undefined && !httpUrl(url)) {
        report('http.externalUrl', 'must be an absolute http(s) URL', {
          value: url,
          fix: 'write e.g. "https://registry.example.com"',
        })
      }
    },
  },
  {
    severity: 'error',
    summary:
      '`http.auth.mtls` without `http.tls` cert, key and cacert; SAN index or `uriSanPattern` without ' +
      'the URI/URL identity attribute; a `uriSanPattern` that does not compile.',
    check(config, report) {
      const mtls = config.http.auth?.mtls
      if (!mtls) return
      const tls = config.http.tls
      if (!tls?.cert || !tls.key || !tls.cacert) {
        report('http.auth.mtls', 'client-certificate login needs TLS with a CA for client certificates', {
          fix: 'set http.tls.cert, http.tls.key and http.tls.cacert',
        })
      }
      const usesUri = mtls.identityAttributes.some((attribute) => attribute === 'URI' || attribute === 'URL')
      const needsUri = [...SAN_KEYS.filter((key) => mtls[key] !== 0), ...(mtls.uriSanPattern ? ['uriSanPattern'] : [])]
      for (const key of usesUri ? [] : needsUri) {
        report(`http.auth.mtls.${key}`, 'only applies when identityAttributes contains "URI" (or "URL")', {
          value: mtls[key as keyof typeof mtls],
          fix: 'add "URI" to identityAttributes, or remove this key',
        })
      }
      const problem = mtls.uriSanPattern ? goRegexProblem(mtls.uriSanPattern) : undefined
      if (problem)
        report('http.auth.mtls.uriSanPattern', `not a valid regular expression: ${problem}`, {
          value: mtls.uriSanPattern,
        })
    },
  },
]
