/**
 * @module
 * Sweeping what a process that died left behind: the files of a directory older than an age
 * (temporaries, download spools), which nobody will finish. A sweep never stops a start: a file
 * that cannot be read or removed is left for the next one.
 */
import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** Removes the files of `directory` (those `matches` accepts) last modified before `maxAgeMs` ago. */
export async function removeStaleFiles(
  directory: string,
  maxAgeMs: number,
  matches: (name: string) => boolean = () => true,
): Promise<void> {
  const names = await readdir(directory).catch(() => [] as string[])
  const cutoff = Date.now() - maxAgeMs
  await Promise.all(
    names.filter(matches).map(async (name) => {
      const path = join(directory, name)
      const info = await stat(path).catch(() => undefined)
      if (info && info.mtimeMs < cutoff) await rm(path, { force: true }).catch(() => {})
    }),
  )
}
