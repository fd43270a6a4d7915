/**
 * @module
 * The compiled `dist/zot`, built on demand: when it is missing or older than any source file
 * under `cmd/` or `lib/` (a stale binary would test yesterday's code), `bun run build` runs once.
 */
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from './clients'
import { REPOSITORY_ROOT } from './paths'

export const COMPILED_BINARY = join(REPOSITORY_ROOT, 'dist/zot')

let building: Promise<string> | undefined

/** Returns the path of an up-to-date compiled binary, building it first when needed. */
export function ensureCompiledBinary(): Promise<string> {
  building ??= (async () => {
    const built = await stat(COMPILED_BINARY).catch(() => undefined)
    const newestSource = Math.max(
      ...(await Promise.all(['cmd', 'lib'].map((folder) => newestModification(join(REPOSITORY_ROOT, folder))))),
    )
    if (!built || built.mtimeMs < newestSource) await run(process.execPath, ['run', 'build'], {}, REPOSITORY_ROOT)
    return COMPILED_BINARY
  })()
  return building
}

async function newestModification(directory: string): Promise<number> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true })
  const times = await Promise.all(
    entries
      .filter((entry) => entry.isFile())
      .map(async (entry) => (await stat(join(entry.parentPath, entry.name))).mtimeMs),
  )
  return Math.max(0, ...times)
}
