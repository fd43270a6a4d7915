/**
 * @module
 * What storing one verified blob costs on S3 (issue 19): `putBlob(..., { verified: true })`, as a
 * pull-through fill commits its spool, of a blob held in memory, into a fresh bucket of a
 * throwaway Ceph RGW, in this process. Prints per run the wall time, this process's CPU and the S3
 * requests sent, by operation (counted at the SDK's `send`), so a change to the commit path shows
 * in requests as well as in time.
 *
 *   bun scripts/bench/s3-commit.ts [--mib 256] [--runs 3]
 */
import { S3Client } from '@aws-sdk/client-s3'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openStore } from '../../lib/registry/open-store'
import { testStorageConfig } from '../../tests/support/config'
import { createTestBucket, dropTestBuckets, startCephRgw, zotS3Params } from '../../tests/support/counterparts/ceph-rgw'
import { randomBytes } from '../../tests/sync/support/content'

const { values } = parseArgs({
  options: { mib: { type: 'string', default: '256' }, runs: { type: 'string', default: '3' } },
})
const SIZE = Number(values.mib) * (1 << 20)
const CHUNK = 256 * 1024

/** Requests sent through any S3 client of this process, by operation. */
const requests = new Map<string, number>()
const send = S3Client.prototype.send
S3Client.prototype.send = function (this: S3Client, ...args: Parameters<typeof send>) {
  const operation = args[0].constructor.name.replace(/Command$/, '')
  requests.set(operation, (requests.get(operation) ?? 0) + 1)
  return send.apply(this, args)
} as typeof send

/** `bytes` as a request body arrives: in chunks. */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close()
      controller.enqueue(bytes.subarray(offset, offset + CHUNK))
      offset += CHUNK
    },
  })
}

const rgw = await startCephRgw()
const scratch = await mkdtemp(join(tmpdir(), 'zot-s3-commit-bench-'))
try {
  const blob = randomBytes(SIZE)
  const digest = `sha256:${new Bun.CryptoHasher('sha256').update(blob).digest('hex')}`
  console.log(`verified putBlob of ${values.mib} MiB into Ceph RGW`)
  for (let run = 0; run < Number(values.runs); run++) {
    const bucket = await createTestBucket(rgw, 'bench-commit')
    const rootDirectory = await mkdtemp(join(scratch, 'root-'))
    const store = await openStore(
      testStorageConfig({ rootDirectory, dedupe: false, storageDriver: zotS3Params(rgw, bucket) }),
    )
    requests.clear()
    const cpu = process.cpuUsage()
    const started = performance.now()
    await store.registry.putBlob('bench/big', digest, streamOf(blob), { origin: 'sync', verified: true })
    const seconds = (performance.now() - started) / 1000
    const { user, system } = process.cpuUsage(cpu)
    await store.close()
    const total = [...requests.values()].reduce((sum, count) => sum + count, 0)
    const byOperation = [...requests].map(([operation, count]) => `${operation} ${count}`).join(', ')
    console.log(
      `wall ${seconds.toFixed(2)} s, CPU ${((user + system) / 1e6).toFixed(2)} s, ${total} requests: ${byOperation}`,
    )
  }
} finally {
  await dropTestBuckets(rgw)
  await rgw.stop()
  await rm(scratch, { recursive: true, force: true })
}
