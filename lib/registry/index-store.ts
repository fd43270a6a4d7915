/**
 * @module
 * Reads and updates repositories' `index.json`. Updates of one repository are serialised and each
 * is one atomic `putContent`, so concurrent tag pushes never lose a tag and a crash leaves the old
 * or the new index, never a torn one. Parsed indexes are cached: this process is the only writer
 * of its storage (`cache: false` turns that off for storage shared between processes).
 */
import { RegistryError } from '../errors/registry-error'
import { PathNotFoundError, type StorageDriver } from '../storage/driver'
import { emptyIndex, parseImageIndex, serializeImageIndex, type ImageIndex } from './image-index'
import { KeyedMutex } from './keyed-mutex'
import { indexPath, OCI_LAYOUT_CONTENT, ociLayoutPath } from './layout'

export interface IndexStoreOptions {
  cache: boolean
  /** Called when a repository is first seen or created, to keep the catalog current. */
  onRepositorySeen?: (repository: string) => void
}

export class IndexStore {
  private readonly cache = new Map<string, ImageIndex>()
  private readonly locks = new KeyedMutex()

  constructor(
    private readonly driver: StorageDriver,
    private readonly options: IndexStoreOptions,
  ) {}

  /** The repository's index, or undefined when the repository does not exist. */
  async read(repository: string): Promise<ImageIndex | undefined> {
    const cached = this.cache.get(repository)
    if (cached) return cached
    let bytes: Uint8Array
    try {
      bytes = await this.driver.getContent(indexPath(repository))
    } catch (error) {
      if (error instanceof PathNotFoundError) return undefined
      throw error
    }
    let index: ImageIndex
    try {
      index = parseImageIndex(bytes)
    } catch (error) {
      throw new RegistryError('UNKNOWN', {
        message: 'repository index is corrupt',
        detail: { description: `${indexPath(repository)} cannot be parsed: ${(error as Error).message}`, repository },
      })
    }
    if (this.options.cache) this.cache.set(repository, index)
    this.options.onRepositorySeen?.(repository)
    return index
  }

  /** The repository's index, or NAME_UNKNOWN. */
  async require(repository: string): Promise<ImageIndex> {
    const index = await this.read(repository)
    if (!index) throw new RegistryError('NAME_UNKNOWN', { detail: { name: repository } })
    return index
  }

  /**
   * Runs `mutate` on the current index under the repository's lock and stores its result; a
   * result of undefined means "no change". Creates the repository (oci-layout + index.json) when
   * `create` is set and it does not exist yet. `afterWrite` runs after a changed index is stored,
   * still under the lock (e.g. deleting a manifest blob only once no index names it).
   */
  async update(
    repository: string,
    mutate: (index: ImageIndex) => ImageIndex | undefined | Promise<ImageIndex | undefined>,
    { create = true, afterWrite }: { create?: boolean; afterWrite?: () => Promise<void> } = {},
  ): Promise<ImageIndex> {
    return this.locks.run(repository, async () => {
      let current = await this.read(repository)
      if (!current) {
        if (!create) throw new RegistryError('NAME_UNKNOWN', { detail: { name: repository } })
        current = emptyIndex()
        await this.driver.putContent(ociLayoutPath(repository), OCI_LAYOUT_CONTENT)
        await this.write(repository, current)
      }
      const next = await mutate(current)
      if (!next) return current
      await this.write(repository, next)
      await afterWrite?.()
      return next
    })
  }

  /** Runs `critical` under the repository's lock (the lock `update` takes). */
  locked<T>(repository: string, critical: () => Promise<T>): Promise<T> {
    return this.locks.run(repository, critical)
  }

  /** Creates the repository if it does not exist. */
  async ensure(repository: string): Promise<void> {
    if (!this.cache.has(repository)) await this.update(repository, () => undefined)
  }

  /** Forgets a deleted repository. */
  forget(repository: string): void {
    this.cache.delete(repository)
  }

  private async write(repository: string, index: ImageIndex): Promise<void> {
    await this.driver.putContent(indexPath(repository), serializeImageIndex(index))
    if (this.options.cache) this.cache.set(repository, index)
    this.options.onRepositorySeen?.(repository)
  }
}
