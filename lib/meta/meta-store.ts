/**
 * @module
 * The metadata store: when each tag and manifest was pushed and pulled, which repositories
 * hold which blobs (the dedupe index), and users' stars and bookmarks. Retention's time and count rules read it, so it must
 * survive restarts; it is written from registry events and read by GC.
 *
 * The interface is small and its reads are async so that stores other than the local SQLite one
 * can implement it: `bucket-meta-store.ts` keeps it in the bucket for replicas sharing S3. Writes are synchronous
 * fire-and-forget calls because they run inside event listeners, which must never wait.
 */
import type { DedupeIndex, Origin } from '../registry/registry'

/** Times are milliseconds since the epoch. */
export interface ManifestStats {
  /** Last time the manifest was pushed (undefined: it arrived some other way, e.g. a sync). */
  pushedAt?: number
  /** Last time it was pulled, by tag or by digest. */
  pulledAt?: number
  pullCount: number
  /**
   * Who stored it: `push` once any client pushed it (it stays so), `sync` when only the
   * pull-through cache or mirror did (the cache budget may evict it), undefined when recorded
   * before origins were (never evicted).
   */
  origin?: Origin
}

export interface TagStats {
  /** The manifest the tag pointed to when it was last pushed. */
  digest: string
  pushedAt: number
}

export interface RepositoryStats {
  tags: Map<string, TagStats>
  manifests: Map<string, ManifestStats>
}

/** A user's star or bookmark on a repository (zot's userprefs), kept across restarts. */
export interface UserMark {
  username: string
  repository: string
  kind: 'star' | 'bookmark'
}

export interface MetaStore {
  /** Where the store lives, for logs. */
  readonly location: string
  /** The dedupe index the blob store consults. */
  readonly blobLocations: DedupeIndex
  /** `origin` defaults to `push`; a `sync` never turns a pushed manifest into a cached one. */
  recordPush(repository: string, digest: string, tags: readonly string[], at?: number, origin?: Origin): void
  recordPull(repository: string, digest: string, tag: string | undefined, at?: number): void
  forgetTag(repository: string, tag: string): void
  /** Forgets the manifest and every tag that pointed to it. */
  forgetManifest(repository: string, digest: string): void
  forgetRepository(repository: string): void
  repositoryStats(repository: string): Promise<RepositoryStats>
  /** Every user's stars and bookmarks (search loads them once). */
  userMarks(): Promise<UserMark[]>
  /** Sets (`on`) or clears a star or bookmark; resolves once it is durable. */
  setUserMark(mark: UserMark, on: boolean): Promise<void>
  /**
   * Search's metadata of manifests (JSON), by digest: content-addressed, so never stale. Lets a
   * restart skip reading every manifest and config again. Stores where a lookup costs as much as
   * reading the manifest (the bucket) keep nothing.
   */
  savedManifests(digests: readonly string[]): Promise<Map<string, string>>
  saveManifests(entries: readonly (readonly [digest: string, json: string])[]): void
  /** Drops saved manifests not in `digests` (after search has read every repository). */
  keepManifests(digests: ReadonlySet<string>): Promise<void>
  /** Small persistent settings (e.g. the dedupe mode the storage was last reconciled to). */
  setting(key: string): Promise<string | undefined>
  setSetting(key: string, value: string): Promise<void>
  /** Makes every recorded event durable (a store that buffers writes them now). */
  flush(): Promise<void>
  close(): void
}
