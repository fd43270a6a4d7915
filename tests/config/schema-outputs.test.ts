/**
 * @module
 * What is generated from the schema: docs/config.md (must be committed up to date), the JSON
 * Schema printed by `zot schema`, and the list of planned keys `serve` warns about.
 */
import { describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { configJsonSchema, defaultConfig, parseConfigText, plannedKeysInUse } from '../../lib/config'
import { renderConfigDocs } from '../../lib/config/outputs/docs'
import { BASE_CONFIG, FIXTURES, merge } from './helpers'

type Schema = Record<string, unknown>

/** Enough of draft-07 to check configs against what configJsonSchema produces. */
function schemaErrors(root: Schema, schema: Schema, value: unknown, path = '$'): string[] {
  if (typeof schema.$ref === 'string') return schemaErrors(root, resolvePointer(root, schema.$ref), value, path)
  const types = [schema.type].flat().filter((type): type is string => typeof type === 'string')
  if (types.length > 0 && !types.some((type) => hasType(value, type))) return [`${path}: expected ${types.join('|')}`]
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return [`${path}: not in enum`]
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
    return [`${path}: does not match ${schema.pattern}`]
  }
  if (Array.isArray(value))
    return value.flatMap((item, index) => schemaErrors(root, schema.items as Schema, item, `${path}[${index}]`))
  if (value === null || typeof value !== 'object') return []
  const properties = (schema.properties ?? {}) as Record<string, Schema>
  const patterns = Object.entries((schema.patternProperties ?? {}) as Record<string, Schema>)
  const additional = schema.additionalProperties
  return Object.entries(value).flatMap(([key, item]) => {
    const matching = [
      properties[key],
      ...patterns.filter(([pattern]) => new RegExp(pattern, 'u').test(key)).map(([, property]) => property),
    ]
    const applicable = matching.filter((property): property is Schema => property !== undefined)
    if (applicable.length > 0)
      return [...new Set(applicable.flatMap((property) => schemaErrors(root, property, item, `${path}.${key}`)))]
    return typeof additional === 'object'
      ? schemaErrors(root, additional as Schema, item, `${path}.${key}`)
      : additional === false
        ? [`${path}.${key}: not allowed`]
        : []
  })
}

function hasType(value: unknown, type: string): boolean {
  if (type === 'integer') return Number.isInteger(value)
  if (type === 'array') return Array.isArray(value)
  if (type === 'object') return value !== null && typeof value === 'object' && !Array.isArray(value)
  return typeof value === type
}

function resolvePointer(root: Schema, pointer: string): Schema {
  return pointer
    .replace(/^#\//, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((node: Schema, part) => node[part] as Schema, root)
}

describe('docs/config.md', () => {
  test('is up to date with the schema (run `bun scripts/gen-config-docs.ts`)', async () => {
    const committed = await Bun.file(new URL('../../docs/config.md', import.meta.url)).text()
    expect(committed).toBe(renderConfigDocs())
  })

  test('documents keys, defaults, status, the secrets syntax and the checks', () => {
    const docs = renderConfigDocs()
    expect(docs).toContain(
      '| `storage.gcDelay` | duration | 1h; 0 when `gc` is false and the key is absent | implemented |',
    )
    expect(docs).toContain(
      '| `extensions.sync.registries[].credentialHelper` | `ecr` \\| `gcp` \\| `oauth2` | — | implemented |',
    )
    expect(docs).toContain('| `goVersion` | string | — | planned |')
    expect(docs).toContain('| `http.accessControl.repositories.<repository glob>.anonymousPolicy` |')
    expect(docs).toContain('`${env:NAME}`')
    expect(docs).toContain('`${file:PATH}`')
    expect(docs).toContain('- **error**: Sync with remote storage but no `downloadDir`.')
  })
})

describe('JSON Schema', () => {
  const schema = configJsonSchema()

  test('is draft-07 JSON with the top-level sections, keys in any case', () => {
    const parsed = JSON.parse(JSON.stringify(schema)) as Schema
    expect(parsed.$schema).toBe('http://json-schema.org/draft-07/schema#')
    const properties = parsed.properties as Record<string, Schema>
    for (const section of ['distSpecVersion', 'storage', 'http', 'log', 'extensions', 'scheduler', 'cluster']) {
      expect(properties[section]).toBeDefined()
    }
    const patterns = parsed.patternProperties as Record<string, Schema>
    expect(patterns['^[dD][iI][sS][tT][sS][pP][eE][cC][vV][eE][rR][sS][iI][oO][nN]$']).toEqual({
      $ref: '#/properties/distSpecVersion',
    })
    expect(schemaErrors(parsed, parsed, { STORAGE: { rootdirectory: '/x', GCDelay: '1h' } })).toEqual([])
    expect(schemaErrors(parsed, parsed, { storage: { rootDirectory: '/x', gcDelay: 3600 } })).toEqual([
      '$.storage.gcDelay: expected string',
    ])
    const storage = properties.storage as { properties: Record<string, Schema> }
    expect(storage.properties.gcDelay).toMatchObject({
      type: 'string',
      default: '1h',
      'x-status': 'implemented',
    })
    expect(storage.properties.subPaths).toMatchObject({ 'x-status': 'implemented' })
    expect(storage.properties.fastRestart).toMatchObject({ 'x-status': 'planned' })
  })

  test('accepts every valid fixture and refuses the invalid one', async () => {
    const dir = fileURLToPath(FIXTURES)
    for (const name of readdirSync(dir).filter((file) => file.endsWith('.json'))) {
      const errors = schemaErrors(schema, schema, await Bun.file(`${dir}/${name}`).json())
      if (name.startsWith('invalid-'))
        expect(errors).toEqual(['$.extensions.sync.registries[0].credentials: not allowed'])
      else expect(errors, name).toEqual([])
    }
  })
})

describe('planned keys in use', () => {
  test('only what the file sets, a planned section once', async () => {
    const text = JSON.stringify(
      merge(BASE_CONFIG, {
        storage: { gc: true, gcDelay: '2h', remoteCache: false, retention: { dryRun: true } },
        http: { realm: 'zot', readTimeout: '5m', auth: { htpasswd: { path: '' } } },
        log: { level: 'info', audit: '/var/log/audit.log' },
        extensions: { sync: { registries: [{ urls: ['https://ghcr.io'] }] }, metrics: {} },
      }),
    )
    const { config } = await parseConfigText(text, 'json', 'planned.json')
    // readTimeout, htpasswd, retention, log.audit, sync and metrics are implemented: not reported.
    expect(plannedKeysInUse(config)).toEqual(['storage.remoteCache'])
  })

  test('the embedded default uses none; a hand-built config is compared with the defaults', () => {
    const config = defaultConfig()
    expect(plannedKeysInUse(config)).toEqual([])
    expect(plannedKeysInUse({ ...config, scheduler: { numWorkers: 3 } })).toEqual(['scheduler'])
    expect(plannedKeysInUse({ ...config, http: { ...config.http, allowOrigin: '*' } })).toEqual([])
  })
})
