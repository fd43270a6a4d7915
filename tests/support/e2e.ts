/**
 * @module
 * What most end-to-end test files share: one registry and one client environment per file, and
 * the assertions that make a push or pull "unchanged" (same digests, same bytes).
 */
import { afterAll, beforeAll, expect, setDefaultTimeout } from 'bun:test'
import { createClientEnvironment, type ClientEnvironment } from './clients'
import type { BuiltImage } from './images/images'
import { OciLayout, readLayoutBlob, readLayoutTag, sha256Digest, type Descriptor } from './oci-layout'
import { fetchManifest } from './registry-api'
import { startTarget, type RunningRegistry, type StartOptions } from './server'

/** Per test and per setup hook; building the binary or a slow client run must not time out. */
export const E2E_TIMEOUT_MS = 120_000

export interface E2EContext {
  registry: RunningRegistry
  clients: ClientEnvironment
  /** A fresh OCI layout to build test content into. */
  newLayout(name: string): Promise<OciLayout>
}

/**
 * Starts the targeted registry and a client environment before the file's tests, stops them after.
 * Options may be computed in beforeAll (e.g. a binary that has to be built first).
 */
export function useRegistryAndClients(options: StartOptions | (() => Promise<StartOptions>) = {}): E2EContext {
  const context = {} as E2EContext
  // Real clients on a busy 2-core machine outlast bun's 5 s default when run without --timeout.
  setDefaultTimeout(E2E_TIMEOUT_MS)
  beforeAll(async () => {
    context.registry = await startTarget(typeof options === 'function' ? await options() : options)
    context.clients = await createClientEnvironment([context.registry.host])
    context.newLayout = async (name) => OciLayout.create(await context.clients.scratch(name))
  }, E2E_TIMEOUT_MS)
  afterAll(async () => {
    await context.clients?.cleanup()
    await context.registry?.stop()
    // bun test cannot tell afterAll whether a test failed: print the server's side on request.
    if (process.env.ZOT_E2E_SHOW_LOGS && context.registry) {
      console.error(`--- ${context.registry.kind} registry output ---\n${context.registry.logs()}`)
    }
  })
  return context
}

/** `docker://HOST/REPO:TAG`, or `@digest` when the reference is a digest. */
export function dockerReference(registry: RunningRegistry, repository: string, reference: string): string {
  const separator = reference.includes(':') ? '@' : ':'
  return `docker://${registry.host}/${repository}${separator}${reference}`
}

/** Pushes a layout tag with skopeo, keeping every digest as built. */
export async function pushLayoutTag(
  context: E2EContext,
  layout: OciLayout,
  tag: string,
  repository: string,
  extraArgs: string[] = [],
): Promise<void> {
  await context.clients.skopeo([
    'copy',
    '--preserve-digests',
    ...extraArgs,
    `oci:${layout.directory}:${tag}`,
    dockerReference(context.registry, repository, tag),
  ])
}

/** The registry serves `reference` with exactly the bytes and digest of `expected`. */
export async function expectServedManifest(
  registry: RunningRegistry,
  repository: string,
  reference: string,
  expected: Descriptor,
): Promise<Uint8Array> {
  const served = await fetchManifest(registry.url, repository, reference)
  expect(served.status).toBe(200)
  expect(sha256Digest(served.bytes)).toBe(expected.digest)
  expect(served.digest).toBe(expected.digest)
  expect(served.bytes.byteLength).toBe(expected.size)
  expect(served.contentType?.split(';')[0]).toBe(expected.mediaType)
  return served.bytes
}

/** `skopeo inspect --raw` returns bytes whose digest is `expectedDigest`. */
export async function expectInspectedDigest(
  context: E2EContext,
  repository: string,
  reference: string,
  expectedDigest: string,
): Promise<string> {
  const { stdout } = await context.clients.skopeo([
    'inspect',
    '--raw',
    dockerReference(context.registry, repository, reference),
  ])
  expect(sha256Digest(stdout)).toBe(expectedDigest)
  return stdout
}

/**
 * Pulls `repository:tag` into a fresh OCI layout with skopeo and checks that the manifest and every
 * blob arrived byte for byte as they were built in `source`.
 */
export async function expectPulledUnchanged(
  context: E2EContext,
  repository: string,
  tag: string,
  built: BuiltImage,
  source: OciLayout,
  extraArgs: string[] = [],
): Promise<void> {
  const destination = await context.clients.scratch(`pull-${repository.replaceAll('/', '-')}-${tag}`)
  await context.clients.skopeo([
    'copy',
    '--preserve-digests',
    ...extraArgs,
    dockerReference(context.registry, repository, tag),
    `oci:${destination}:${tag}`,
  ])
  expect((await readLayoutTag(destination, tag))?.digest).toBe(built.manifest.digest)
  for (const descriptor of [built.manifest, ...built.blobs]) {
    expect(await readLayoutBlob(destination, descriptor.digest)).toEqual(
      await readLayoutBlob(source.directory, descriptor.digest),
    )
  }
}
