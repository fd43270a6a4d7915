/**
 * @module
 * The effective implementation status of schema nodes. A node without a status inherits from
 * the nearest ancestor that has one (so flipping `extensions.sync` to `implemented` covers all of
 * sync); below a `planned` ancestor everything is planned; with no such ancestor a key is planned.
 */
import type { AnyNode, Status } from '../schema/builder'

/** The status a node's children inherit: the nearest explicit one, if any. */
export type Inherited = Status | undefined

export function effectiveStatus(node: AnyNode, inherited: Inherited): Status {
  if (inherited === 'planned') return 'planned'
  return node.doc.status ?? inherited ?? 'planned'
}

export function inheritedBy(node: AnyNode, inherited: Inherited): Inherited {
  return inherited === 'planned' ? 'planned' : (node.doc.status ?? inherited)
}

/** Containers without a status only group keys: their own status is their children's. */
export function isGrouping(node: AnyNode, inherited: Inherited): boolean {
  return node.kind === 'object' && node.doc.status === undefined && inherited === undefined
}
