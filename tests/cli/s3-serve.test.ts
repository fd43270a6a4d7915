/**
 * `serve` on S3 (a real Ceph RGW): zot's doubled key layout in the bucket, a push/pull round
 * trip, nothing but local metadata in rootDirectory, and a missing bucket stopping start-up with
 * one clear line.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from 'bun:test'
import { ListObjectsV2Command } from '@aws-sdk/client-s3'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createTestBucket,
  dropTestBuckets,
  rawS3Client,
  sharedCephRgw,
  zotS3Params,
  type CephRgw,
} from '../support/counterparts/ceph-rgw'
import { startRegistry, type RunningRegistry } from '../support/server'

setDefaultTimeout(120_000)
let rgw: CephRgw
const running: RunningRegistry[] = []
const directories: string[] = []
beforeAll(async () => {
  rgw = await sharedCephRgw()
}, 180_000)
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()))
  if (rgw) await dropTestBuckets(rgw)
  await Promise.all(directories.map((d) => rm(d, { recursive: true, force: true })))
})

const sha256 = (data: Uint8Array | string) => `sha256:${new Bun.CryptoHasher('sha256').update(data).digest('hex')}`
const driverFor = (bucket: string) => zotS3Params(rgw, bucket)

test("push and pull on S3 with zot's key layout; rootDirectory holds only local metadata", async () => {
  const bucket = await createTestBucket(rgw, 'serve')
  const registry = await startRegistry({
    config: { storage: { dedupe: false, storageDriver: driverFor(bucket) }, log: { level: 'warn' } },
  })
  running.push(registry)
  const layer = crypto.getRandomValues(new Uint8Array(300_000))
  const config = JSON.stringify({ architecture: 'arm64', os: 'linux' })
  for (const blob of [layer, new TextEncoder().encode(config)]) {
    expect(
      (await fetch(`${registry.url}/v2/s3/app/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob }))
        .status,
    ).toBe(201)
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  })
  expect(
    (
      await fetch(`${registry.url}/v2/s3/app/manifests/v1`, {
        method: 'PUT',
        body: manifest,
        headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
      })
    ).status,
  ).toBe(201)
  const pulled = await fetch(`${registry.url}/v2/s3/app/blobs/${sha256(layer)}`, {
    headers: { Range: 'bytes=100-199' },
  })
  expect(pulled.status).toBe(206)
  expect(new Uint8Array(await pulled.arrayBuffer())).toEqual(layer.subarray(100, 200))
  expect(await (await fetch(`${registry.url}/v2/s3/app/manifests/v1`)).text()).toBe(manifest)
  expect(await (await fetch(`${registry.url}/v2/_catalog`)).json()).toEqual({ repositories: ['s3/app'] })

  const listed = await rawS3Client(rgw).send(new ListObjectsV2Command({ Bucket: bucket }))
  const keys = (listed.Contents ?? []).map((object) => object.Key!)
  expect(keys).toContain('zot/zot/s3/app/index.json')
  expect(keys).toContain(`zot/zot/s3/app/blobs/sha256/${sha256(layer).slice(7)}`)
  expect((await readdir(registry.rootDirectory)).filter((name) => !name.startsWith('_meta'))).toEqual([])
})

test('a missing bucket stops serve with one line naming it', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'zot-s3-serve-'))
  directories.push(directory)
  const path = join(directory, 'config.json')
  await writeFile(
    path,
    JSON.stringify({
      storage: { rootDirectory: directory, dedupe: false, storageDriver: driverFor('no-such-bucket') },
      http: { address: '127.0.0.1', port: 0 },
    }),
  )
  const run = Bun.spawn(['bun', join(import.meta.dir, '../../cmd/zot.ts'), 'serve', path], {
    stdout: 'ignore',
    stderr: 'pipe',
  })
  expect(await run.exited).toBe(1)
  expect(await new Response(run.stderr).text()).toContain('no-such-bucket')
})

test('redirectBlobURL answers whole-blob GETs with a 307 to a presigned URL that serves the bytes', async () => {
  const bucket = await createTestBucket(rgw, 'redirect')
  const registry = await startRegistry({
    config: {
      storage: { dedupe: false, redirectBlobURL: true, storageDriver: driverFor(bucket) },
      log: { level: 'warn' },
    },
  })
  running.push(registry)
  const blob = crypto.getRandomValues(new Uint8Array(50_000))
  expect(
    (
      await fetch(`${registry.url}/v2/redirect/app/blobs/uploads/?digest=${sha256(blob)}`, {
        method: 'POST',
        body: blob,
      })
    ).status,
  ).toBe(201)
  const redirected = await fetch(`${registry.url}/v2/redirect/app/blobs/${sha256(blob)}`, { redirect: 'manual' })
  expect(redirected.status).toBe(307)
  const location = redirected.headers.get('Location')!
  expect(location).toContain('X-Amz-Signature')
  expect(new Uint8Array(await (await fetch(location)).arrayBuffer())).toEqual(blob)
  // HEAD and ranged GETs are answered by the registry itself.
  expect((await fetch(`${registry.url}/v2/redirect/app/blobs/${sha256(blob)}`, { method: 'HEAD' })).status).toBe(200)
  expect(
    (await fetch(`${registry.url}/v2/redirect/app/blobs/${sha256(blob)}`, { headers: { Range: 'bytes=0-9' } })).status,
  ).toBe(206)
})

test('S3 going away while serving: 503 with the spec error body, /readyz fails, and the registry recovers by itself', async () => {
  const bucket = await createTestBucket(rgw, 'outage')
  const registry = await startRegistry({
    config: { storage: { dedupe: false, storageDriver: driverFor(bucket) }, log: { level: 'error' } },
  })
  running.push(registry)
  const blob = new TextEncoder().encode('survives the outage')
  expect(
    (await fetch(`${registry.url}/v2/outage/app/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob }))
      .status,
  ).toBe(201)
  await rgw.stopGateway()
  try {
    const failing = await fetch(`${registry.url}/v2/outage/app/blobs/${sha256(blob)}`)
    expect(failing.status).toBe(503)
    expect(((await failing.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('UNAVAILABLE')
    expect((await fetch(`${registry.url}/readyz`)).status).toBe(500)
  } finally {
    await rgw.startGateway()
  }
  let status = 0
  for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
    status = (await fetch(`${registry.url}/v2/outage/app/blobs/${sha256(blob)}`)).status
    if (status !== 200) await Bun.sleep(200)
  }
  expect(status).toBe(200)
  expect((await fetch(`${registry.url}/readyz`)).status).toBe(200)
})

test('zot gc and zot scrub on an S3 config work on the bucket, not the local directory', async () => {
  const bucket = await createTestBucket(rgw, 'gc')
  const registry = await startRegistry({
    config: { storage: { dedupe: false, storageDriver: driverFor(bucket) }, log: { level: 'warn' } },
  })
  running.push(registry)
  const blob = new TextEncoder().encode('orphan')
  expect(
    (await fetch(`${registry.url}/v2/gc/app/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', body: blob }))
      .status,
  ).toBe(201)
  const directory = await mkdtemp(join(tmpdir(), 'zot-s3-gc-'))
  directories.push(directory)
  const configPath = join(directory, 'config.json')
  await writeFile(
    configPath,
    JSON.stringify({
      storage: { rootDirectory: directory, dedupe: false, gcDelay: '1s', storageDriver: driverFor(bucket) },
      http: { address: '127.0.0.1', port: 1 },
    }),
  )
  await registry.stop()
  running.splice(running.indexOf(registry), 1)
  await Bun.sleep(1100)
  const zotCli = (...args: string[]) => {
    const run = Bun.spawnSync(['bun', join(import.meta.dir, '../../cmd/zot.ts'), ...args], {
      stdout: 'pipe',
      stderr: 'pipe',
    })
    return { code: run.exitCode, out: run.stdout.toString(), err: run.stderr.toString() }
  }
  const gc = zotCli('gc', configPath, '--json')
  expect(gc.err).toBe('')
  expect(gc.code).toBe(0)
  // The unreferenced blob older than gcDelay was found in the bucket and deleted.
  expect(gc.out).toContain(sha256(blob).slice(7))
  const listed = await rawS3Client(rgw).send(new ListObjectsV2Command({ Bucket: bucket }))
  expect((listed.Contents ?? []).some((object) => object.Key!.endsWith(sha256(blob).slice(7)))).toBe(false)
  expect(zotCli('scrub', configPath).code).toBe(0)
})
