/**
 * @module
 * The shipped artifact: `dist/zot` copied alone into an empty directory (no checkout, no
 * node_modules to fall back on) serves a push and pull round trip.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { copyFile, mkdtemp, readdir, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureCompiledBinary } from '../support/binary'
import { expectPulledUnchanged, expectServedManifest, pushLayoutTag, useRegistryAndClients } from '../support/e2e'
import { buildRandomImage } from '../support/images/images'
import { againstReference } from '../support/server'

describe.skipIf(againstReference)('compiled binary', () => {
  let workDirectory = ''
  const context = useRegistryAndClients(async () => {
    workDirectory = await mkdtemp(join(tmpdir(), 'zot-e2e-binary-'))
    const binary = join(workDirectory, 'zot')
    await copyFile(await ensureCompiledBinary(), binary)
    return { binary, cwd: workDirectory }
  })
  afterAll(() => rm(workDirectory, { recursive: true, force: true }))

  test('is the copied binary, running in a directory that holds nothing but itself', async () => {
    // /proc tells what actually runs: not bun with cmd/zot.ts, not a binary inside the checkout.
    expect(await readlink(`/proc/${context.registry.pid}/exe`)).toBe(join(workDirectory, 'zot'))
    expect(await readlink(`/proc/${context.registry.pid}/cwd`)).toBe(workDirectory)
    expect(await readdir(workDirectory)).not.toContain('node_modules')
  })

  test('serves a skopeo push and pull round trip', async () => {
    const layout = await context.newLayout('binary')
    const image = await buildRandomImage(layout, 'v1', { layerCount: 2 })
    await pushLayoutTag(context, layout, 'v1', 'binary/round-trip')
    await expectServedManifest(context.registry, 'binary/round-trip', 'v1', image.manifest)
    await expectPulledUnchanged(context, 'binary/round-trip', 'v1', image, layout)
  })
})
