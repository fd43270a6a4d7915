/**
 * @module
 * Throwaway directories for tests, removed when the test file ends.
 */
import { afterAll } from 'bun:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A new directory under the system temp dir, named `zot-<label>-XXXXXX`. The cleanup is
 * registered per call: Bun evaluates a support module once per process, so a top-level afterAll
 * would clean up after the first test file only.
 */
export async function tempDirectory(label: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), `zot-${label}-`))
  afterAll(() => rm(directory, { recursive: true, force: true }))
  return directory
}
