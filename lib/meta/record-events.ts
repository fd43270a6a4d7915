/**
 * @module
 * Feeds the metadata store from registry events: pushes, pulls (by tag or digest: a pull-through
 * cache entry pulled only by digest is recorded too, so retention can keep it, zot #4148) and API
 * deletes. A failing store write is logged, never thrown into the request that emitted it.
 */
import type { Logger } from '../log/logger'
import { isDigest } from '../oci/digest'
import type { RegistryEventSource } from '../registry/events'
import type { MetaStore } from './meta-store'

/**
 * Subscribes the store to the registry's events; returns the unsubscribe function.
 *
 * @example
 * const stop = recordRegistryEvents(registry.events, meta, logger)
 */
export function recordRegistryEvents(events: RegistryEventSource, meta: MetaStore, logger: Logger): () => void {
  const guarded = (what: string, write: () => void): void => {
    try {
      write()
    } catch (error) {
      logger.warn('metadata store write failed', { what, location: meta.location, error })
    }
  }
  const forget = (repository: string, reference: string): void =>
    isDigest(reference) ? meta.forgetManifest(repository, reference) : meta.forgetTag(repository, reference)
  return events.subscribe({
    manifestPushed: (repository, digest, tags, origin) =>
      guarded('push', () => meta.recordPush(repository, digest, tags, Date.now(), origin)),
    manifestPulled: (repository, digest, tag) => guarded('pull', () => meta.recordPull(repository, digest, tag)),
    manifestDeleted: (repository, reference) => guarded('delete', () => forget(repository, reference)),
  })
}
