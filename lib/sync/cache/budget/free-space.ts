/**
 * @module
 * Free space of the local filesystems a pull writes to: the spool directory and, for local
 * storage, the storage root. Remote storage (S3) has no "free space"; its spool still fills a
 * local disk.
 */
import { statfs } from 'node:fs/promises'
import { StorageUnavailableError } from '../../../errors/storage-unavailable'

/** Bytes an unprivileged writer may still use on the filesystem holding `directory`. */
async function available(directory: string): Promise<number | undefined> {
  try {
    const stats = await statfs(directory)
    return stats.bavail * stats.bsize
  } catch {
    // Not created yet (a first start) or gone: nothing to say about it.
    return undefined
  }
}

/** The least free space among `directories` (Infinity when none can be asked). */
export async function leastFreeSpace(directories: readonly string[]): Promise<number> {
  const free = await Promise.all(directories.map(available))
  return Math.min(Number.POSITIVE_INFINITY, ...free.filter((bytes): bytes is number => bytes !== undefined))
}

/** Whether storage refused a write because its disk (or the quota) is full. */
export function isDiskFull(error: unknown): boolean {
  if (!(error instanceof StorageUnavailableError)) return false
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}
