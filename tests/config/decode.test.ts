/**
 * @module
 * How values are read: case-insensitive keys, weak typing, defaults (fixed and context
 * dependent), map keys, driver settings, and reporting every independent mistake at once.
 */
import { describe, expect, test } from 'bun:test'
import { ConfigError, defaultConfig, parseConfigText } from '../../lib/config'
import { BASE_CONFIG, errorsOf, inspect, merge, type Json } from './helpers'

const HOUR = 3_600_000

async function load(patch: Json) {
  return parseConfigText(JSON.stringify(merge(BASE_CONFIG, patch)), 'json', 'test.json')
}

describe('keys are case-insensitive like zot', () => {
  test('any spelling maps to the canonical key', async () => {
    const { config } = await parseConfigText(
      JSON.stringify({
        STORAGE: { RootDirectory: '/srv/zot', GCDELAY: '2h' },
        Http: { PORT: '5001', ADDRESS: '0.0.0.0' },
        LOG: { Level: 'INFO' },
      }),
      'json',
      'upper.json',
    )
    expect(config.storage.rootDirectory).toBe('/srv/zot')
    expect(config.storage.gcDelay).toBe(2 * HOUR)
    expect(config.http).toMatchObject({ port: 5001, address: '0.0.0.0' })
    expect(config.log.level).toBe('info')
  })

  test('repository globs, group names and routes keep their case; provider kinds are lower-cased', async () => {
    const { config } = await load({
      storage: { subPaths: { '/Team': { rootDirectory: '/srv/team' } } },
      http: {
        auth: {
          htpasswd: undefined,
          openid: { providers: { GitHub: { clientid: 'a', scopes: ['user'] } } },
        },
        accessControl: {
          repositories: { 'Team/**': { anonymousPolicy: ['read'] } },
          groups: { 'CN=Admins,DC=example': { users: ['Alice'] } },
        },
      },
    })
    expect(Object.keys(config.storage.subPaths ?? {})).toEqual(['/Team'])
    expect(Object.keys(config.http.accessControl?.repositories ?? {})).toEqual(['Team/**'])
    expect(Object.keys(config.http.accessControl?.groups ?? {})).toEqual(['CN=Admins,DC=example'])
    expect(Object.keys(config.http.auth?.openid?.providers ?? {})).toEqual(['github'])
  })

  test('driver settings reach the driver with lower-case keys, as in zot', async () => {
    const { config } = await load({
      storage: {
        dedupe: false,
        storageDriver: {
          Name: 's3',
          Region: 'r',
          Bucket: 'b',
          RegionEndpoint: 'http://m',
          ForcePathStyle: false,
        },
      },
    })
    // Written keys are kept (lower-cased, as zot's drivers get them); the S3 defaults are filled.
    expect(config.storage.storageDriver).toMatchObject({
      name: 's3',
      region: 'r',
      bucket: 'b',
      regionendpoint: 'http://m',
      forcepathstyle: false,
      secure: true,
      skipverify: false,
      chunksize: 10 * 1024 * 1024,
      storageclass: 'STANDARD',
      multipartcopythresholdsize: 5 * 1024 * 1024 * 1024,
      maxsockets: 256,
    })
    expect(Object.keys(config.storage.storageDriver ?? {}).filter((key) => /[A-Z]/.test(key))).toEqual([])
  })
})

describe('values are weakly typed like zot', () => {
  test('strings for booleans and numbers, numbers for strings', async () => {
    const { config } = await load({
      storage: { dedupe: 'false', gc: '0', commit: 'TRUE', maxRepos: '12' },
      http: { port: '0', realm: 42 },
    })
    expect(config.storage).toMatchObject({ dedupe: false, gc: false, commit: true, maxRepos: 12 })
    expect(config.http.port).toBe(0)
    expect(config.http.realm).toBe('42')
  })

  test('a single value where a list belongs becomes a list of one, with a warning', async () => {
    const { config, warnings } = await load({ http: { compat: 'docker2s2' } })
    expect(config.http.compat).toEqual(['docker2s2'])
    expect(warnings.map((warning) => warning.path)).toEqual(['http.compat'])
  })

  test('log level aliases and enum case', async () => {
    for (const [written, level] of [
      ['trace', 'debug'],
      ['warning', 'warn'],
      ['PANIC', 'error'],
      ['Info', 'info'],
    ] as const) {
      expect((await load({ log: { level: written } })).config.log.level).toBe(level)
    }
  })
})

describe('defaults', () => {
  test('zot defaults fill what the file leaves out', async () => {
    const { config } = await load({})
    expect(config.distSpecVersion).toBe('1.1.1')
    expect(config.storage).toMatchObject({
      dedupe: true,
      gc: true,
      gcDelay: HOUR,
      gcInterval: HOUR,
      commit: false,
      remoteCache: false,
    })
    expect(config.storage.retention).toEqual({ dryRun: false, delay: HOUR, policies: [] })
    expect(config.http).toMatchObject({
      readTimeout: 60_000,
      writeTimeout: 60_000,
      realm: '',
      compat: [],
    })
    expect(config.log).toEqual({ level: 'debug' })
    expect(config.extensions).toBeUndefined()
    expect(config.scheduler.numWorkers).toBeGreaterThanOrEqual(4)
  })

  test('gc off zeroes the unset delays; retention delay follows gcDelay', async () => {
    expect((await load({ storage: { gc: false } })).config.storage).toMatchObject({
      gcDelay: 0,
      gcInterval: 0,
      retention: { delay: 0 },
    })
    expect((await load({ storage: { gcDelay: '3h' } })).config.storage.retention.delay).toBe(3 * HOUR)
    expect(
      (await load({ storage: { gcDelay: '3h', retention: { delay: '10m' } } })).config.storage.retention.delay,
    ).toBe(10 * 60_000)
  })

  test('sub-stores do not inherit the top-level defaults', async () => {
    const { config } = await load({
      storage: {
        subPaths: {
          '/a': { rootDirectory: '/srv/a' },
          '/b': { rootDirectory: '/srv/b', gc: true },
        },
      },
    })
    expect(config.storage.subPaths?.['/a']).toMatchObject({
      dedupe: false,
      gc: false,
      gcDelay: 0,
      gcInterval: 0,
    })
    expect(config.storage.subPaths?.['/b']).toMatchObject({
      gc: true,
      gcDelay: HOUR,
      gcInterval: HOUR,
      retention: { delay: HOUR },
    })
  })

  test('remote storage with dedupe defaults to a remote cache', async () => {
    const storage = {
      storageDriver: { name: 's3', region: 'r', bucket: 'b' },
      cacheDriver: { name: 'dynamodb' },
    }
    expect((await load({ storage })).config.storage.remoteCache).toBe(true)
    expect((await load({ storage: { ...storage, remoteCache: false } })).config.storage.remoteCache).toBe(false)
  })

  test('present extension sections are enabled, with their own defaults', async () => {
    const { config } = await load({
      extensions: { metrics: {}, sync: { registries: [{ urls: ['https://ghcr.io'] }] } },
    })
    expect(config.extensions?.metrics).toEqual({ enable: true, prometheus: { path: '/metrics' } })
    expect(config.extensions?.sync?.registries[0]).toMatchObject({
      tlsVerify: true,
      syncTimeout: 3 * HOUR,
      reqConcurrent: 3,
      onDemand: false,
      content: [],
      maxRetries: 0,
      retryDelay: 0,
      maxRetryDelay: 0,
      manifestCheckInterval: 5 * 60_000,
    })
  })

  test('sync stages pulls under the storage root; the back-off cap follows retryDelay', async () => {
    const registries = [{ urls: ['https://ghcr.io'], retryDelay: '10s' }]
    const { config } = await load({ extensions: { sync: { registries } } })
    expect(config.extensions?.sync?.downloadDir).toBe('/tmp/zot-config-test-root/.sync')
    expect(config.extensions?.sync?.registries[0]).toMatchObject({ retryDelay: 10_000, maxRetryDelay: 10_000 })
    const written = { downloadDir: '/var/spool/zot', registries: [{ ...registries[0], maxRetryDelay: '1m' }] }
    const sync = (await load({ extensions: { sync: written } })).config.extensions?.sync
    expect(sync?.downloadDir).toBe('/var/spool/zot')
    expect(sync?.registries[0]?.maxRetryDelay).toBe(60_000)
  })

  test('the embedded default listens on 127.0.0.1:5000 and stores under ./data', () => {
    const config = defaultConfig()
    expect(config.storage.rootDirectory).toBe('./data')
    expect(config.http).toMatchObject({ address: '127.0.0.1', port: 5000 })
    expect(config.storage.gc).toBe(true)
    defaultConfig().storage.retention.policies.push({
      repositories: [],
      deleteReferrers: false,
      deleteUntagged: true,
      keepTags: [],
    })
    expect(defaultConfig().storage.retention.policies).toEqual([])
  })
})

describe('reporting', () => {
  test('every independent mistake is reported in one run', async () => {
    const { findings } = await inspect(
      merge(BASE_CONFIG, {
        http: { port: -1 },
        log: { levle: 'info' },
        storage: { gcDelay: '-1h' },
      }),
    )
    expect(errorsOf(findings).map((finding) => finding.path)).toEqual(['http.port', 'log.levle', 'storage.gcDelay'])
  })

  test('an error caused by an earlier one is not repeated', async () => {
    // The unknown key leaves accessControl without grants; "needs authentication" would be an echo.
    const { findings } = await inspect(merge(BASE_CONFIG, { http: { accessControl: { '**': { policies: [] } } } }))
    expect(errorsOf(findings).map((finding) => finding.path)).toEqual(['http.accessControl.**'])
  })

  test('loading throws ConfigError with every finding', async () => {
    const error = await parseConfigText(
      '{"storage": {"rootDirectory": "/x", "gcDelay": "soon"}, "extra": 1}',
      'json',
      'bad.json',
    ).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ConfigError)
    const findings = (error as ConfigError).findings
    expect(findings.map((finding) => finding.path)).toEqual(['extra', 'storage.gcDelay'])
    expect((error as Error).message).toStartWith('invalid config bad.json: extra: ')
    expect((error as Error).message).toEndWith('(and 1 more)')
  })

  test('secret values are masked in findings', async () => {
    const { findings } = await inspect(
      merge(BASE_CONFIG, {
        http: {
          auth: {
            ldap: { address: 'l', baseDN: 'b', userAttribute: 'u', bindPassword: 'hunter2' },
          },
        },
      }),
    )
    const warning = findings.find((finding) => finding.path === 'http.auth.ldap.bindPassword')
    expect(warning?.value).toBe('***')
    expect(JSON.stringify(findings)).not.toContain('hunter2')
  })

  test('an empty config is refused, as zot does', async () => {
    const { findings } = await inspect({})
    expect(findings).toEqual([expect.objectContaining({ severity: 'error', message: 'the config has no settings' })])
  })
})
