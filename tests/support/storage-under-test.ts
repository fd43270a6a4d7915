/**
 * @module
 * The storage the API and end-to-end suites run on: local disk (the default) or, with
 * `ZOT_TEST_STORAGE=s3`, S3: every registry gets a fresh bucket of one Ceph RGW shared by the
 * whole test process (started on first use, ~4 s; a watchdog stops it when the process ends).
 *
 * A `TestStorage` is what a registry serves, as zot config and as an in-process registry, plus a
 * view of what is stored *behind the registry's back* (files under the root, objects in the
 * bucket under zot's key layout), so a test checks one storage property on both backends.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { openStore, type Store } from '../../lib/registry/open-store'
import { testStorageConfig } from './config'

export type StorageKind = 'local' | 's3'

/** `ZOT_TEST_STORAGE`: `local` (default) or `s3`. */
export function storageKind(): StorageKind {
  const value = process.env.ZOT_TEST_STORAGE || 'local'
  if (value !== 'local' && value !== 's3') {
    throw new Error(`ZOT_TEST_STORAGE must be local or s3, not ${value}`)
  }
  return value
}

export const onS3 = storageKind() === 's3'

export interface TestStorage {
  readonly kind: StorageKind
  /** zot's `storage.rootDirectory`: the data itself on disk, local metadata only with S3. */
  readonly rootDirectory: string
  /** zot's `storage` config section for this storage (`rootDirectory`, and the S3 driver). */
  readonly config: Record<string, unknown>
  /** The store on this storage as `serve` opens it; each call is a new process's view. */
  openStore(): Promise<Store>
  /** Paths, relative to the storage root, of every file at or under `prefix`, sorted. */
  list(prefix?: string): Promise<string[]>
  read(path: string): Promise<Uint8Array>
  write(path: string, data: Uint8Array | string): Promise<void>
  /** A local directory with the files under `prefix`: itself on disk, a downloaded copy on S3. */
  materialize(prefix: string): Promise<string>
  /** Multipart uploads left open in the bucket (none on disk). */
  openMultipartUploads(): Promise<string[]>
  /** Deletes the data, the bucket and the temp directories. */
  remove(): Promise<void>
}

export interface TestStorageOptions {
  /** Names temp directories and buckets (lowercase letters and dashes, as S3 wants). */
  label: string
  /** Defaults to `storageKind()`. */
  kind?: StorageKind
  /** Start with a copy of this directory's files (a zot data directory made by hand). */
  seed?: string
}

export async function createTestStorage(options: TestStorageOptions): Promise<TestStorage> {
  const scratch = await mkdtemp(join(tmpdir(), `zot-${options.label}-`))
  const rootDirectory = join(scratch, 'root')
  await mkdir(rootDirectory)
  const storage =
    (options.kind ?? storageKind()) === 's3'
      ? // Loaded on demand: a local run never pays for the AWS SDK or Ceph's signal handlers.
        await (await import('./s3-test-storage')).s3Storage(options.label, scratch, rootDirectory)
      : localStorage(scratch, rootDirectory)
  if (options.seed && storage.kind === 'local') {
    // Copied as is, file modes included: what another tool wrote is what the registry finds.
    await cp(options.seed, rootDirectory, { recursive: true })
  } else if (options.seed) {
    for (const path of await listFiles(options.seed, '')) {
      await storage.write(path, await readFile(join(options.seed, path)))
    }
  }
  return storage
}

function localStorage(scratch: string, rootDirectory: string): TestStorage {
  const inRoot = (path: string) => join(rootDirectory, path)
  const stores = storeOpener({ rootDirectory })
  return {
    kind: 'local',
    rootDirectory,
    config: { rootDirectory },
    openStore: stores.open,
    list: (prefix = '') => listFiles(rootDirectory, prefix),
    read: async (path) => new Uint8Array(await readFile(inRoot(path))),
    async write(path, data) {
      await mkdir(dirname(inRoot(path)), { recursive: true })
      await writeFile(inRoot(path), data)
    },
    materialize: async (prefix) => inRoot(prefix),
    openMultipartUploads: async () => [],
    remove: async () => {
      await stores.close()
      await rm(scratch, { recursive: true, force: true })
    },
  }
}

/** Opens stores with `storage` decoded as `serve` decodes it, remembered so that `close` releases them all. */
export function storeOpener(storage: Record<string, unknown>): { open(): Promise<Store>; close(): Promise<void> } {
  const opened: Store[] = []
  return {
    async open() {
      const store = await openStore(testStorageConfig(storage))
      opened.push(store)
      return store
    },
    close: async () => void (await Promise.all(opened.splice(0).map((store) => store.close()))),
  }
}

/** Every file under `root/prefix`, relative to `root`, sorted; [] when it does not exist. */
export async function listFiles(root: string, prefix: string): Promise<string[]> {
  const entries = await readdir(join(root, prefix), { recursive: true, withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return []
      throw error
    },
  )
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort()
}
