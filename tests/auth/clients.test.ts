/**
 * @module
 * Real clients (skopeo, podman) against the auth layer on a socket: htpasswd and API-key logins,
 * pushes allowed and refused by policy, and anonymous pulls from a registry that challenges
 * anonymous pings (the Docker-trap fix must not break clients without credentials).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { basicAuthorization } from '../../lib/auth/basic-credentials'
import { CommandError, createClientEnvironment, type ClientEnvironment } from '../support/clients'
import { buildRandomImage } from '../support/images/images'
import { OciLayout } from '../support/oci-layout'
import { authRegistry } from './registry'
import { fixtureConfig, tempDirectory } from './support'

setDefaultTimeout(120_000)
const HAVE_CLIENTS = Bun.which('skopeo') !== null && Bun.which('podman') !== null
const directory = await tempDirectory('clients')
const htpasswd = join(directory, 'htpasswd')
await writeFile(htpasswd, ['runner', 'admin'].map((name) => `${name}:${bcrypt.hashSync(`${name}-pw`, 5)}`).join('\n'))
const config = await fixtureConfig('blumeops-oidc-apikeys.json')
const registry = await authRegistry({
  auth: { htpasswd: { path: htpasswd }, apikey: true },
  accessControl: {
    ...config.http.accessControl,
    groups: { 'artifact-workloads': { users: ['runner'] }, admins: { users: ['admin'] } },
  },
})
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: (request) => registry.app.fetch(request),
})
const host = `127.0.0.1:${server.port}`
let ci: ClientEnvironment
let stranger: ClientEnvironment
let layout: OciLayout

beforeAll(async () => {
  if (!HAVE_CLIENTS) return
  ci = await createClientEnvironment([host])
  stranger = await createClientEnvironment([host])
  layout = await OciLayout.create(await ci.scratch('image'))
  await buildRandomImage(layout, 'v1')
})
afterAll(async () => {
  await Promise.all([ci?.cleanup(), stranger?.cleanup()])
  server.stop(true)
})

const failure = async (run: Promise<unknown>): Promise<string> => {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(CommandError)
  return (error as CommandError).result.stderr
}

if (!HAVE_CLIENTS) throw new Error('skopeo and podman are missing: run scripts/install-test-tools.sh as root')

describe('htpasswd with real clients', () => {
  test('skopeo login refuses a wrong password and accepts the right one', async () => {
    expect(await failure(ci.skopeo(['login', '-u', 'runner', '-p', 'wrong', host]))).toMatch(
      /401|unauthorized|invalid/i,
    )
    await ci.skopeo(['login', '-u', 'runner', '-p', 'runner-pw', host])
  })

  test('the CI user pushes a new tag but cannot overwrite it', async () => {
    await ci.skopeo(['copy', `oci:${layout.directory}:v1`, `docker://${host}/blumeops/app:v1`])
    expect(
      await failure(ci.skopeo(['copy', `oci:${layout.directory}:v1`, `docker://${host}/blumeops/app:v1`])),
    ).toMatch(/denied|403/i)
  })

  test('a client without credentials pulls anonymously although the ping answers 401', async () => {
    expect((await fetch(`http://${host}/v2/`)).status).toBe(401)
    const inspected = JSON.parse((await stranger.skopeo(['inspect', `docker://${host}/blumeops/app:v1`])).stdout) as {
      Name: string
    }
    expect(inspected.Name).toBe(`${host}/blumeops/app`)
    await stranger.podman(['pull', `${host}/blumeops/app:v1`])
    expect(
      await failure(stranger.skopeo(['copy', `oci:${layout.directory}:v1`, `docker://${host}/blumeops/anon:v1`])),
    ).toMatch(/unauthorized|401|authentication required/i)
  })
})

describe('API keys with real clients', () => {
  test('podman login with the owner name and a key, then push and pull', async () => {
    const created = await fetch(`http://${host}/zot/auth/apikey`, {
      method: 'POST',
      headers: { Authorization: basicAuthorization('admin', 'admin-pw') },
      body: JSON.stringify({ label: 'podman' }),
    })
    const { apiKey } = (await created.json()) as { apiKey: string }
    const keyed = await createClientEnvironment([host])
    try {
      expect(await failure(keyed.podman(['login', '-u', 'runner', '-p', apiKey, host]))).toMatch(
        /401|unauthorized|invalid/i,
      )
      await keyed.podman(['login', '-u', 'admin', '-p', apiKey, host])
      await keyed.skopeo(['copy', `oci:${layout.directory}:v1`, `docker://${host}/blumeops/app:v1`])
      await keyed.podman(['pull', `${host}/blumeops/app:v1`])
      await keyed.skopeo(['delete', `docker://${host}/blumeops/app:v1`])
    } finally {
      await keyed.cleanup()
    }
  })
})
