/**
 * @module
 * Whether a file a config names is there: one finding, at the key that names it, saying where
 * the path resolved to (relative paths start at the working directory, as in zot).
 */
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { FindingList } from './findings'

/** True when `file` is a regular file; otherwise reports why at `configPath`. */
export async function checkFileExists(
  file: string,
  configPath: string,
  findings: FindingList,
): Promise<boolean> {
  const absolute = resolve(file)
  // The message names the resolved path; the value as written only adds to it when relative.
  const written = absolute === file ? {} : { value: file }
  try {
    const info = await stat(absolute)
    if (info.isFile()) return true
    const what = info.isDirectory() ? 'is a directory, not a file' : 'is not a regular file'
    findings.error(configPath, `${absolute} ${what}`, {
      ...written,
      fix: 'point it at the file itself',
    })
  } catch {
    const relativeNote =
      absolute === file ? '' : ` (relative paths start at the working directory ${process.cwd()})`
    findings.error(configPath, `file not found: ${absolute}${relativeNote}`, {
      ...written,
      fix: 'create the file, or correct the path',
    })
  }
  return false
}

/** The text of a file that must exist, or undefined after reporting why it cannot be read. */
export async function readRequiredText(
  file: string,
  configPath: string,
  findings: FindingList,
): Promise<string | undefined> {
  if (!(await checkFileExists(file, configPath, findings))) return undefined
  try {
    return await Bun.file(file).text()
  } catch (error) {
    findings.error(configPath, `cannot read ${file}: ${(error as Error).message}`, {
      fix: 'make it readable by the user zot runs as',
    })
    return undefined
  }
}
