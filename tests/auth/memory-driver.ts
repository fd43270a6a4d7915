/**
 * @module
 * A tiny in-memory StorageDriver for unit tests of the key store: just enough of the contract
 * (small objects, listing, deletion of files and trees) plus a write counter. Persistence
 * tests use the real local driver instead.
 */
import { PathNotFoundError, type StorageDriver } from '../../lib/storage/driver'

export interface MemoryDriver extends StorageDriver {
  readonly files: Map<string, Uint8Array>
  writes: number
}

export function memoryDriver(): MemoryDriver {
  const files = new Map<string, Uint8Array>()
  const unsupported = (): never => {
    throw new Error('not supported by the memory driver')
  }
  const driver: MemoryDriver = {
    name: 'memory',
    files,
    writes: 0,
    async getContent(path) {
      const data = files.get(path)
      if (!data) throw new PathNotFoundError(path)
      return data
    },
    async putContent(path, data) {
      driver.writes++
      files.set(path, typeof data === 'string' ? new TextEncoder().encode(data) : data)
    },
    async list(path) {
      const prefix = path === '' ? '' : `${path}/`
      const names = new Set<string>()
      for (const key of files.keys()) {
        if (key.startsWith(prefix)) names.add(key.slice(prefix.length).split('/')[0]!)
      }
      return [...names]
    },
    async delete(path) {
      for (const key of [...files.keys()]) {
        if (key === path || key.startsWith(`${path}/`)) files.delete(key)
      }
    },
    async stat(path) {
      const data = files.get(path)
      if (!data) throw new PathNotFoundError(path)
      return { path, size: data.length, modifiedAt: new Date(), isDirectory: false }
    },
    read: unsupported,
    putStream: unsupported,
    writer: unsupported,
    move: unsupported,
    copy: unsupported,
  }
  return driver
}
