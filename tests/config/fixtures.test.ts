/**
 * @module
 * Every real-world config in tests/fixtures/configs: the valid ones verify once the files
 * they name exist (copied from files/ into a temp folder), the invalid one is refused with a
 * message that explains zot's credentialsFile.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { verifyConfigCommand } from '../../cmd/verify-config'
import { inspectConfigFile } from '../../lib/config/load'
import { describeFindings, errorsOf, FIXTURES, makeTempFiles, type Json, type TempFiles } from './helpers'

const fixturesDir = fileURLToPath(FIXTURES)
const fixtureNames = readdirSync(fixturesDir).filter((name) => name.endsWith('.json'))
const temp = makeTempFiles()
afterAll(() => temp.remove())

/** Points every file a config names at a local copy, keyed by what the key is. */
function localize(value: Json, files: TempFiles, parents: string[] = []): Json {
  if (Array.isArray(value)) return value.map((item) => localize(item, files, parents))
  if (value === null || typeof value !== 'object') return value
  const result: { [key: string]: Json } = {}
  for (const [key, item] of Object.entries(value)) {
    const replacement = typeof item === 'string' ? localFileFor([...parents, key.toLowerCase()], files) : undefined
    result[key] = replacement ?? localize(item, files, [...parents, key.toLowerCase()])
  }
  return result
}

function localFileFor(keys: string[], files: TempFiles): string | undefined {
  const [parent, key] = keys.slice(-2)
  if (parent === 'htpasswd' && key === 'path') {
    const copy = join(files.dir, 'htpasswd.example')
    copyFileSync(join(fixturesDir, 'files', 'htpasswd.example'), copy)
    return copy
  }
  if (key === 'credentialsfile' && keys.includes('providers')) {
    const copy = join(files.dir, 'oidc-credentials.json')
    copyFileSync(join(fixturesDir, 'files', 'oidc-credentials.json'), copy)
    return copy
  }
  if (key === 'credentialsfile' && keys.includes('ldap')) return files.ldapCredentials
  if (key === 'credentialsfile' && keys.includes('sync')) return files.syncCredentials
  if (parent === 'log' && (key === 'output' || key === 'audit')) return join(files.dir, `${key}.log`)
  if (parent === 'tls') return { cert: files.cert, key: files.key, cacert: files.ca }[key ?? '']
  return undefined
}

async function localizedCopy(name: string): Promise<string> {
  const original = (await Bun.file(join(fixturesDir, name)).json()) as Json
  const copy = join(temp.dir, name)
  writeFileSync(copy, JSON.stringify(localize(original, temp), null, 2))
  return copy
}

describe('real-world configs', () => {
  test('the fixtures folder is where the tests expect it', () => {
    expect(fixtureNames).toContain('minimal.json')
    expect(fixtureNames.length).toBeGreaterThanOrEqual(12)
  })

  for (const name of fixtureNames.filter((file) => !file.startsWith('invalid-'))) {
    test(`${name} verifies`, async () => {
      const path = await localizedCopy(name)
      const { config, findings } = await inspectConfigFile(path)
      expect(errorsOf(findings), describeFindings(findings)).toEqual([])
      expect(config?.storage.rootDirectory).toBeTruthy()
      const lines: string[] = []
      const status = await verifyConfigCommand(
        path,
        { json: false, strict: false },
        { out: (line) => lines.push(line), err: (line) => lines.push(line) },
      )
      expect(status).toBe(0)
      expect(lines.at(-1)).toStartWith(`${path}: valid`)
    })
  }

  test('invalid-replica-inline-credentials.json is refused: zot has no inline credentials', async () => {
    const { findings } = await inspectConfigFile(join(fixturesDir, 'invalid-replica-inline-credentials.json'))
    const errors = errorsOf(findings)
    expect(errors).toHaveLength(1)
    const [error] = errors
    expect(error?.path).toBe('extensions.sync.registries[0].credentials')
    expect(error?.message).toContain('zot has no inline `credentials`')
    expect(error?.message).toContain('credentialsFile')
    expect(error?.message).toContain('keyed by registry host')
    expect(error?.fix).toContain('"zot-us-east.example.com": {"username"')
    expect(error?.value).toEqual({ username: 'sync-user', password: '***' })
  })

  test('without the secret files and log directories, configs that name them are refused for that reason', async () => {
    const { findings } = await inspectConfigFile(join(fixturesDir, 'handbook-full.json'))
    expect(errorsOf(findings).map((finding) => finding.path)).toEqual([
      'http.auth.htpasswd.path',
      'http.tls.cert',
      'http.tls.key',
      'log.output',
      'log.audit',
    ])
    expect(errorsOf(findings)[0]?.message).toBe('file not found: /etc/zot/htpasswd')
  })

  test('credentials from an OpenID credentialsFile end up in the config', async () => {
    const { config } = await inspectConfigFile(await localizedCopy('homelab-s3-htpasswd-oidc.json'))
    expect(config?.http.auth?.openid?.providers.oidc?.clientid).toBe('YOUR_CLIENT_ID')
    expect(config?.http.auth?.openid?.providers.oidc?.clientsecret).toBe('YOUR_CLIENT_SECRET')
    expect(config?.http.auth?.apikey).toBe(true)
  })

  test('fixture values decode to the documented types and defaults', async () => {
    const { config, findings } = await inspectConfigFile(await localizedCopy('handbook-full.json'))
    expect(findings.map((finding) => finding.path)).toEqual(['distSpecVersion'])
    expect(config?.distSpecVersion).toBe('1.1.1')
    expect(config?.http.port).toBe(5000)
    expect(config?.storage.gcInterval).toBe(6 * 3_600_000)
    expect(config?.storage.subPaths?.['/production']?.gc).toBe(false)
    expect(config?.extensions?.search?.cve?.trivy.dbRepository).toBe('ghcr.io/aquasecurity/trivy-db')
    expect(config?.extensions?.sync?.registries[0]?.retryDelay).toBe(5 * 60_000)
    expect(config?.extensions?.scrub?.interval).toBe(24 * 3_600_000)
    expect(Object.keys(config?.http.accessControl?.repositories ?? {})).toEqual(['**', 'production/**'])
  })
})
