/**
 * @module
 * Listing what a repository holds on storage, with sizes and mtimes: its blobs, its upload
 * sessions and its quarantined blobs (`<repo>/.quarantine/<alg>/<hex>`, scrub's). A file that
 * vanishes between listing and stat is skipped; any other stat error propagates, so GC fails
 * closed for the repository instead of judging a file it could not examine.
 */
import { parseDigest } from '../oci/digest'
import { PathNotFoundError, type StorageDriver } from '../storage/driver'
import { uploadsPath } from '../registry/layout'

export interface StoredFile {
  /** A digest for blobs and quarantined blobs, the session id for uploads. */
  name: string
  path: string
  size: number
  modifiedAt: number
}

export const quarantineDirectory = (repository: string): string => `${repository}/.quarantine`

/** Where scrub puts a corrupt blob; the digest must be valid. */
export function quarantinePath(repository: string, digest: string): string {
  const parsed = parseDigest(digest)
  if (!parsed) throw new Error(`quarantinePath: invalid digest ${digest}`)
  return `${quarantineDirectory(repository)}/${parsed.algorithm}/${parsed.encoded}`
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

/** Content-addressed files under `<directory>/<alg>/<hex>`; temporary files are skipped. */
async function listDigestTree(driver: StorageDriver, directory: string): Promise<StoredFile[]> {
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

export const listBlobs = (driver: StorageDriver, repository: string): Promise<StoredFile[]> =>
  listDigestTree(driver, `${repository}/blobs`)

export const listQuarantine = (driver: StorageDriver, repository: string): Promise<StoredFile[]> =>
  listDigestTree(driver, quarantineDirectory(repository))

export async function listUploads(driver: StorageDriver, repository: string): Promise<StoredFile[]> {
  const files: StoredFile[] = []
  for (const id of await driver.list(uploadsPath(repository))) {
    const file = await statFile(driver, `${uploadsPath(repository)}/${id}`)
    if (file) files.push(file)
  }
  return files
}
