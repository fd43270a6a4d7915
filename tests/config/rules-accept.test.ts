/**
 * @module
 * Configs the rules must accept: the other side of the boundaries in rules-*.test.ts.
 */
import { describe, expect, test } from 'bun:test'
import { BASE_CONFIG, errorsOf, inspect, makeTempFiles, merge } from './helpers'
import { s3 } from './rule-cases'

describe('configs the rules accept', () => {
  test('the base config has no findings', async () => {
    expect((await inspect(BASE_CONFIG)).findings).toEqual([])
  })

  test('access control that only grants anonymous reads needs no login', async () => {
    const accessControl = { repositories: { '**': { anonymousPolicy: ['read'] } } }
    const { findings } = await inspect(merge(BASE_CONFIG, { http: { accessControl } }))
    expect(findings).toEqual([])
  })

  test('a CA for client certificates is a way to log in, without http.auth (as zot)', async () => {
    const files = makeTempFiles()
    try {
      const http = {
        tls: { cert: files.cert, key: files.key, cacert: files.ca },
        accessControl: { repositories: { '**': { policies: [{ users: ['alice'], actions: ['read'] }] } } },
      }
      expect(errorsOf((await inspect(merge(BASE_CONFIG, { http }))).findings)).toEqual([])
    } finally {
      files.remove()
    }
  })

  test('anonymous metrics scraping alone needs no login', async () => {
    const accessControl = { metrics: { anonymousPolicy: ['read'] } }
    const { findings } = await inspect(merge(BASE_CONFIG, { http: { accessControl } }))
    expect(findings).toEqual([])
  })

  test('S3 without dedupe, or with remoteCache off, needs no cache driver', async () => {
    for (const storage of [
      { dedupe: false, storageDriver: s3 },
      { remoteCache: false, storageDriver: s3 },
    ]) {
      expect(errorsOf((await inspect(merge(BASE_CONFIG, { storage }))).findings)).toEqual([])
    }
  })

  test('sibling store roots are fine, even with a common name prefix', async () => {
    const storage = {
      rootDirectory: '/srv/zot/main',
      subPaths: { '/a': { rootDirectory: '/srv/zot/a' }, '/b': { rootDirectory: '/srv/zot/ab' } },
    }
    expect((await inspect(merge(BASE_CONFIG, { storage }))).findings).toEqual([])
  })

  test('sync keeping the tags a retention policy keeps is not an overlap', async () => {
    const patch = {
      storage: {
        retention: { policies: [{ repositories: ['**'], keepTags: [{ patterns: ['^v1'] }] }] },
      },
      extensions: {
        sync: {
          registries: [{ urls: ['https://ghcr.io'], content: [{ prefix: '**', tags: { regex: '^v1' } }] }],
        },
      },
    }
    expect((await inspect(merge(BASE_CONFIG, patch))).findings).toEqual([])
  })

  test('defaults are never read as written: a polling registry, S3 sync with its downloadDir', async () => {
    const registry = { urls: ['https://ghcr.io'], pollInterval: '1h', content: [{ prefix: '**' }] }
    const local = { extensions: { sync: { registries: [registry] } } }
    expect((await inspect(merge(BASE_CONFIG, local))).findings).toEqual([])
    const remote = {
      storage: { dedupe: false, storageDriver: s3 },
      extensions: {
        sync: { downloadDir: '/var/spool/zot', registries: [{ ...registry, maxRetries: 2, retryDelay: '5s' }] },
      },
    }
    expect((await inspect(merge(BASE_CONFIG, remote))).findings).toEqual([])
  })

  test('corrections are applied to the config', async () => {
    const patch = {
      distSpecVersion: '1.0.0',
      storage: { dedupe: false, storageDriver: { ...s3, regionendpoint: 'http://m' } },
      extensions: { scrub: { interval: '1h' } },
    }
    const { config } = await inspect(merge(BASE_CONFIG, patch))
    expect(config?.distSpecVersion).toBe('1.1.1')
    expect(config?.storage.storageDriver?.forcepathstyle).toBe(true)
    expect(config?.extensions?.scrub?.interval).toBe(2 * 3_600_000)
  })
})
