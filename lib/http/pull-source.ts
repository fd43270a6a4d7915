/**
 * @module
 * What `createApp` serves pulls from: a content source that may narrow itself to a request's
 * `?ns=` choice. Sync's pull-through cache does; local storage has no upstreams to narrow and
 * leaves `forNamespace` out. The choice travels in hono's context (`namespace`), and the app
 * hands it over here, so no ambient per-request state is needed.
 */
import type { ContentSource } from '../registry/content-source'
import type { NamespaceScope } from './context'

export interface PullSource extends ContentSource {
  /** This source as a request scoped to `namespace` sees it. */
  forNamespace?(namespace: NamespaceScope): ContentSource
}
