/**
 * @module
 * Recent blob activity that storage mtimes cannot show: a blob mounted or deduped is a hard link
 * to an old inode, and a HEAD or a re-upload of an existing blob writes nothing, yet in each case
 * a client is about to PUT a manifest that relies on the blob. GC treats a blob touched within
 * `gcDelay` as young, so it never deletes one between a client's "blob exists" and its manifest
 * PUT (quay#6318, zot#77). Kept in memory: after a restart the server's start time stands in.
 *
 * Replicas on one bucket answer HEADs that another replica's GC must know of: each replica
 * publishes its touches to the bucket every second, one small document per flush (only when it
 * touched something), and a sweep reads the documents it has not seen yet before it deletes
 * (`catchUp`). Documents expire after `gcDelay` (at least an hour); each replica deletes its own,
 * and a GC deletes those a killed replica left. This is what spares reused blobs; that no
 * acknowledged manifest ever loses a blob does not depend on it (lib/registry/maintenance/sweep-claims.ts).
 */
import type { RegistryEventSource } from '../../registry/events'
import { statePaths } from '../../registry/layout'
import type { StateStore } from '../../registry/storage/state-store'

/** How often a replica publishes its touches. */
export const ACTIVITY_FLUSH_MS = 1000
/** A sweep waits this long after claiming, so touches answered before the claim are published. */
const PUBLISH_GRACE_MS = 2 * ACTIVITY_FLUSH_MS + 500
/**
 * Documents are kept at least this long, whatever a replica's own `gcDelay`: replicas may be
 * configured differently, and a touch older than an hour protects only a client that waited an
 * hour between "blob exists" and its manifest PUT.
 */
const MIN_RETENTION_MS = 60 * 60_000
/** `<epoch ms, 15 digits>-<replica>.json`: sorted by time, named by nothing a client controls. */
const DOCUMENT_NAME = /^(\d{15})-[0-9a-f-]{36}\.json$/

const key = (repository: string, digest: string): string => `${repository}\u0000${digest}`

interface Sharing {
  state: StateStore
  replica: string
  /** Touches not yet published. */
  pending: Map<string, [string, string]>
  /** Documents already read (or written) by this process. */
  seen: Set<string>
  /** Documents older than this many ms are deleted (by their writer, or by a GC reading them). */
  retentionMs: number
  /** This replica's documents, oldest first, for deleting them once expired. */
  written: { name: string; at: number }[]
}

export class RecentActivity {
  private readonly touched = new Map<string, number>()
  private sharing: Sharing | undefined

  constructor(private readonly clock: () => number = Date.now) {}

  touch(repository: string, digest: string): void {
    this.touched.set(key(repository, digest), this.clock())
    this.sharing?.pending.set(key(repository, digest), [repository, digest])
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

  /**
   * Publishes touches through `state` (the shared bucket) every second, and makes `catchUp` read
   * other replicas' touches. Returns the stop function.
   */
  share(state: StateStore, gcDelay: number, onError: (error: unknown) => void): () => void {
    const retentionMs = Math.max(gcDelay, MIN_RETENTION_MS)
    this.sharing = {
      state,
      replica: crypto.randomUUID(),
      pending: new Map(),
      seen: new Set(),
      retentionMs,
      written: [],
    }
    const timer = setInterval(() => void this.publish().catch(onError), ACTIVITY_FLUSH_MS)
    timer.unref()
    return () => clearInterval(timer)
  }

  /** Writes the touches since the last flush as one document; kept for the next flush on failure. */
  async publish(): Promise<void> {
    const sharing = this.sharing
    if (!sharing) return
    const now = this.clock()
    while (sharing.written.length > 0 && sharing.written[0]!.at < now - sharing.retentionMs) {
      await sharing.state.delete(statePaths.gcActivity(sharing.written[0]!.name))
      sharing.written.shift()
    }
    if (sharing.pending.size === 0) return
    const batch = sharing.pending
    sharing.pending = new Map()
    const name = `${String(now).padStart(15, '0')}-${sharing.replica}.json`
    try {
      await sharing.state.write(statePaths.gcActivity(name), JSON.stringify([...batch.values()]))
      sharing.seen.add(name)
      sharing.written.push({ name, at: now })
    } catch (error) {
      for (const [entry, touch] of batch) if (!sharing.pending.has(entry)) sharing.pending.set(entry, touch)
      throw error
    }
  }

  /**
   * For a sweep on shared storage: waits until touches answered before now are published, then
   * reads the documents not seen yet (a document's time stands for each touch in it, which is
   * no earlier than the touch). Documents from before `since` cannot make a blob young and are
   * not read; expired ones (a killed replica's) are deleted. No-op unshared.
   */
  async catchUp(since: number): Promise<void> {
    const sharing = this.sharing
    if (!sharing) return
    await Bun.sleep(PUBLISH_GRACE_MS)
    const names = await sharing.state.list(statePaths.gcActivityFolder)
    const expired = this.clock() - sharing.retentionMs
    for (const name of names) {
      const at = Number(DOCUMENT_NAME.exec(name)?.[1] ?? Number.NaN)
      if (Number.isNaN(at)) continue
      if (at < expired) {
        await sharing.state.delete(statePaths.gcActivity(name))
        continue
      }
      if (at < since || sharing.seen.has(name)) continue
      sharing.seen.add(name)
      const document = await sharing.state.read(statePaths.gcActivity(name))
      for (const [repository, digest] of parseTouches(document)) {
        const entry = key(repository, digest)
        this.touched.set(entry, Math.max(this.touched.get(entry) ?? 0, at))
      }
    }
    const listed = new Set(names)
    for (const name of sharing.seen) if (!listed.has(name)) sharing.seen.delete(name)
  }
}

/** `[[repository, digest], ...]`; anything else in a document is ignored. */
function parseTouches(document: Uint8Array | undefined): [string, string][] {
  if (!document) return []
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(document))
    if (!Array.isArray(parsed)) return []
    return parsed.filter(
      (touch): touch is [string, string] =>
        Array.isArray(touch) && typeof touch[0] === 'string' && typeof touch[1] === 'string',
    )
  } catch {
    return []
  }
}
