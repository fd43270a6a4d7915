/**
 * @module
 * Shared helpers of the config tests: the fixtures folder, a temp folder with the secret
 * and TLS files configs name, and a way to inspect a config given as an object.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ConfigFinding } from '../../lib/config'
import { inspectConfigText } from '../../lib/config/load'

/** Real users' configs, kept in the repository (tests/fixtures/configs/README.md). */
export const FIXTURES = new URL('../fixtures/configs/', import.meta.url)

export interface TempFiles {
  dir: string
  htpasswd: string
  cert: string
  key: string
  ca: string
  oidcCredentials: string
  ldapCredentials: string
  sessionKeys: string
  syncCredentials: string
  aDirectory: string
  /** Writes an extra file into the temp folder and returns its path. */
  write: (name: string, content: string) => string
  remove: () => void
}

export function makeTempFiles(): TempFiles {
  const dir = mkdtempSync(join(tmpdir(), 'zot-config-test-'))
  const write = (name: string, content: string) => {
    const path = join(dir, name)
    writeFileSync(path, content)
    return path
  }
  const aDirectory = join(dir, 'a-directory')
  mkdirSync(aDirectory)
  return {
    dir,
    htpasswd: write('htpasswd', 'user:$2y$05$WczL5wFA9Ux3QmHOp6K7q.cJ5QbVb0ZJCq9yVfHfQy9hKx5Ww1c8e\n'),
    cert: write('server.crt', '-----BEGIN CERTIFICATE-----\n'),
    key: write('server.key', '-----BEGIN PRIVATE KEY-----\n'),
    ca: write('ca.crt', '-----BEGIN CERTIFICATE-----\n'),
    oidcCredentials: write('oidc.json', JSON.stringify({ clientid: 'id', clientsecret: 'secret' })),
    ldapCredentials: write('ldap.json', JSON.stringify({ bindDN: 'cn=zot', bindPassword: 'pw' })),
    sessionKeys: write('session-keys.json', JSON.stringify({ hashKey: 'h'.repeat(32) })),
    syncCredentials: write('sync.json', JSON.stringify({ 'ghcr.io': { username: 'u', password: 'p' } })),
    aDirectory,
    write,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

export type Json = null | boolean | number | string | undefined | Json[] | { [key: string]: Json }

/** Deep-merges `patch` into `base`: objects merge, anything else replaces; `undefined` removes. */
export function merge(base: Json, patch: Json): Json {
  if (!isObject(base) || !isObject(patch)) return patch
  const result: { [key: string]: Json } = { ...base }
  for (const [key, value] of Object.entries(patch)) result[key] = merge(base[key], value)
  return result
}

function isObject(value: Json): value is { [key: string]: Json } {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export const BASE_CONFIG: Json = {
  storage: { rootDirectory: '/tmp/zot-config-test-root' },
  http: { address: '127.0.0.1', port: 5000 },
}

export async function inspect(config: Json) {
  return inspectConfigText(JSON.stringify(config), 'json')
}

/** What the loader finds in the base config changed by `patch`. */
export const inspectPatched = (patch: Json) => inspect(merge(BASE_CONFIG, patch))

export function errorsOf(findings: ConfigFinding[]): ConfigFinding[] {
  return findings.filter((finding) => finding.severity === 'error')
}

export function warningsOf(findings: ConfigFinding[]): ConfigFinding[] {
  return findings.filter((finding) => finding.severity === 'warning')
}

/** Readable dump for assertion messages. */
export function describeFindings(findings: ConfigFinding[]): string {
  return findings.map((finding) => `${finding.severity} ${finding.path}: ${finding.message}`).join('\n')
}
