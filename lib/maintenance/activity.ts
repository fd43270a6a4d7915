/**
 * @module
 * Recent blob activity that storage mtimes cannot show: a blob mounted or deduped is a hard link
 * to an old inode, and a HEAD or a re-upload of an existing blob writes nothing, yet in each case
 * a client is about to PUT a manifest that relies on the blob. GC treats a blob touched within
 * `gcDelay` as young, so it never deletes one between a client's "blob exists" and its manifest
 * PUT (quay#6318, zot#77). Kept in memory: after a restart the server's start time stands in.
 */
import type { RegistryEventSource } from '../registry/events'

const key = (repository: string, digest: string): string => `${repository}\u0000${digest}`

export class RecentActivity {
  private readonly touched = new Map<string, number>()

  constructor(private readonly clock: () => number = Date.now) {}

  touch(repository: string, digest: string): void {
    this.touched.set(key(repository, digest), this.clock())
  }

  lastTouched(repository: string, digest: string): number | undefined {
    return this.touched.get(key(repository, digest))
  }

  /** Drops touches older than `cutoff`: they no longer protect anything. */
  forgetBefore(cutoff: number): void {
    for (const [entry, at] of this.touched) if (at < cutoff) this.touched.delete(entry)
  }

  /** Records blob uploads, mounts and HEADs, and manifest pushes; returns the unsubscribe. */
  follow(events: RegistryEventSource): () => void {
    return events.subscribe({
      blobTouched: (repository, digest) => this.touch(repository, digest),
      manifestPushed: (repository, digest) => this.touch(repository, digest),
    })
  }
}
