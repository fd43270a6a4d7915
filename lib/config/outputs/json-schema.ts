/**
 * @module
 * The JSON Schema (draft-07) printed by `zot schema`, generated from the config schema. Keys are
 * case-insensitive, so besides the canonical `properties` (what editors complete) every
 * camelCase key also matches a `patternProperties` entry for any spelling (zot's own schema
 * only adds the lower-case one), as a `$ref` to the canonical key. Each key carries `x-status`
 * (`implemented` or `planned`).
 */
import { formatDuration, GO_DURATION_PATTERN } from '../values/duration'
import { configSchema } from '../schema'
import { SIZE_PATTERN } from '../values/size'
import { defaultOf, type AnyNode } from '../schema/builder'
import { effectiveStatus, inheritedBy, isGrouping, type Inherited } from '../implementation/status'

type JsonSchema = Record<string, unknown>

export function configJsonSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'zot configuration (zot-bun)',
    ...nodeSchema(configSchema, '#', undefined),
  }
}

function nodeSchema(node: AnyNode, pointer: string, inherited: Inherited): JsonSchema {
  const fixedDefault = defaultOf(node)
  const deprecated = node.doc.deprecated ? ` Deprecated: ${node.doc.deprecated.reason}.` : ''
  const common: JsonSchema = {
    description: node.doc.description + deprecated,
    ...(isGrouping(node, inherited) ? {} : { 'x-status': effectiveStatus(node, inherited) }),
    ...(fixedDefault === undefined || typeof node.defaultValue === 'function'
      ? {}
      : {
          default: node.kind === 'duration' ? formatDuration(fixedDefault as number) : fixedDefault,
        }),
    ...(node.doc.example === undefined ? {} : { examples: [node.doc.example] }),
  }
  const childInherited = inheritedBy(node, inherited)
  switch (node.kind) {
    case 'string':
    case 'path':
      return { type: 'string', ...common }
    case 'bool':
      return { type: 'boolean', ...common }
    case 'number':
      return { type: 'number', ...common }
    case 'int':
      return { type: 'integer', ...bounds(node.min, node.max), ...common }
    case 'port':
      return {
        type: ['integer', 'string'],
        pattern: '^[0-9]+$',
        minimum: 0,
        maximum: 65535,
        ...common,
      }
    case 'duration':
      return { type: 'string', pattern: GO_DURATION_PATTERN, ...common }
    case 'size':
      return { type: ['integer', 'string'], pattern: SIZE_PATTERN.source, minimum: 0, ...common }
    case 'enum':
      return {
        type: 'string',
        enum: [...node.values, ...Object.keys(node.aliases ?? {})],
        ...common,
      }
    case 'array':
      return {
        type: 'array',
        items: nodeSchema(node.item, `${pointer}/items`, childInherited),
        ...common,
      }
    case 'map':
      return {
        type: 'object',
        additionalProperties: nodeSchema(node.value, `${pointer}/additionalProperties`, childInherited),
        ...common,
      }
    case 'free-map':
      return { type: 'object', additionalProperties: true, ...common }
    case 'object': {
      const properties: JsonSchema = {}
      const patternProperties: JsonSchema = {}
      const required: string[] = []
      for (const [key, child] of Object.entries(node.fields)) {
        const childPointer = `${pointer}/properties/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`
        properties[key] = nodeSchema(child, childPointer, childInherited)
        patternProperties[anyCase(key)] = { $ref: childPointer }
        if (child.required || hasRequiredKeys(child)) required.push(key)
      }
      return {
        type: 'object',
        properties,
        patternProperties,
        additionalProperties: false,
        ...(required.length ? { required } : {}),
        ...common,
      }
    }
  }
}

/** `^[rR][oO][oO][tT]...$`: the key in any letter case. */
function anyCase(key: string): string {
  const letters = [...key].map((char) =>
    /[a-z]/i.test(char) ? `[${char.toLowerCase()}${char.toUpperCase()}]` : char.replace(/[.*+?^${}()|[\]\\/-]/, '\\$&'),
  )
  return `^${letters.join('')}$`
}

function bounds(min: number | undefined, max: number | undefined): JsonSchema {
  return {
    ...(min === undefined ? {} : { minimum: min }),
    ...(max === undefined ? {} : { maximum: max }),
  }
}

/** An always-present object with a required key is itself required in the file. */
function hasRequiredKeys(node: AnyNode): boolean {
  return (
    node.kind === 'object' &&
    node.present &&
    Object.values(node.fields).some((child) => child.required || hasRequiredKeys(child))
  )
}
