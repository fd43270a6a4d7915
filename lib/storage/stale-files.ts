/**
 * @module
 * Sweeping what a process that died left behind: the files of a directory older than an age
 * (temporaries, download spools), which nobody will finish. A sweep never stops a start: a file
 * that cannot be read or removed is left for the next one.
 */
import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Removes the files of `directory` (those `matches` accepts) last modified before `maxAgeMs` ago;
 * with 0, whatever their age (without comparing: a file written in this very millisecond has an
 * mtime with a fraction past `Date.now()`, and would stay).
 */
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
      const stale = maxAgeMs <= 0 || ((await stat(path).catch(() => undefined))?.mtimeMs ?? cutoff) < cutoff
      if (stale) await rm(path, { force: true }).catch(() => {})
    }),
  )
}
