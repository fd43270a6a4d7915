/**
 * Issue 15 items 3, 5 and 6 on zot's own examples (tests/fixtures/zot-examples/README.md): every
 * configuration in zot's `examples/` folder loads with `verify-config`. Files they name that are
 * not there (zot's `test/data/` certificates and htpasswd, `/etc/zot/...`) are warnings, as on a CI
 * machine, and errors with `--strict`; accepted-but-not-implemented sections are warnings. Only
 * what `serve` could not run is refused, each for its stated reason.
 *
 * The configurations name files relative to zot's repository root, so they are verified with the
 * fixtures folder as the working directory, in-process (the directory is restored after) and, for
 * the exit codes and flags, through the `zot` command.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { verifyConfigCommand } from '../../cmd/verify-config'
import { plannedKeysInUse, type ConfigFinding } from '../../lib/config'
import { isLoginImplemented } from '../../lib/config/implementation/auth-methods'
import { inspectConfigFile } from '../../lib/config/load'
import { runToEnd, ZOT_CLI } from '../support/zot-cli'

const ROOT = fileURLToPath(new URL('../fixtures/zot-examples/', import.meta.url))

/** Files in examples/ that configurations name, not configurations themselves. */
const NAMED_FILES = [
  'examples/config-ldap-credentials.json',
  'examples/config-openid-github-credentials.json',
  'examples/config-openid-gitlab-credentials.json',
  'examples/config-openid-google-credentials.json',
  'examples/config-openid-oidc-credentials.json',
  'examples/sessionKeys.json',
  'examples/sync-auth-filepath.json',
  'examples/sync-oauth2-assertion.jwt',
  'examples/sync-oauth2-client-secret',
  'examples/sync-oauth2-signing-key.pem',
  'examples/sync-oauth2-signing.json',
]

const ALL_FILES = readdirSync(join(ROOT, 'examples'), { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
  .sort()
const CONFIGS = ALL_FILES.filter((file) => !NAMED_FILES.includes(file))

/** What `serve` cannot run, and so `verify-config` refuses: the key and why. */
const REFUSED: Record<string, { path: string; message: RegExp; unless?: () => boolean }> = {
  // No local root: zot itself stops at start ("no storage config provided").
  'examples/config-all-remote.json': { path: 'storage.rootDirectory', message: /required key is missing/ },
  // Client certificates as the only login, while mTLS is not implemented: refusing beats serving open.
  'examples/config-mtls.json': {
    path: 'http.auth.mtls',
    message: /`mtls` is not implemented yet, and no other login method is configured/,
    unless: () => isLoginImplemented('mtls'),
  },
  'examples/config-mtls-spiffe.json': {
    path: 'http.auth.mtls',
    message: /`mtls` is not implemented yet/,
    unless: () => isLoginImplemented('mtls'),
  },
  // Storage drivers this build does not have.
  'examples/config-gcs.json': { path: 'storage.storageDriver.name', message: /the gcs driver is not implemented yet/ },
  'examples/config-azure.json': {
    path: 'storage.storageDriver.name',
    message: /the azure driver is not implemented yet/,
  },
  'examples/config-bearer-oidc-workload.json': {
    path: 'http.auth.bearer.oidc',
    message: /`bearer.oidc` is not implemented yet/,
    unless: () => isLoginImplemented('bearer.oidc'),
  },
}

const workingDirectory = process.cwd()
beforeAll(() => process.chdir(ROOT))
afterAll(() => process.chdir(workingDirectory))

async function verify(file: string, strict = false): Promise<{ status: number; findings: ConfigFinding[] }> {
  const lines: string[] = []
  const status = await verifyConfigCommand(
    file,
    { json: true, strict },
    { out: (line) => lines.push(line), err: () => {} },
  )
  return { status, findings: (JSON.parse(lines.join('\n')) as { findings: ConfigFinding[] }).findings }
}

const describeAll = (findings: ConfigFinding[]) =>
  findings.map((finding) => `${finding.severity} ${finding.path}: ${finding.message}`).join('\n')
const warningAt = (findings: ConfigFinding[], path: string) =>
  findings.find((finding) => finding.severity === 'warning' && finding.path === path)

describe("zot's example configurations", () => {
  test('every configuration of zot examples/ is here, byte for byte (SHA256SUMS, taken from zot)', async () => {
    const sums = (await Bun.file(join(ROOT, 'SHA256SUMS')).text()).trim().split('\n')
    const listed = sums.map((line) => line.slice(66))
    expect(listed).toEqual(ALL_FILES)
    for (const line of sums) {
      const hash = new Bun.CryptoHasher('sha256').update(await Bun.file(join(ROOT, line.slice(66))).bytes())
      expect(`${hash.digest('hex')}  ${line.slice(66)}`).toBe(line)
    }
    expect(CONFIGS).toHaveLength(62)
    expect(CONFIGS).toContain('examples/config-example.yaml')
    expect(CONFIGS).toContain('examples/scale-out-cluster-cloud/tls/config-cluster-member2.json')
  })

  for (const file of CONFIGS) {
    const refusal = REFUSED[file]
    test(`${file} ${refusal ? 'is refused for what serve cannot run' : 'verifies'}`, async () => {
      const { status, findings } = await verify(file)
      const errors = findings.filter((finding) => finding.severity === 'error')
      if (refusal && !refusal.unless?.()) {
        expect(status).toBe(1)
        expect(errors.map((error) => error.path)).toEqual([refusal.path])
        expect(errors[0]?.message).toMatch(refusal.message)
      } else {
        expect(errors, describeAll(findings)).toEqual([])
        expect(status).toBe(0)
      }
    })
  }
})

describe('files a configuration names', () => {
  test('missing ones are warnings naming the key, the resolved path and that serve needs them', async () => {
    const { status, findings } = await verify('examples/config-example.json')
    expect(status).toBe(0)
    const missing = findings.filter((finding) => finding.message.startsWith('file not found'))
    expect(missing.map((finding) => [finding.severity, finding.path])).toEqual([
      ['warning', 'http.auth.htpasswd.path'],
      ['warning', 'http.tls.cert'],
      ['warning', 'http.tls.key'],
    ])
    expect(missing[0]?.message).toBe(
      `file not found: ${join(ROOT, 'test/data/htpasswd')} (relative paths start at the working directory ${process.cwd()})`,
    )
    expect(missing[0]?.fix).toContain('`serve` refuses to start without it')
  })

  test('--strict makes them errors, as they are for serve', async () => {
    const { status, findings } = await verify('examples/config-example.json', true)
    expect(status).toBe(1)
    expect(findings.filter((finding) => finding.severity === 'error').map((finding) => finding.path)).toEqual([
      'http.auth.htpasswd.path',
      'http.tls.cert',
      'http.tls.key',
    ])
    const { findings: loaded } = await inspectConfigFile('examples/config-example.json')
    expect(loaded.filter((finding) => finding.severity === 'error')).toHaveLength(3)
  })

  test('files that are there are read: LDAP and OpenID credentials, session keys', async () => {
    const { config: ldap } = await inspectConfigFile('examples/config-ldap.json', { missingFiles: 'warning' })
    expect(ldap?.http.auth?.ldap?.bindDN).toBe('cn=ldap-searcher,ou=Users,dc=example,dc=org')
    const { config: openid, findings } = await inspectConfigFile('examples/config-openid.json', {
      missingFiles: 'warning',
    })
    expect(Object.keys(openid?.http.auth?.openid?.providers ?? {}).sort()).toEqual([
      'github',
      'gitlab',
      'google',
      'oidc',
    ])
    expect(openid?.http.auth?.openid?.providers.oidc?.clientid).toBe('client_id')
    expect(findings.map((finding) => finding.path)).toEqual(['http.auth.htpasswd.path'])
  })

  test('a missing certDir or sync credentialsFile is a warning too', async () => {
    const sync = await verify('examples/config-sync.json')
    expect(sync.status).toBe(0)
    expect(warningAt(sync.findings, 'extensions.sync.registries[0].certDir')?.message).toBe(
      'directory not found: /home/user/certs',
    )
    const popular = await verify('examples/config-popular-registries.json')
    expect(warningAt(popular.findings, 'extensions.sync.credentialsFile')?.message).toBe(
      'file not found: /config/credentials.json',
    )
    expect((await verify('examples/config-sync.json', true)).status).toBe(1)
  })

  test('a log written to /dev/null is accepted', async () => {
    const { status, findings } = await verify('examples/config-bench.json')
    expect(findings).toEqual([])
    expect(status).toBe(0)
  })
})

describe('keys of current zot', () => {
  test('preserveDigest is accepted with a warning that digests are always kept', async () => {
    const { status, findings } = await verify('examples/config-docker-compat-sync.json')
    expect(status).toBe(0)
    const warning = warningAt(findings, 'extensions.sync.registries[0].preserveDigest')
    expect(warning?.message).toStartWith('deprecated: digests are always kept')
    expect(warning?.fix).toBe('remove preserveDigest')
  })

  test('sections accepted but not implemented are listed as warnings, exactly the planned keys set', async () => {
    let withPlanned = 0
    for (const file of CONFIGS.filter((name) => !REFUSED[name])) {
      const { config } = await inspectConfigFile(file, { missingFiles: 'warning' })
      const planned = plannedKeysInUse(config!)
      if (planned.length > 0) withPlanned++
      const { findings } = await verify(file)
      const listed = findings.filter((finding) => finding.message.startsWith('accepted but not implemented yet'))
      expect(listed.map((finding) => [finding.severity, finding.path])).toEqual(planned.map((key) => ['warning', key]))
    }
    // zot's examples exercise scheduler, cluster, search, caches...: many set something planned.
    expect(withPlanned).toBeGreaterThan(10)
  })
})

describe('through the zot command, from the fixtures folder', () => {
  const zot = (...args: string[]) => runToEnd([process.execPath, ZOT_CLI, ...args], { cwd: ROOT })

  test('warnings alone exit 0; --strict and --check-files exit 1 on missing files', async () => {
    const plain = await zot('verify', 'examples/config-tls.json')
    expect(plain.code).toBe(0)
    expect(plain.out).toContain('warning: http.tls.cert: file not found')
    expect(plain.out.trim().split('\n').at(-1)).toBe('examples/config-tls.json: valid (2 warnings)')
    for (const flag of ['--strict', '--check-files']) {
      const strict = await zot('verify-config', flag, 'examples/config-tls.json')
      expect(strict.code).toBe(1)
      expect(strict.out).toContain('error: http.tls.cert: file not found')
      expect(strict.out.trim().split('\n').at(-1)).toBe('examples/config-tls.json: invalid, 2 errors')
    }
  })
})
