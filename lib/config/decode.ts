/**
 * @module
 * Decodes a parsed config against the schema like zot's strict viper/mapstructure load: keys
 * match case-insensitively and come out with their canonical names, scalars are weakly typed,
 * unknown keys are errors (with advice), and fixed defaults fill what the file leaves out. It
 * also records every key path the file sets, which later decides context-dependent defaults and
 * the "not implemented yet" warnings.
 *
 * A value that fails to decode is reported and replaced by its default (or an empty value of
 * its type), so the result always has the shape of `Config` and the cross-field checks can still
 * run: one `verify` shows every mistake instead of one per attempt.
 */
import { adviseUnknownKey } from './advice/key-advice'
import { childPath, entryPath, itemPath, type FindingList } from './findings'
import { coerceScalar } from './values/scalars'
import {
  defaultOf,
  type AnyNode,
  type ArrayShape,
  type EnumShape,
  type FreeMapShape,
  type MapShape,
  type ObjectShape,
} from './schema/builder'
import { nearest } from './advice/suggest'

export interface Decoded {
  value: unknown
  /** Key paths present in the file, e.g. `storage.gcDelay`, `http.auth.openid.providers.oidc`. */
  setPaths: Set<string>
}

interface Context {
  findings: FindingList
  setPaths: Set<string>
  /** Whether unknown keys may be pointed to other places of the config schema. */
  isConfig: boolean
}

/** Decodes `raw` against `node`. `isConfig` is false for files that are not a zot config (secret
 * files), where pointing an unknown key to a config section would mislead. */
export function decode(node: AnyNode, raw: unknown, findings: FindingList, isConfig = true): Decoded {
  const context: Context = { findings, setPaths: new Set(), isConfig }
  return { value: decodeNode(node, raw, '', '', context), setPaths: context.setPaths }
}

/** `path` is the concrete key path for messages; `schemaPath` uses `[]` and `*` for indices and
 * map keys, for matching known mistakes. */
function decodeNode(node: AnyNode, raw: unknown, path: string, schemaPath: string, context: Context): unknown {
  if (raw === undefined || (raw === null && node.kind !== 'object')) return absent(node, path, context)
  context.setPaths.add(path)
  if (node.doc.deprecated) {
    const { reason, fix } = node.doc.deprecated
    context.findings.warn(path, `deprecated: ${reason}`, { value: raw, fix })
  }
  switch (node.kind) {
    case 'object':
      return decodeObject(node, raw ?? {}, path, schemaPath, context)
    case 'array':
      return decodeArray(node, raw, path, schemaPath, context)
    case 'map':
      return decodeMap(node, raw, path, schemaPath, context)
    case 'free-map':
      return isRecord(raw)
        ? decodeFreeMap(node, raw, path, schemaPath, context)
        : typeMismatch(node, raw, 'an object', path, context)
    case 'enum':
      return decodeEnum(node, raw, path, context)
    default: {
      const coerced = coerceScalar(node.kind, raw)
      if (!coerced.ok) {
        context.findings.error(path, coerced.reason, {
          value: raw,
          ...(coerced.fix ? { fix: coerced.fix } : {}),
        })
        return fallback(node)
      }
      return checkRange(node.min, node.max, coerced.value, path, context) ? coerced.value : fallback(node)
    }
  }
}

function absent(node: AnyNode, path: string, context: Context): unknown {
  if (node.required) {
    const example = node.doc.example === undefined ? '' : `, e.g. ${JSON.stringify(node.doc.example)}`
    context.findings.error(path, `required key is missing: ${node.doc.description}`, {
      fix: `add \`${path.replace(/^.*\./, '')}\`${example}`,
    })
  }
  if (node.kind === 'object') return node.present ? decodeObject(node, {}, path, '', context) : undefined
  return node.defaultValue === undefined && !node.present ? undefined : fallback(node)
}

/** The default of a node, or the empty value of its kind; fresh on every call. */
function fallback(node: AnyNode): unknown {
  const value = defaultOf(node)
  if (value !== undefined) return structuredClone(value)
  switch (node.kind) {
    case 'string':
    case 'path':
      return ''
    case 'bool':
      return false
    case 'enum':
      return node.values[0]
    case 'array':
      return []
    case 'map':
    case 'free-map':
      return {}
    case 'object':
      return undefined
    default:
      return 0
  }
}

function decodeObject(node: ObjectShape, raw: unknown, path: string, schemaPath: string, context: Context): unknown {
  if (!isRecord(raw)) return typeMismatch(node, raw, 'an object', path, context)
  const byLowerName = new Map(Object.keys(node.fields).map((name) => [name.toLowerCase(), name]))
  const written = new Map<string, string>()
  for (const key of Object.keys(raw)) {
    const field = byLowerName.get(key.toLowerCase())
    if (field === undefined) {
      const advice = adviseUnknownKey(schemaPath, key, raw, Object.keys(node.fields), context.isConfig)
      context.findings.error(childPath(path, key), advice.message, {
        value: raw[key],
        ...(advice.fix ? { fix: advice.fix } : {}),
      })
      continue
    }
    const earlier = written.get(field)
    if (earlier !== undefined) {
      context.findings.error(
        childPath(path, key),
        `\`${earlier}\` and \`${key}\` are the same key (keys ignore case)`,
        { fix: 'keep only one of them' },
      )
      continue
    }
    written.set(field, key)
  }
  const result: Record<string, unknown> = {}
  for (const [name, child] of Object.entries(node.fields)) {
    const key = written.get(name)
    const childRaw = key === undefined ? undefined : raw[key]
    const value = decodeNode(child, childRaw, childPath(path, name), childPath(schemaPath, name), context)
    if (value !== undefined) result[name] = value
  }
  return result
}

/** Driver settings: keys lower-cased; the parameters the schema knows for the driver `name`
 * decoded and defaulted like object fields, the others kept as written. */
function decodeFreeMap(
  node: FreeMapShape,
  raw: Record<string, unknown>,
  path: string,
  schemaPath: string,
  context: Context,
): unknown {
  const result = lowerCaseKeys(raw) as Record<string, unknown>
  const known = node.known === undefined ? undefined : Object.entries(node.known).find(([name]) => name === result.name)
  if (known === undefined) return result
  for (const [key, child] of Object.entries(known[1])) {
    const written = result[key] === '' ? undefined : result[key]
    const value = decodeNode(child, written, childPath(path, key), childPath(schemaPath, key), context)
    if (value === undefined) delete result[key]
    else result[key] = value
  }
  return result
}

function decodeArray(node: ArrayShape, raw: unknown, path: string, schemaPath: string, context: Context): unknown {
  let items: unknown[]
  if (Array.isArray(raw)) items = raw
  else {
    // zot's decoder turns a single value into a list of one; accept it, but say so.
    context.findings.warn(path, 'expected a list; read as a list with one item', {
      value: raw,
      fix: 'write the value inside [ ]',
    })
    items = [raw]
  }
  return items.map((item, index) => decodeNode(node.item, item, itemPath(path, index), `${schemaPath}[]`, context))
}

function decodeMap(node: MapShape, raw: unknown, path: string, schemaPath: string, context: Context): unknown {
  if (!isRecord(raw)) return typeMismatch(node, raw, 'an object', path, context)
  const result: Record<string, unknown> = {}
  for (const [writtenKey, value] of Object.entries(raw)) {
    const key = node.keyCase === 'lower' ? writtenKey.toLowerCase() : writtenKey
    if (key in result) {
      context.findings.error(
        entryPath(path, writtenKey),
        `${node.keyDoc} "${key}" is written twice (names ignore case)`,
        {
          fix: 'keep only one of them',
        },
      )
      continue
    }
    result[key] = decodeNode(node.value, value, entryPath(path, key), `${schemaPath}.*`, context)
  }
  return result
}

function decodeEnum(node: EnumShape, raw: unknown, path: string, context: Context): unknown {
  const text = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim().toLowerCase() : undefined
  const match =
    node.values.find((value) => value.toLowerCase() === text) ??
    Object.entries(node.aliases ?? {}).find(([alias]) => alias.toLowerCase() === text)?.[1]
  if (match !== undefined) return match
  const suggestion = typeof raw === 'string' ? nearest(raw, node.values) : undefined
  context.findings.error(path, `not one of ${node.values.map((value) => `"${value}"`).join(', ')}`, {
    value: raw,
    fix: suggestion ? `did you mean "${suggestion}"?` : `use one of: ${node.values.join(', ')}`,
  })
  return fallback(node)
}

function typeMismatch(node: AnyNode, raw: unknown, expected: string, path: string, context: Context): unknown {
  const example = node.doc.example === undefined ? '' : ` such as ${JSON.stringify(node.doc.example)}`
  context.findings.error(path, `expected ${expected}${example}, found ${describeValue(raw)}`, {
    value: raw,
  })
  return node.kind === 'object'
    ? node.present
      ? decodeObject(node, {}, path, '', context)
      : undefined
    : fallback(node)
}

function checkRange(min: number | undefined, max: number | undefined, value: unknown, path: string, context: Context) {
  if (typeof value !== 'number') return true
  if (min !== undefined && value < min) {
    context.findings.error(path, `must be at least ${min}`, {
      value,
      fix: `set it to ${min} or more`,
    })
    return false
  }
  if (max !== undefined && value > max) {
    context.findings.error(path, `must be at most ${max}`, {
      value,
      fix: `set it to ${max} or less`,
    })
    return false
  }
  return true
}

function describeValue(raw: unknown): string {
  if (Array.isArray(raw)) return 'a list'
  if (raw === null) return 'null'
  return typeof raw === 'string' ? `the string ${JSON.stringify(raw)}` : `${typeof raw} ${JSON.stringify(raw)}`
}

/** viper lower-cases every key it reads; driver settings reach the drivers that way in zot. */
function lowerCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(lowerCaseKeys)
  if (!isRecord(value)) return value
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key.toLowerCase(), lowerCaseKeys(item)]))
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
