/**
 * @module
 * The attack suite's target: our registry served as a child process (support/server), with
 * htpasswd users, API keys and whatever access control and extensions a test adds, plus the
 * helpers attacks need: credentials, key minting, a blob/manifest push over HTTP, and a timed
 * `/livez` probe that tells whether the event loop stayed free.
 */
import { afterAll } from 'bun:test'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { mergeConfig, startRegistry, type RunningRegistry } from '../support/server'
import { tempDirectory } from '../support/temp'

export const PASSWORD_SUFFIX = '-pw'

export interface SecurityTarget extends RunningRegistry {
  htpasswdPath: string
  /** `Authorization: Basic` for `user:password` (default password: `<user>-pw`). */
  basic(user: string, password?: string): Record<string, string>
  /** Mints an API key for the user (logged in with their password). */
  createKey(user: string, scopes?: string[]): Promise<string>
  /** `fetch(url + path)` with the given headers merged in. */
  request(path: string, init?: RequestInit): Promise<Response>
}

export interface SecurityTargetOptions {
  /** htpasswd users, each with password `<name>-pw`; default alice, bob. */
  users?: string[]
  /** Their bcrypt cost; default 4. Attacks on hashing need a real one (htpasswd -B uses 5). */
  bcryptCost?: number
  /** Merged into the generated config (`http.accessControl`, `extensions`, `log`...). */
  config?: Record<string, unknown>
  env?: Record<string, string>
  binary?: string
}

/** Writes an htpasswd file (bcrypt cost 4 unless given: most tests need no real work factor). */
export async function writeHtpasswd(path: string, users: string[], cost = 4): Promise<void> {
  const lines = await Promise.all(
    users.map(async (name) => {
      const hash = await Bun.password.hash(`${name}${PASSWORD_SUFFIX}`, { algorithm: 'bcrypt', cost })
      return `${name}:${hash}`
    }),
  )
  await writeFile(path, `${lines.join('\n')}\n`)
}

const basic = (user: string, password = `${user}${PASSWORD_SUFFIX}`): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
})

/** Starts the registry with htpasswd + API keys and stops it when the test file ends. */
export async function startSecurityTarget(options: SecurityTargetOptions = {}): Promise<SecurityTarget> {
  const directory = await tempDirectory('security')
  const htpasswdPath = join(directory, 'htpasswd')
  await writeHtpasswd(htpasswdPath, options.users ?? ['alice', 'bob'], options.bcryptCost)
  const config = mergeConfig(
    { http: { auth: { htpasswd: { path: htpasswdPath }, apikey: true } }, log: { level: 'warn' } },
    options.config ?? {},
  )
  const registry = await startRegistry({
    config,
    ...(options.env && { env: options.env }),
    ...(options.binary && { binary: options.binary }),
  })
  afterAll(() => registry.stop())
  const request = (path: string, init: RequestInit = {}) => fetch(`${registry.url}${path}`, init)
  return {
    ...registry,
    htpasswdPath,
    basic,
    request,
    async createKey(user, scopes) {
      const response = await request('/zot/auth/apikey', {
        method: 'POST',
        headers: { ...basic(user), 'Content-Type': 'application/json' },
        body: JSON.stringify({ label: 'attack', ...(scopes && { scopes }) }),
      })
      if (response.status !== 201) throw new Error(`key creation failed: ${response.status} ${await response.text()}`)
      return ((await response.json()) as { apiKey: string }).apiKey
    },
  }
}

/**
 * Runs `attack` while timing `/livez` every `everyMs`, and returns the slowest answer in ms: a
 * blocked event loop shows here, whatever the attack's own requests do.
 */
export async function worstLivezDuring(url: string, attack: () => Promise<unknown>, everyMs = 20): Promise<number> {
  let worst = 0
  let running = true
  const probe = (async () => {
    while (running) {
      const started = performance.now()
      await fetch(`${url}/livez`).then((response) => response.arrayBuffer())
      worst = Math.max(worst, performance.now() - started)
      await Bun.sleep(everyMs)
    }
  })()
  try {
    await attack()
  } finally {
    running = false
    await probe
  }
  return worst
}

/** Pushes a small image (one layer, one config) over HTTP and returns the manifest and digest. */
export async function pushSmallImage(
  target: Pick<SecurityTarget, 'request'>,
  headers: Record<string, string>,
  repository: string,
  reference: string,
  seed = crypto.randomUUID(),
): Promise<{ status: number; manifest: string; digest: string }> {
  const layer = new TextEncoder().encode(`layer ${seed}`)
  const config = new TextEncoder().encode(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }))
  for (const blob of [layer, config]) {
    const response = await target.request(`/v2/${repository}/blobs/uploads/?digest=${sha256(blob)}`, {
      method: 'POST',
      headers,
      body: blob,
    })
    if (response.status !== 201) return { status: response.status, manifest: '', digest: '' }
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  })
  const response = await target.request(`/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...headers, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  })
  return { status: response.status, manifest, digest: sha256(new TextEncoder().encode(manifest)) }
}

export const sha256 = (data: Uint8Array): string =>
  `sha256:${new Bun.CryptoHasher('sha256').update(data).digest('hex')}`
