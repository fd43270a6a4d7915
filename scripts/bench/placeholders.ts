/**
 * @module
 * What zot's dedupe placeholders cost on S3 (docs/s3.md "Dedupe"), on a throwaway Ceph RGW: a
 * bucket of `--repositories` repositories, a 1 MiB blob whose content is in the last one (the
 * worst case for a search in catalog order) and placeholders of it in the first two. Times a stat
 * of the content, the first stat of a placeholder (a search over every repository), a cached one,
 * GETs of both, and GC's deletion of the content (a census of every repository, then the copy of
 * the content over a placeholder).
 *
 *   bun scripts/bench/placeholders.ts [--repositories 300]
 */
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openStore } from '../../lib/registry/open-store'
import { createTestBucket, rawS3Client, startCephRgw, zotS3Params } from '../../tests/support/counterparts/ceph-rgw'
import { testStorageConfig } from '../../tests/support/config'

const { values } = parseArgs({ options: { repositories: { type: 'string', default: '300' } } })
const count = Number(values.repositories)
const rgw = await startCephRgw()
const directory = await mkdtemp(join(tmpdir(), 'bench-placeholders-'))
const s3 = rawS3Client(rgw)
try {
  const bucket = await createTestBucket(rgw, 'bench-placeholders', false)
  const put = (key: string, body: Uint8Array | string) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: `zot/zot/${key}`, Body: body }))
  const blob = crypto.getRandomValues(new Uint8Array(1 << 20))
  const hex = new Bun.CryptoHasher('sha256').update(blob).digest('hex')
  const digest = `sha256:${hex}`
  const names = Array.from({ length: count }, (_, index) => `r/${String(index).padStart(5, '0')}`)
  for (let start = 0; start < names.length; start += 32) {
    await Promise.all(
      names.slice(start, start + 32).map(async (name) => {
        await put(`${name}/oci-layout`, '{"imageLayoutVersion":"1.0.0"}')
        await put(`${name}/index.json`, '{"schemaVersion":2,"manifests":[]}')
      }),
    )
  }
  const holder = names.at(-1)!
  await put(`${holder}/blobs/sha256/${hex}`, blob)
  for (const name of names.slice(0, 2)) await put(`${name}/blobs/sha256/${hex}`, new Uint8Array(0))

  const storageDriver = zotS3Params(rgw, bucket)
  const store = await openStore(testStorageConfig({ rootDirectory: directory, dedupe: false, storageDriver }))
  const { registry } = store
  await registry.catalog.list()
  const time = async (what: string, work: () => Promise<unknown>): Promise<void> => {
    const started = performance.now()
    await work()
    console.log(`${what.padEnd(64)} ${(performance.now() - started).toFixed(1).padStart(9)} ms`)
  }
  const read = async (repository: string) => new Response(await registry.openBlob(repository, digest)).arrayBuffer()
  await time('stat of the content', () => registry.statBlob(holder, digest))
  await time(`stat of a placeholder, first (search of ${count} repositories)`, async () => {
    if ((await registry.statBlob(names[0]!, digest))?.size !== blob.byteLength) throw new Error('not resolved')
  })
  await time('stat of another placeholder (cached)', () => registry.statBlob(names[1]!, digest))
  await time('GET of the content, 1 MiB', () => read(holder))
  await time('GET of a placeholder, 1 MiB (cached)', () => read(names[0]!))
  await time(`GC deletes the content (census of ${count} repositories, hand-over)`, () =>
    registry.maintenance(holder).deleteBlob(digest),
  )
  await store.close()
} finally {
  s3.destroy()
  await rgw.stop()
  await rm(directory, { recursive: true, force: true })
}
