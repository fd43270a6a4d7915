/**
 * zot's `storageDriver` parameters mapped to S3 driver options (no server needed): the keys and
 * defaults of distribution's s3-aws driver, values that arrive as strings, and the errors.
 */
import { describe, expect, test } from 'bun:test'
import { keyPrefixFor, s3OptionsFromZotParams } from '../../lib/storage/s3'
import { resolveS3Options } from '../../lib/storage/s3/options'

const MiB = 1024 * 1024

describe('s3OptionsFromZotParams', () => {
  test('maps every zot parameter', () => {
    const options = s3OptionsFromZotParams({
      name: 's3',
      region: 'eu-west-1',
      bucket: 'images',
      regionendpoint: 'http://minio:9000',
      forcepathstyle: false,
      secure: true,
      skipverify: 'true',
      accesskey: 'AK',
      secretkey: 'SK',
      rootdirectory: '/zot',
      chunksize: '20971520',
      storageclass: 'REDUCED_REDUNDANCY',
      encrypt: true,
      keyid: 'kms-key',
      useragent: 'zot-bun',
      usedualstack: false,
      accelerate: 'false',
      objectacl: 'bucket-owner-full-control',
      multipartcopychunksize: 33554432,
      multipartcopymaxconcurrency: 10,
      multipartcopythresholdsize: 67108864,
      maxsockets: 512,
      loglevel: 'debug',
      v4auth: true,
    })
    expect(options).toEqual({
      bucket: 'images',
      region: 'eu-west-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: false,
      skipVerify: true,
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
      rootDirectory: '/zot',
      chunkSize: 20 * MiB,
      storageClass: 'REDUCED_REDUNDANCY',
      objectAcl: 'bucket-owner-full-control',
      encrypt: true,
      kmsKeyId: 'kms-key',
      userAgent: 'zot-bun',
      useDualstack: false,
      accelerate: false,
      multipartCopyChunkSize: 32 * MiB,
      multipartCopyMaxConcurrency: 10,
      multipartCopyThresholdSize: 64 * MiB,
      maxSockets: 512,
    })
  })

  test('forcepathstyle defaults to true with regionendpoint, which gets its scheme from secure', () => {
    expect(
      s3OptionsFromZotParams({
        region: 'us-east-1',
        bucket: 'b',
        regionendpoint: 'rgw:7480',
        secure: false,
      }),
    ).toMatchObject({ endpoint: 'http://rgw:7480', forcePathStyle: true })
    expect(s3OptionsFromZotParams({ region: 'us-east-1', bucket: 'b', regionendpoint: 'rgw:7480' })).toMatchObject({
      endpoint: 'https://rgw:7480',
      forcePathStyle: true,
    })
    expect(s3OptionsFromZotParams({ region: 'us-east-1', bucket: 'b' })).toMatchObject({
      endpoint: undefined,
      forcePathStyle: false,
    })
  })

  test('without accesskey/secretkey the AWS credential chain is used; region defaults only with an endpoint', () => {
    expect(s3OptionsFromZotParams({ bucket: 'b', regionendpoint: 'http://s3' })).toMatchObject({
      credentials: undefined,
      region: 'us-east-1',
    })
    expect(
      s3OptionsFromZotParams({
        bucket: 'b',
        region: 'r',
        accesskey: 'a',
        secretkey: 's',
        sessiontoken: 't',
      }).credentials,
    ).toEqual({ accessKeyId: 'a', secretAccessKey: 's', sessionToken: 't' })
  })

  test('invalid parameters fail with one line naming the key', () => {
    expect(() => s3OptionsFromZotParams({ region: 'r' })).toThrow('storage.storageDriver.bucket is required')
    expect(() => s3OptionsFromZotParams({ bucket: 'b' })).toThrow('storage.storageDriver.region is required')
    expect(() => s3OptionsFromZotParams({ bucket: 'b', region: 'r', accesskey: 'a' })).toThrow(
      'set both accesskey and secretkey',
    )
    expect(() => s3OptionsFromZotParams({ bucket: 'b', region: 'r', chunksize: 'big' })).toThrow(
      'storage.storageDriver.chunksize must be a non-negative number',
    )
    expect(() => s3OptionsFromZotParams({ bucket: 'b', region: 'r', secure: 'yes' })).toThrow(
      'storage.storageDriver.secure must be true or false',
    )
  })

  test('defaults: 10 MiB parts (at least 5 MiB), 32 MiB copy ranges, ranged copies above 5 GiB', () => {
    const resolved = resolveS3Options(s3OptionsFromZotParams({ bucket: 'b', region: 'r' }))
    expect(resolved).toMatchObject({
      chunkSize: 10 * MiB,
      multipartCopyChunkSize: 32 * MiB,
      multipartCopyThresholdSize: 5 * 1024 * MiB,
      storageClass: 'STANDARD',
      keyPrefix: '',
    })
    expect(resolveS3Options({ bucket: 'b', region: 'r', chunkSize: 1024 }).chunkSize).toBe(5 * MiB)
  })

  test('rootdirectory appears twice in keys, as zot lays them out', () => {
    expect(keyPrefixFor('/zot')).toBe('zot/zot/')
    expect(keyPrefixFor('/zot/')).toBe('zot/zot/')
    expect(keyPrefixFor('/a/b')).toBe('a/b/a/b/')
    expect(keyPrefixFor('/')).toBe('')
    expect(keyPrefixFor(undefined)).toBe('')
  })
})
