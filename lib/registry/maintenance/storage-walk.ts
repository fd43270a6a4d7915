/**
 * @module
 * Listing what a repository holds on storage, with sizes and mtimes: its blobs, its upload
 * sessions and its quarantined blobs. A file that vanishes between listing and stat is skipped;
 * any other stat error propagates, so GC fails closed for the repository instead of judging a
 * file it could not examine.
 */
import { parseDigest } from '../../oci/digest'
import { PathNotFoundError, type StorageDriver } from '../../storage/driver'

export interface StoredFile {
  /** A digest for blobs and quarantined blobs, the session id for uploads. */
  name: string
  /** Its storage path (layout.ts's), for logs and for reading inode numbers on local disk. */
  path: string
  size: number
  modifiedAt: number
}

/** The file's size and mtime, or undefined when it does not exist. */
export async function statFile(driver: StorageDriver, path: string): Promise<StoredFile | undefined> {
  try {
    const info = await driver.stat(path)
    if (info.isDirectory) return undefined
    const name = path.slice(path.lastIndexOf('/') + 1)
    return { name, path, size: info.size, modifiedAt: info.modifiedAt.getTime() }
  } catch (error) {
    if (error instanceof PathNotFoundError) return undefined
    throw error
  }
}

/** Content-addressed files under `<directory>/<alg>/<hex>`, named by digest; others are skipped. */
export async function listDigestTree(driver: StorageDriver, directory: string): Promise<StoredFile[]> {
  const files: StoredFile[] = []
  for (const algorithm of await driver.list(directory)) {
    for (const encoded of await driver.list(`${directory}/${algorithm}`)) {
      const digest = `${algorithm}:${encoded}`
      if (!parseDigest(digest)) continue
      const file = await statFile(driver, `${directory}/${algorithm}/${encoded}`)
      if (file) files.push({ ...file, name: digest })
    }
  }
  return files
}

/** Every file directly in `directory`, named by its file name. */
export async function listFiles(driver: StorageDriver, directory: string): Promise<StoredFile[]> {
  const files: StoredFile[] = []
  for (const name of await driver.list(directory)) {
    const file = await statFile(driver, `${directory}/${name}`)
    if (file) files.push(file)
  }
  return files
}
