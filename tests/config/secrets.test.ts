/**
 * @module
 * `${env:NAME}` and `${file:PATH}` references in string values.
 */
import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { BASE_CONFIG, errorsOf, inspect, makeTempFiles, merge } from './helpers'

const files = makeTempFiles()
afterAll(() => files.remove())
const setVariables: string[] = []
afterEach(() => {
  for (const name of setVariables.splice(0)) delete process.env[name]
})

function setEnv(name: string, value: string): void {
  process.env[name] = value
  setVariables.push(name)
}

describe('secrets from the environment and files', () => {
  test('a whole value from an environment variable, weakly typed afterwards', async () => {
    setEnv('ZOT_TEST_PORT', '5055')
    setEnv('ZOT_TEST_CLIENT_SECRET', 's3cr3t')
    const { config, findings } = await inspect(
      merge(BASE_CONFIG, {
        http: {
          port: '${env:ZOT_TEST_PORT}',
          auth: {
            openid: {
              providers: {
                github: {
                  clientid: 'id',
                  clientsecret: '${env:ZOT_TEST_CLIENT_SECRET}',
                  scopes: ['user'],
                },
              },
            },
          },
        },
      }),
    )
    expect(errorsOf(findings)).toEqual([])
    expect(config?.http.port).toBe(5055)
    expect(config?.http.auth?.openid?.providers.github?.clientsecret).toBe('s3cr3t')
  })

  test('references inside text, from files without their trailing newline', async () => {
    setEnv('ZOT_TEST_REDIS_HOST', 'redis.internal')
    const passwordFile = files.write('redis-password', 'p@ss\n\n')
    const { config } = await inspect(
      merge(BASE_CONFIG, {
        http: {
          auth: {
            sessionDriver: {
              name: 'redis',
              url: `redis://zot:\${file:${passwordFile}}@\${env:ZOT_TEST_REDIS_HOST}:6379`,
            },
          },
        },
      }),
    )
    expect(config?.http.auth?.sessionDriver?.url).toBe('redis://zot:p@ss@redis.internal:6379')
  })

  test('$${...} is a literal', async () => {
    const { config } = await inspect(merge(BASE_CONFIG, { http: { realm: 'costs $${env:NOTHING}' } }))
    expect(config?.http.realm).toBe('costs ${env:NOTHING}')
  })

  test('an unset variable is an error naming the key', async () => {
    delete process.env.ZOT_TEST_UNSET
    const { findings } = await inspect(merge(BASE_CONFIG, { storage: { rootDirectory: '${env:ZOT_TEST_UNSET}/zot' } }))
    expect(errorsOf(findings)).toEqual([
      expect.objectContaining({
        path: 'storage.rootDirectory',
        message: 'environment variable ZOT_TEST_UNSET is not set (referenced as ${env:ZOT_TEST_UNSET})',
      }),
    ])
  })

  test('a missing file is an error naming the key', async () => {
    const missing = `${files.dir}/no-such-secret`
    const { findings } = await inspect(merge(BASE_CONFIG, { http: { realm: `\${file:${missing}}` } }))
    expect(errorsOf(findings)).toEqual([
      expect.objectContaining({
        path: 'http.realm',
        message: `secret file ${missing} does not exist (referenced as \${file:${missing}})`,
      }),
    ])
  })

  test('shell-style placeholders are left alone with a warning', async () => {
    const { config, findings } = await inspect(merge(BASE_CONFIG, { http: { realm: '${REALM}' } }))
    expect(config?.http.realm).toBe('${REALM}')
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: 'http.realm',
        fix: 'write ${env:REALM} to read the environment variable',
      }),
    ])
  })

  test('init-container placeholders are pointed out', async () => {
    const { findings } = await inspect(merge(BASE_CONFIG, { http: { realm: '__ZOT_REALM__' } }))
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: 'http.realm',
        message: expect.stringContaining('placeholder'),
      }),
    ])
  })
})
