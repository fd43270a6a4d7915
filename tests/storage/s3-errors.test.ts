/**
 * Failures of the S3 driver as users meet them, against a real S3 server (a throwaway Ceph RGW):
 * `serve`'s start-up check names the bucket/endpoint and the fix; while serving, S3 failures are
 * StorageUnavailableError (503), a missing key is PathNotFoundError, and the driver recovers on
 * its own when S3 comes back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { PathNotFoundError, StorageUnavailableError } from '../../lib/storage/driver'
import { checkS3Bucket, createS3Driver, type S3DriverOptions, s3OptionsFromZotParams } from '../../lib/storage/s3'
import { testS3DriverConfig } from '../support/config'
import { toStorageError } from '../../lib/storage/s3/errors'
import { createTestBucket, dropTestBuckets, sharedCephRgw, type CephRgw } from '../support/counterparts/ceph-rgw'

const CLUSTER_START_MS = 180_000
let rgw: CephRgw
let bucket: string

beforeAll(async () => {
  rgw = await sharedCephRgw()
  bucket = await createTestBucket(rgw, 'errors')
}, CLUSTER_START_MS)
afterAll(() => rgw && dropTestBuckets(rgw), CLUSTER_START_MS)

const optionsFor = (overrides: Partial<S3DriverOptions> = {}): S3DriverOptions => ({
  ...s3OptionsFromZotParams(
    testS3DriverConfig({
      bucket,
      region: rgw.region,
      regionendpoint: rgw.endpoint,
      accesskey: rgw.accessKey,
      secretkey: rgw.secretKey,
    }),
  ),
  ...overrides,
})

/** An endpoint nothing listens on: a port the kernel just handed out and took back. */
async function deadEndpoint(): Promise<string> {
  const server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const endpoint = `http://127.0.0.1:${server.port}`
  server.stop(true)
  return endpoint
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure')
}

describe('s3: start-up check', () => {
  test('passes for a usable bucket', async () => {
    await checkS3Bucket(optionsFor())
    await checkS3Bucket(optionsFor({ rootDirectory: '/zot' }))
  })

  test('a missing bucket: one line naming bucket and endpoint, and how to fix it', async () => {
    const error = await failureOf(checkS3Bucket(optionsFor({ bucket: 'no-such-bucket' })))
    expect(error).toBeInstanceOf(StorageUnavailableError)
    expect(error.message).toContain(`"no-such-bucket" does not exist at ${rgw.endpoint}`)
    expect(error.message).toContain('create it')
    expect(error.message).not.toContain('\n')
  })

  test('bad credentials: names the credential settings', async () => {
    for (const credentials of [
      { accessKeyId: rgw.accessKey, secretAccessKey: 'wrong' },
      { accessKeyId: 'UNKNOWNKEY', secretAccessKey: 'wrong' },
    ]) {
      const error = await failureOf(checkS3Bucket(optionsFor({ credentials })))
      expect(error).toBeInstanceOf(StorageUnavailableError)
      expect(error.message).toMatch(
        /rejected the credentials for bucket ".*" \((SignatureDoesNotMatch|InvalidAccessKeyId)\)/,
      )
      expect(error.message).toContain('accesskey/secretkey')
    }
  })

  test('an unreachable endpoint: names the endpoint and regionendpoint', async () => {
    const endpoint = await deadEndpoint()
    const error = await failureOf(checkS3Bucket(optionsFor({ endpoint })))
    expect(error).toBeInstanceOf(StorageUnavailableError)
    expect(error.message).toContain(`S3 endpoint ${endpoint} is unreachable for bucket "${bucket}" (ECONNREFUSED)`)
    expect(error.message).toContain('regionendpoint')
  })
})

describe('s3: failures while serving', () => {
  test('a missing key is PathNotFoundError; a missing bucket is StorageUnavailableError', async () => {
    const driver = createS3Driver(optionsFor())
    expect(await failureOf(driver.getContent('repo/missing'))).toBeInstanceOf(PathNotFoundError)
    const noBucket = createS3Driver(optionsFor({ bucket: 'no-such-bucket' }))
    const error = await failureOf(noBucket.getContent('repo/index.json'))
    expect(error).toBeInstanceOf(StorageUnavailableError)
    expect(error.message).toContain('bucket "no-such-bucket"')
    expect(error.message).toContain('does not exist')
    expect(await failureOf(noBucket.list('repo'))).toBeInstanceOf(StorageUnavailableError)
    driver.destroy()
    noBucket.destroy()
  })

  test('bad credentials are StorageUnavailableError naming the bucket', async () => {
    const driver = createS3Driver(optionsFor({ credentials: { accessKeyId: rgw.accessKey, secretAccessKey: 'wrong' } }))
    for (const attempt of [
      () => driver.putContent('repo/index.json', '{}'),
      () => driver.getContent('repo/index.json'),
      () => driver.stat('repo/x'),
    ]) {
      const error = await failureOf(attempt())
      expect(error).toBeInstanceOf(StorageUnavailableError)
      expect(error.message).toContain(`bucket "${bucket}" at ${rgw.endpoint}`)
    }
    driver.destroy()
  })

  test('an AccessDenied on a multipart call names the missing bucket-policy permission', () => {
    const denied = { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }
    const context = { bucket: 'b', endpointLabel: 'http://s3' }
    expect(toStorageError(denied, { ...context, operation: 'UploadPartCopy' }).message).toContain(
      'must allow s3:PutObject (and s3:GetObject on the source)',
    )
    expect(toStorageError(denied, { ...context, operation: 'AbortMultipartUpload' }).message).toContain(
      'must allow s3:AbortMultipartUpload',
    )
    expect(toStorageError(denied, { ...context, operation: 'ListMultipartUploads' }).message).toContain(
      's3:ListBucketMultipartUploads',
    )
  })

  test('S3 stopped: StorageUnavailableError naming the endpoint; S3 back: the same driver recovers', async () => {
    const driver = createS3Driver(optionsFor())
    await driver.putContent('repo/index.json', '{"before":true}')
    const writer = await driver.writer('repo/.uploads/u', { append: true })
    await writer.write(new Uint8Array(1000))
    await writer.close()
    await rgw.stopGateway()
    try {
      const attempts = [
        () => driver.getContent('repo/index.json'),
        () => driver.putContent('repo/x', 'x'),
        () => driver.stat('repo/index.json'),
        () => driver.writer('repo/.uploads/u', { append: true }),
      ]
      for (const attempt of attempts) {
        const error = await failureOf(attempt())
        expect(error).toBeInstanceOf(StorageUnavailableError)
        expect(error.message).toContain(`at ${rgw.endpoint}: the endpoint is unreachable`)
      }
    } finally {
      await rgw.startGateway()
    }
    expect(new TextDecoder().decode(await driver.getContent('repo/index.json'))).toBe('{"before":true}')
    const resumed = await driver.writer('repo/.uploads/u', { append: true })
    expect(resumed.size).toBe(1000)
    await resumed.cancel()
    driver.destroy()
  }, 120_000)
})
