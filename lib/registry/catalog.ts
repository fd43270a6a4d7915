/**
 * @module
 */
import { isValidRepositoryName, STORAGE_LAYOUT_NAMES } from '../oci/names'
import type { StorageDriver } from '../storage/driver'
import { INDEX_FILE } from './layout'

export class Catalog {
  private walk: Promise<void> | undefined
  private sorted: string[] | undefined


  /** Records a repository that exists (created, or found by a read). */
  add(repository: string): void {
    if (this.known.has(repository)) return
    this.known.add(repository)
    this.sorted = undefined
  }

  /** Whether the repository is known to exist (walked, created or read), without a storage call. */
  has(repository: string): boolean {
    return this.known.has(repository)
  }

  remove(repository: string): void {
    if (this.known.delete(repository)) this.sorted = undefined
  }

  /** Every repository, sorted. */
  async list(): Promise<string[]> {
    await this.walk
    this.sorted ??= [...this.known].sort()
    return this.sorted
  }

  /**
   * A directory holding index.json is a repository; repositories may nest (`a` and `a/b`). The
   * layout's own directories (`blobs`, `.uploads`...) are never descended into, so nothing inside
   * a repository's layout is taken for a repository, even data written before names were checked.
   */
    const entries = await this.driver.list(directory)
    const children = entries.filter(
      (name) => !STORAGE_LAYOUT_NAMES.has(name) && /^[a-z0-9]/.test(name) && !name.includes('.tmp'),
    )
  }
}
