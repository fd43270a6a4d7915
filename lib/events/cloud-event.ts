/**
 * @module
 * zot's events as CloudEvents 1.0 (docs/zot-compatibility.md 2.7): types
 * `<typePrefix>.repository.created`, `.image.updated`, `.image.deleted`, `.image.lint_failed`,
 * source `zotregistry.dev` unless configured, JSON data with the fields zot sends (`name`,
 * `reference`, `digest`, `mediaType`, `manifest` for updates) plus who asked (`actor`, `request`).
 */
import type { EventContext } from './event-context'

export const DEFAULT_SOURCE = 'zotregistry.dev'
export const DEFAULT_TYPE_PREFIX = 'zotregistry'

export type EventKind = 'repository.created' | 'image.updated' | 'image.deleted' | 'image.lint_failed'

/** A structured-mode CloudEvent (its JSON form is the NATS payload; HTTP sends it binary). */
export interface CloudEvent {
  specversion: '1.0'
  id: string
  source: string
  type: string
  time: string
  datacontenttype: 'application/json'
  data: Record<string, unknown>
  /** zot's extension attribute naming the sink's channel, when one is configured. */
  channel?: string
}

export interface EventNaming {
  source: string
  typePrefix: string
}

export function cloudEvent(
  naming: EventNaming,
  kind: EventKind,
  data: Record<string, unknown>,
  context: EventContext | undefined,
): CloudEvent {
  return {
    specversion: '1.0',
    id: crypto.randomUUID(),
    source: naming.source,
    type: `${naming.typePrefix}.${kind}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: {
      ...data,
      ...(context?.actor && { actor: { name: context.actor } }),
      ...(context?.request && { request: context.request }),
    },
  }
}
