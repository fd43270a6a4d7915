/**
 * @module
 * Which keys of a config are accepted but not implemented yet, so `serve` can warn about each
 * instead of silently ignoring it. The loader remembers which keys the file set; for a config
 * built by hand, a key counts as set when it differs from its default.
 */
import { entryPath, childPath, itemPath, type ConfigFinding } from '../findings'
import { configSchema, type Config } from '../schema'
import { defaultOf, type AnyNode } from '../schema/builder'
import { setPathsOf } from './set-paths'
import { effectiveStatus, inheritedBy, isGrouping, type Inherited } from './status'

/** Key paths set in this config whose schema status is `planned`, outermost first: a planned
 * section is reported once, not key by key. */
export function plannedKeysInUse(config: Config): string[] {
  const setPaths = setPathsOf(config)
  const isSet = (node: AnyNode, value: unknown, path: string) =>
    setPaths ? setPaths.has(path) : differsFromDefault(node, value)
  const found: string[] = []
  const visit = (node: AnyNode, value: unknown, path: string, inherited: Inherited): void => {
    if (value === undefined) return
    if (!isGrouping(node, inherited) && effectiveStatus(node, inherited) === 'planned') {
      if (isSet(node, value, path)) found.push(path)
      return
    }
    const childInherited = inheritedBy(node, inherited)
    forEachChild(node, value, path, (child, childValue, nextPath) => visit(child, childValue, nextPath, childInherited))
  }
  visit(configSchema, config, '', undefined)
  return found
}

/** The planned keys in use as warnings, one per key or section, for `verify-config`. */
export function plannedKeyWarnings(config: Config): ConfigFinding[] {
  return plannedKeysInUse(config).map((path) => ({
    severity: 'warning',
    path,
    message: 'accepted but not implemented yet: it has no effect in this version',
  }))
}

type ChildVisitor = (node: AnyNode, value: unknown, path: string) => void

function forEachChild(node: AnyNode, value: unknown, path: string, visit: ChildVisitor): void {
  if (value === null || typeof value !== 'object') return
  const record = value as Record<string, unknown>
  if (node.kind === 'object') {
    for (const [key, child] of Object.entries(node.fields)) visit(child, record[key], childPath(path, key))
  } else if (node.kind === 'array' && Array.isArray(value)) {
    value.forEach((item, index) => visit(node.item, item, itemPath(path, index)))
  } else if (node.kind === 'map') {
    for (const [key, item] of Object.entries(record)) visit(node.value, item, entryPath(path, key))
  }
}

function differsFromDefault(node: AnyNode, value: unknown): boolean {
  if (node.kind === 'object') {
    if (!node.present) return true
    let differs = false
    forEachChild(node, value, '', (child, childValue) => {
      differs ||= childValue !== undefined && differsFromDefault(child, childValue)
    })
    return differs
  }
  // Filled by a rule from other keys: only those other keys tell whether the user set it.
  if (node.defaultValue === undefined && node.present) return false
  const fallback = defaultOf(node)
  return fallback === undefined || !Bun.deepEquals(value, fallback)
}
