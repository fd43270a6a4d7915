/**
 * @module
 * What happened in the registry, for the services that keep score: retention's push and pull
 * times, GC's grace period for recently touched blobs, metrics. Listeners must be cheap and must
 * not throw; a slow one delays nothing because emit does not wait for promises.
 */
import type { Descriptor } from '../oci/manifest'

export interface RegistryListener {
  /**
   * A manifest was stored under its digest and these tags (none: pushed by digest), by a client
   * (`push`) or by the pull-through cache (`sync`): retention counts both, upload metrics only
   * pushes.
   */
  manifestPushed(repository: string, digest: string, tags: string[], origin: 'push' | 'sync'): void
  /** A manifest was downloaded (GET, not HEAD), by tag or digest. */
  manifestPulled(repository: string, digest: string, tag: string | undefined): void
  /** A manifest or tag was deleted through the API; `descriptor` is what it named. */
  manifestDeleted(repository: string, reference: string, descriptor: Descriptor): void
  /** This process created a repository (its first upload, mount or manifest). */
  repositoryCreated(repository: string): void
  /** A blob was uploaded, mounted or checked with HEAD: a client is about to rely on it. */
  blobTouched(repository: string, digest: string): void
}

/** The registry's events as its users see them: they listen, only the registry raises. */
export interface RegistryEventSource {
  /** Adds a listener; returns the unsubscribe function. */
  subscribe(listener: Partial<RegistryListener>): () => void
}

export class RegistryEvents implements RegistryEventSource {
  private readonly listeners: Partial<RegistryListener>[] = []

  subscribe(listener: Partial<RegistryListener>): () => void {
    this.listeners.push(listener)
    return () => {
      const index = this.listeners.indexOf(listener)
      if (index >= 0) this.listeners.splice(index, 1)
    }
  }

  emit<K extends keyof RegistryListener>(event: K, ...args: Parameters<RegistryListener[K]>): void {
    for (const listener of this.listeners) {
      const handler = listener[event] as ((...a: Parameters<RegistryListener[K]>) => void) | undefined
      handler?.apply(listener, args)
    }
  }
}
