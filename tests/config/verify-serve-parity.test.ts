/**
 * @module
 * Issue 15 items 3, 5 and 6: what `serve` refuses `verify-config` refuses (one loader, one set of
 * rules), except files the config names that are missing here, which `verify-config` only warns
 * about unless `--strict`; keys of current zot load; planned sections are listed.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { verifyConfigCommand } from '../../cmd/verify-config'
import { plannedKeysInUse } from '../../lib/config'
import { isLoginImplemented } from '../../lib/config/implementation/auth-methods'
import { inspectConfigText } from '../../lib/config/load'
import { runZot } from '../support/zot-cli'
import {
  BASE_CONFIG,
  describeFindings,
  errorsOf,
  inspect,
  inspectPatched,
  makeTempFiles,
  merge,
  warningsOf,
  type Json,
} from './helpers'
import { tlsFiles } from './rule-cases'

const files = makeTempFiles()
afterAll(() => files.remove())

const inspectForVerify = (config: Json) =>
  inspectConfigText(JSON.stringify(config), 'json', { missingFiles: 'warning' })

async function verify(config: Json, strict = false) {
  const path = files.write(`verify-${Bun.hash(JSON.stringify([config, strict]))}.json`, JSON.stringify(config))
  const out: string[] = []
  const status = await verifyConfigCommand(
    path,
    { json: false, strict },
    { out: (line) => out.push(line), err: () => {} },
  )
  return { status, out }
}

describe('the listen address', () => {
  const cases: [string, string][] = [
    ['127.0.0.1:5055', 'set "address": "127.0.0.1" and "port": "5055"'],
    ['[::1]:5000', 'set "address": "::1" and "port": "5000"'],
    ['0.0.0.0:', 'set "address": "0.0.0.0" and "port": "5000"'],
  ]
  for (const [address, fix] of cases) {
    test(`"${address}" holds a port and is refused with the fix`, async () => {
      const { findings } = await inspectPatched({ http: { address } })
      const [error, ...others] = errorsOf(findings)
      expect(others).toEqual([])
      expect(error).toMatchObject({ path: 'http.address', value: address, fix })
      expect(error?.message).toStartWith('holds a port')
    })
  }

  test('a URL is refused; host names and IPv6 addresses are fine', async () => {
    const { findings } = await inspectPatched({ http: { address: 'http://0.0.0.0' } })
    expect(errorsOf(findings).map((finding) => finding.message)).toEqual([
      'is a URL; it must be a host name or IP address',
    ])
    for (const address of ['::1', '::', 'fe80::1', 'registry.local', '0.0.0.0', '[::1]']) {
      const accepted = await inspectPatched({ http: { address } })
      expect(errorsOf(accepted.findings), address).toEqual([])
    }
  })
})

describe('authentication only through methods not implemented yet', () => {
  const only: [name: string, auth: (f: ReturnType<typeof makeTempFiles>) => Json][] = [
    ['mtls', () => ({ mtls: {} })],
    ['bearer.oidc', () => ({ bearer: { oidc: [{ issuer: 'https://issuer.test', audiences: ['zot'] }] } })],
    ['bearer.awsSecretsManager', () => ({ bearer: { awsSecretsManager: { region: 'r', secretName: 's' } } })],
    ['ldap', () => ({ ldap: { address: 'ldap.test', baseDN: 'dc=test', userAttribute: 'uid' } })],
  ]
  for (const [name, auth] of only) {
    test(`${name}: refused exactly while the schema says it is planned`, async () => {
      const tls = name === 'mtls' ? { tls: tlsFiles(files) } : {}
      const { findings } = await inspectPatched({ http: { ...tls, auth: auth(files) } })
      const refusals = errorsOf(findings).filter((finding) => finding.message.includes('is not implemented yet'))
      if (isLoginImplemented(name)) {
        expect(refusals).toEqual([])
      } else {
        expect(refusals).toHaveLength(1)
        expect(refusals[0]?.path).toBe(`http.auth.${name}`)
        expect(refusals[0]?.message).toBe(
          `\`${name}\` is not implemented yet, and no other login method is configured: nobody could log in, ` +
            'so zot-bun refuses to run instead of serving without authentication',
        )
        expect(refusals[0]?.fix).toContain('htpasswd')
      }
    })
  }

  test('a planned method next to one that works is not refused', async () => {
    const auth = { htpasswd: { path: files.htpasswd }, mtls: {} }
    const tls = tlsFiles(files)
    const { findings } = await inspectPatched({ http: { tls, auth } })
    expect(errorsOf(findings), describeFindings(findings)).toEqual([])
  })
})

describe('files a config names', () => {
  const missing = `${files.dir}/absent`

  test('missing: an error for serve (the default), a warning for verify-config, and nothing echoes it', async () => {
    const config = merge(BASE_CONFIG, {
      http: {
        tls: { cert: `${missing}.crt`, key: files.key },
        auth: {
          htpasswd: { path: `${missing}.htpasswd` },
          sessionKeysFile: `${missing}-keys.json`,
          openid: {
            providers: {
              oidc: { credentialsFile: `${missing}-oidc.json`, issuer: 'https://id.test', scopes: ['openid'] },
            },
          },
          ldap: { credentialsFile: `${missing}-ldap.json`, address: 'l', baseDN: 'b', userAttribute: 'uid' },
        },
      },
      extensions: {
        sync: {
          credentialsFile: `${missing}-sync.json`,
          registries: [{ urls: ['https://ghcr.io'], onDemand: true, certDir: `${missing}-certs` }],
        },
      },
    })
    const paths = [
      'http.auth.htpasswd.path',
      'http.tls.cert',
      'http.auth.ldap.credentialsFile',
      'http.auth.openid.providers.oidc.credentialsFile',
      'http.auth.sessionKeysFile',
      'extensions.sync.credentialsFile',
      'extensions.sync.registries[0].certDir',
    ]
    const forServe = await inspect(config)
    expect(errorsOf(forServe.findings).map((finding) => finding.path)).toEqual(paths)
    const forVerify = await inspectForVerify(config)
    expect(errorsOf(forVerify.findings), describeFindings(forVerify.findings)).toEqual([])
    const warned = warningsOf(forVerify.findings).filter((finding) => paths.includes(finding.path))
    expect(warned.map((finding) => finding.path)).toEqual(paths)
    expect(warned[0]?.fix).toBe(
      'create the file, or correct the path; `serve` refuses to start without it (`verify-config --strict` checks it as an error)',
    )
  })

  test('present but wrong is an error for verify-config too', async () => {
    const config = merge(BASE_CONFIG, { http: { auth: { htpasswd: { path: files.aDirectory } } } })
    const { findings } = await inspectForVerify(config)
    expect(errorsOf(findings).map((finding) => finding.message)).toEqual([
      `${files.aDirectory} is a directory, not a file`,
    ])
  })

  test('a log file in a missing directory is refused by verify-config as by serve', async () => {
    const config = merge(BASE_CONFIG, { log: { audit: `${missing}/audit.log` } })
    const { findings } = await inspectForVerify(config)
    expect(errorsOf(findings)).toMatchObject([{ path: 'log.audit', message: `directory not found: ${missing}` }])
    expect((await verify(config)).status).toBe(1)
  })

  test('verify-config: warnings alone exit 0, --strict exits 1', async () => {
    const config = merge(BASE_CONFIG, { http: { auth: { htpasswd: { path: `${missing}.htpasswd` } } } })
    const plain = await verify(config)
    expect(plain.status).toBe(0)
    expect(plain.out[0]).toBe(`warning: http.auth.htpasswd.path: file not found: ${missing}.htpasswd`)
    expect(plain.out.at(-1)).toEndWith(': valid (1 warning)')
    const strict = await verify(config, true)
    expect(strict.status).toBe(1)
    expect(strict.out[0]).toBe(`error: http.auth.htpasswd.path: file not found: ${missing}.htpasswd`)
    expect(strict.out.at(-1)).toEndWith(': invalid, 1 error')
  })
})

describe('keys of current zot', () => {
  test('events source and typePrefix, sync platforms: accepted; what is not implemented is listed', async () => {
    const config = merge(BASE_CONFIG, {
      extensions: {
        events: {
          source: 'registry.example.com',
          typePrefix: 'com.example.registry',
          sinks: [{ type: 'http', address: 'https://hooks.test', source: 's', typePrefix: 't' }],
        },
        sync: {
          registries: [
            { urls: ['https://ghcr.io'], onDemand: true, platforms: ['linux/amd64', 'arm64'], disableHTTP2: true },
          ],
        },
      },
    })
    const { config: decoded, findings } = await inspect(config)
    expect(errorsOf(findings), describeFindings(findings)).toEqual([])
    expect(decoded?.extensions?.events?.sinks[0]?.typePrefix).toBe('t')
    // Events (with source and typePrefix) and sync's platform filter are implemented; disableHTTP2 is not.
    const planned = plannedKeysInUse(decoded!)
    expect(planned).toEqual(['extensions.sync.registries[0].disableHTTP2'])
    const { status, out } = await verify(config)
    expect(status).toBe(0)
    const listed = out.filter((line) =>
      line.endsWith(': accepted but not implemented yet: it has no effect in this version'),
    )
    expect(listed).toEqual(
      planned.map((key) => `warning: ${key}: accepted but not implemented yet: it has no effect in this version`),
    )
  })

  test('preserveDigest is accepted without http.compat, with a warning that digests are always kept', async () => {
    const config = merge(BASE_CONFIG, {
      extensions: { sync: { registries: [{ urls: ['https://ghcr.io'], onDemand: true, preserveDigest: true }] } },
    })
    const { findings } = await inspect(config)
    expect(errorsOf(findings)).toEqual([])
    expect(warningsOf(findings)).toMatchObject([
      { path: 'extensions.sync.registries[0].preserveDigest', fix: 'remove preserveDigest', value: true },
    ])
    expect(warningsOf(findings)[0]?.message).toContain('digests are always kept')
  })

  test('typos stay refused with a suggestion', async () => {
    const config = merge(BASE_CONFIG, {
      extensions: { sync: { registries: [{ urls: ['https://ghcr.io'], onDemand: true, platfroms: ['linux/amd64'] }] } },
    })
    const [error] = errorsOf((await inspect(config)).findings)
    expect(error).toMatchObject({
      path: 'extensions.sync.registries[0].platfroms',
      message: 'unknown key; did you mean `platforms`?',
    })
  })
})

describe('serve refuses what verify-config refuses, through the same loader', () => {
  test('a port inside http.address stops both, naming the key and the fix', async () => {
    const path = files.write(
      'address-port.json',
      JSON.stringify(merge(BASE_CONFIG, { http: { address: '127.0.0.1:5055' } })),
    )
    const verifyRun = await runZot('verify-config', path)
    expect(verifyRun.code).toBe(1)
    expect(verifyRun.out).toContain('error: http.address: holds a port')
    const serveRun = await runZot('serve', path)
    expect(serveRun.code).toBe(1)
    expect(serveRun.err).toContain('http.address: holds a port')
    expect(serveRun.err).toContain('invalid configuration, not running serve')
  })
})
