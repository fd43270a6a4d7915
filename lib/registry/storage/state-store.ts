/**
 * @module
 * The registry's door for small state documents that are not repository content: auth's API
 * keys and users, the bucket metadata store's statistics, sync's tag checks. They live in the
 * same storage as the repositories (on S3, in the bucket, shared by replicas and surviving
 * restarts), at paths only `layout.ts` mints (`StatePath`), so no caller can write into a
 * repository through it and none needs the storage driver.
 */
import { PathNotFoundError, type StorageDriver } from '../../storage/driver'
import type { StatePath } from '../layout'

/** A document with the version a conditional write compares against. */
export interface VersionedDocument {
  data: Uint8Array
  version: string
}

/** Compare-and-swap on documents, for storage several replicas write (S3). */
export interface ConditionalState {
  /** The document and its version, or undefined when there is none. */
  read(path: StatePath): Promise<VersionedDocument | undefined>
  /** Writes only if the document is still at `version` (undefined: only if it does not exist). */
  write(path: StatePath, data: Uint8Array | string, version: string | undefined): Promise<boolean>
}

export interface StateStore {
  /** The storage's name (`local`, `s3`), for logs. */
  readonly storageName: string
  /** The document, or undefined when there is none. */
  read(path: StatePath): Promise<Uint8Array | undefined>
  /** Replaces the document atomically. */
  write(path: StatePath, data: Uint8Array | string): Promise<void>
  /** Names of the documents directly in a folder; [] for a missing folder. */
  list(folder: StatePath): Promise<string[]>
  /** Deletes a document; a missing one is not an error. */
  delete(path: StatePath): Promise<void>
  /** Present when the storage can compare-and-swap (S3); local disk has one writer. */
  readonly conditional?: ConditionalState
}

const absentIfMissing = (error: unknown): undefined => {
  if (error instanceof PathNotFoundError) return undefined
  throw error
}

/** The state store over a storage driver (tests build one over a driver of their own). */
export function createStateStore(driver: StorageDriver): StateStore {
  const { getContentWithETag, putContentIf } = driver
  const conditional: ConditionalState | undefined =
    getContentWithETag && putContentIf
      ? {
          read: (path) =>
            getContentWithETag.call(driver, path).then(({ data, etag }) => ({ data, version: etag }), absentIfMissing),
          write: async (path, data, version) => {
            const condition = version === undefined ? ({ ifNoneMatch: '*' } as const) : { ifMatch: version }
            return (await putContentIf.call(driver, path, data, condition)).written
          },
        }
      : undefined
  return {
    storageName: driver.name,
    read: (path) => driver.getContent(path).catch(absentIfMissing),
    write: (path, data) => driver.putContent(path, data),
    list: (folder) => driver.list(folder),
    delete: (path) => driver.delete(path),
    ...(conditional && { conditional }),
  }
}
