/**
 * zot's `storageDriver` parameters, decoded by the config schema, mapped to S3 driver options (no
 * server needed): the keys and defaults of distribution's s3-aws driver, values that arrive as
 * strings, the values that depend on other keys, and the mistakes `verify` reports.
 */
import { describe, expect, test } from 'bun:test'
import { formatFinding } from '../../lib/config'
import { keyPrefixFor, s3OptionsFromZotParams } from '../../lib/storage/s3'
import { resolveS3Options } from '../../lib/storage/s3/options'
import { BASE_CONFIG, inspect, merge } from '../config/helpers'
import { describeRuleCases, type RuleCase } from '../config/rule-cases'
import { testS3DriverConfig } from '../support/config'

const MiB = 1024 * 1024
const options = (params: Record<string, unknown>) => s3OptionsFromZotParams(testS3DriverConfig(params))

describe('s3OptionsFromZotParams', () => {
  test('maps every zot parameter; unknown ones are kept in the config and ignored', () => {
    const params = {
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
    }
    expect(testS3DriverConfig(params)).toMatchObject({ loglevel: 'debug', v4auth: true })
    expect(options(params)).toEqual({
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
    expect(options({ region: 'us-east-1', bucket: 'b', regionendpoint: 'rgw:7480', secure: false })).toMatchObject({
      endpoint: 'http://rgw:7480',
      forcePathStyle: true,
    })
    expect(options({ region: 'us-east-1', bucket: 'b', regionendpoint: 'rgw:7480' })).toMatchObject({
      endpoint: 'https://rgw:7480',
      forcePathStyle: true,
    })
    expect(options({ region: 'us-east-1', bucket: 'b' })).toMatchObject({ endpoint: undefined, forcePathStyle: false })
    // An empty regionendpoint is no endpoint, for the path style as for the driver.
    expect(options({ region: 'us-east-1', bucket: 'b', regionendpoint: '' })).toMatchObject({
      endpoint: undefined,
      forcePathStyle: false,
    })
    // Without TLS and without an endpoint, AWS over plain HTTP.
    expect(options({ region: 'eu-west-1', bucket: 'b', secure: 'false' })).toMatchObject({
      endpoint: 'http://s3.eu-west-1.amazonaws.com',
      forcePathStyle: false,
    })
  })

  test('without accesskey/secretkey the AWS credential chain is used; region defaults only with an endpoint', () => {
    expect(options({ bucket: 'b', regionendpoint: 'http://s3' })).toMatchObject({
      credentials: undefined,
      region: 'us-east-1',
    })
    expect(options({ bucket: 'b', regionendpoint: '' }).region).toBe('')
    expect(
      options({ bucket: 'b', region: 'r', accesskey: 'a', secretkey: 's', sessiontoken: 't' }).credentials,
    ).toEqual({ accessKeyId: 'a', secretAccessKey: 's', sessionToken: 't' })
  })

  test('defaults: 10 MiB parts (at least 5 MiB), 32 MiB copy ranges, ranged copies above 5 GiB', () => {
    expect(testS3DriverConfig({ bucket: 'b', region: 'r' })).toEqual({
      name: 's3',
      bucket: 'b',
      region: 'r',
      forcepathstyle: false,
      secure: true,
      skipverify: false,
      chunksize: 10 * MiB,
      storageclass: 'STANDARD',
      objectacl: 'private',
      encrypt: false,
      usedualstack: false,
      accelerate: false,
      multipartcopychunksize: 32 * MiB,
      multipartcopymaxconcurrency: 100,
      multipartcopythresholdsize: 5 * 1024 * MiB,
      maxsockets: 256,
    })
    const resolved = resolveS3Options(options({ bucket: 'b', region: 'r' }))
    expect(resolved).toMatchObject({
      chunkSize: 10 * MiB,
      multipartCopyChunkSize: 32 * MiB,
      multipartCopyThresholdSize: 5 * 1024 * MiB,
      storageClass: 'STANDARD',
      keyPrefix: '',
    })
    expect(resolveS3Options({ ...options({ bucket: 'b', region: 'r' }), chunkSize: 1024 }).chunkSize).toBe(5 * MiB)
  })

  test('rootdirectory appears twice in keys, as zot lays them out', () => {
    expect(keyPrefixFor('/zot')).toBe('zot/zot/')
    expect(keyPrefixFor('/zot/')).toBe('zot/zot/')
    expect(keyPrefixFor('/a/b')).toBe('a/b/a/b/')
    expect(keyPrefixFor('/')).toBe('')
    expect(keyPrefixFor(undefined)).toBe('')
  })
})

const s3Patch = (params: Record<string, unknown>) => ({
  storage: { dedupe: false, storageDriver: { name: 's3', ...params } },
})

// These failed at start before the schema knew the S3 parameters; `verify` reports them now.
const INVALID: RuleCase[] = [
  {
    title: 'S3 without bucket',
    patch: s3Patch({ region: 'r' }),
    path: 'storage.storageDriver.bucket',
    message: 'required key is missing',
    fix: 'add `bucket`',
  },
  {
    title: 'S3 without region or regionendpoint',
    patch: s3Patch({ bucket: 'b' }),
    path: 'storage.storageDriver.region',
    message: 'required for the s3 driver (or set regionendpoint)',
    fix: /add "region"/,
  },
  {
    title: 'S3 with an empty regionendpoint and no region',
    patch: s3Patch({ bucket: 'b', regionendpoint: '' }),
    path: 'storage.storageDriver.region',
    message: 'required for the s3 driver',
  },
  {
    title: 'S3 accesskey without secretkey',
    patch: s3Patch({ bucket: 'b', region: 'r', accesskey: 'a' }),
    path: 'storage.storageDriver.secretkey',
    message: 'set both accesskey and secretkey, or neither',
    fix: /add "secretkey"/,
  },
  {
    title: 'S3 secretkey without accesskey',
    patch: s3Patch({ bucket: 'b', region: 'r', secretkey: 's' }),
    path: 'storage.storageDriver.accesskey',
    message: 'set both accesskey and secretkey, or neither',
  },
  {
    title: 'S3 chunksize that is no number',
    patch: s3Patch({ bucket: 'b', region: 'r', chunksize: 'big' }),
    path: 'storage.storageDriver.chunksize',
    message: 'expected a number',
    fix: /plain number/,
  },
  {
    title: 'S3 negative chunksize',
    patch: s3Patch({ bucket: 'b', region: 'r', multipartcopychunksize: -1 }),
    path: 'storage.storageDriver.multipartcopychunksize',
    message: 'must be at least 0',
  },
  {
    title: 'S3 secure that is no boolean',
    patch: s3Patch({ bucket: 'b', region: 'r', secure: 'yes' }),
    path: 'storage.storageDriver.secure',
    message: 'expected true or false',
    fix: /true or false/,
  },
]

describeRuleCases('S3 parameters verify reports', INVALID)

test('an S3 finding names the key and the value, with a fix line', async () => {
  const { findings } = await inspect(merge(BASE_CONFIG, s3Patch({ bucket: 'b', region: 'r', chunksize: 'big' })))
  const lines = findings.flatMap(formatFinding)
  expect(lines[0]).toBe('error: storage.storageDriver.chunksize: expected a number (value: "big")')
  expect(lines[1]).toStartWith('  fix: ')
})

test('a valid S3 section passes verify, unknown parameters included', async () => {
  const patch = s3Patch({ bucket: 'b', region: 'r', loglevel: 'debug', v4auth: true })
  const { findings, config } = await inspect(merge(BASE_CONFIG, patch))
  expect(findings.filter((finding) => finding.severity === 'error')).toEqual([])
  expect(config?.storage.storageDriver).toMatchObject({ loglevel: 'debug', v4auth: true, chunksize: 10 * MiB })
})
