/**
 * @module
 * The list of repositories. Built by walking storage (lazily, on the first catalog request, so
 * start-up never waits for a walk) and kept current as repositories are created or seen. On
 * storage other processes write too (replicas on one bucket), repositories appear and vanish
 * behind this process's back, so the walk is repeated when it is older than `refreshAfterMs`:
 * one walk at a time (callers share it), and a repository created here meanwhile is kept.
 */
import { isValidRepositoryName, STORAGE_LAYOUT_NAMES } from '../oci/names'
import type { StorageDriver } from '../storage/driver'
import { INDEX_FILE } from './layout'

export interface CatalogOptions {
  /** Walk storage again when the last walk is older than this (shared storage); never when absent. */
  refreshAfterMs?: number
  clock?: () => number
}

export class Catalog {
  private known = new Set<string>()
  /** Repositories created or seen since the running walk started: the walk may have missed them. */
  private addedDuringWalk = new Set<string>()
  private walk: Promise<void> | undefined
  private walking = false
  private walkedAt = 0
  private sorted: string[] | undefined
  private readonly clock: () => number

  constructor(
    private readonly driver: StorageDriver,
    private readonly options: CatalogOptions = {},
  ) {
    this.clock = options.clock ?? Date.now
  }

  /** Records a repository that exists (created, or found by a read). */
  add(repository: string): void {
    if (this.walking) this.addedDuringWalk.add(repository)
    if (this.known.has(repository)) return
    this.known.add(repository)
    this.sorted = undefined
  }

  /** Whether the repository is known to exist (walked, created or read), without a storage call. */
  has(repository: string): boolean {
    return this.known.has(repository)
  }

  remove(repository: string): void {
    this.addedDuringWalk.delete(repository)
    if (this.known.delete(repository)) this.sorted = undefined
  }

  /** Every repository, sorted. */
  async list(): Promise<string[]> {
    if (!this.walk || this.isStale()) this.walk = this.walkAll()
    await this.walk
    this.sorted ??= [...this.known].sort()
    return this.sorted
  }

  private isStale(): boolean {
    const { refreshAfterMs } = this.options
    return refreshAfterMs !== undefined && !this.walking && this.clock() - this.walkedAt >= refreshAfterMs
  }

  private async walkAll(): Promise<void> {
    this.walking = true
    this.addedDuringWalk = new Set()
    const found = new Set<string>()
    try {
      await this.walkStorage('', found)
      // A first walk adds to what was recorded before it; a refresh replaces it (others delete too).
      const base = this.options.refreshAfterMs === undefined ? this.known : this.addedDuringWalk
      this.known = new Set([...base, ...found])
      this.sorted = undefined
      this.walkedAt = this.clock()
    } catch (error) {
      // A failed walk is retried by the next caller.
      this.walk = undefined
      throw error
    } finally {
      this.walking = false
    }
  }

  /**
   * A directory holding index.json is a repository; repositories may nest (`a` and `a/b`). The
   * layout's own directories (`blobs`, `.uploads`...) are never descended into, so nothing inside
   * a repository's layout is taken for a repository, even data written before names were checked.
   */
  private async walkStorage(directory: string, found: Set<string>): Promise<void> {
    const entries = await this.driver.list(directory)
    if (directory !== '' && entries.includes(INDEX_FILE) && isValidRepositoryName(directory)) found.add(directory)
    const children = entries.filter(
      (name) => !STORAGE_LAYOUT_NAMES.has(name) && /^[a-z0-9]/.test(name) && !name.includes('.tmp'),
    )
    await Promise.all(children.map((name) => this.walkStorage(directory === '' ? name : `${directory}/${name}`, found)))
  }
}
