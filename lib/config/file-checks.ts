/**
 * @module
 * Whether a file a config names is there: one finding, at the key that names it, saying where
 * the path resolved to (relative paths start at the working directory, as in zot).
 */
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { FindingList } from './findings'

/** True when `file` is a regular file; otherwise reports why at `configPath`. */
export async function checkFileExists(file: string, configPath: string, findings: FindingList): Promise<boolean> {
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
    const relativeNote = absolute === file ? '' : ` (relative paths start at the working directory ${process.cwd()})`
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

/**
 * Whether a file zot appends to (`log.output`, `log.audit`) can be written: an existing regular
 * file must be writable, a missing one needs a writable directory. Reports why at `configPath`.
 */
export async function checkAppendable(file: string, configPath: string, findings: FindingList): Promise<void> {
  const absolute = resolve(file)
  const written = absolute === file ? {} : { value: file }
  const fix = 'create the directory and make it writable by the user zot runs as, or correct the path'
  const info = await stat(absolute).catch(() => undefined)
  if (info && !info.isFile()) {
    findings.error(configPath, `${absolute} is not a regular file`, { ...written, fix: 'point it at a file' })
    return
  }
  const target = info ? absolute : dirname(absolute)
  const directory = info ? undefined : await stat(target).catch(() => undefined)
  if (!info && !directory?.isDirectory()) {
    findings.error(configPath, `directory not found: ${target}`, { ...written, fix })
    return
  }
  try {
    await access(target, constants.W_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EACCES'
    findings.error(configPath, `${target} is not writable (${code})`, { ...written, fix })
  }
}
