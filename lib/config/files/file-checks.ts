/**
 * @module
 * Whether a file a config names is there: one finding, at the key that names it, saying where
 * the path resolved to (relative paths start at the working directory, as in zot).
 */
import { constants, type Stats } from 'node:fs'
import { access, readdir, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { FindingList } from '../findings'

const relativeNote = (absolute: string, written: string): string =>
  absolute === written ? '' : ` (relative paths start at the working directory ${process.cwd()})`

/** `stat`, or why not: `missing` when nothing is there (ENOENT, or a parent is a file). */
async function statOf(absolute: string): Promise<Stats | { missing: boolean; code: string }> {
  try {
    return await stat(absolute)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO'
    return { missing: code === 'ENOENT' || code === 'ENOTDIR', code }
  }
}

/** True when `file` is a regular file; otherwise reports why at `configPath`. A file that is not
 * there is reported as the list says (`FindingList.missingFile`); anything else is an error. */
export async function checkFileExists(file: string, configPath: string, findings: FindingList): Promise<boolean> {
  const absolute = resolve(file)
  // The message names the resolved path; the value as written only adds to it when relative.
  const written = absolute === file ? {} : { value: file }
  const info = await statOf(absolute)
  if ('missing' in info) {
    if (info.missing)
      findings.missingFile(configPath, `file not found: ${absolute}${relativeNote(absolute, file)}`, {
        ...written,
        fix: 'create the file, or correct the path',
      })
    else
      findings.error(configPath, `cannot read ${absolute} (${info.code})`, {
        ...written,
        fix: 'make it readable by the user zot runs as',
      })
    return false
  }
  if (info.isFile()) return true
  const what = info.isDirectory() ? 'is a directory, not a file' : 'is not a regular file'
  findings.error(configPath, `${absolute} ${what}`, { ...written, fix: 'point it at the file itself' })
  return false
}

/** True when `directory` is a readable directory; otherwise reports why at `configPath`, a
 * missing one as the list says. */
export async function checkDirectoryReadable(
  directory: string,
  configPath: string,
  findings: FindingList,
  fix: string,
): Promise<boolean> {
  const absolute = resolve(directory)
  const extra = { value: directory, fix }
  const info = await statOf(absolute)
  if ('missing' in info) {
    if (info.missing)
      findings.missingFile(configPath, `directory not found: ${absolute}${relativeNote(absolute, directory)}`, extra)
    else findings.error(configPath, `cannot read ${absolute} (${info.code})`, extra)
    return false
  }
  if (!info.isDirectory()) {
    findings.error(configPath, `${absolute} is not a directory`, extra)
    return false
  }
  try {
    await readdir(absolute)
    return true
  } catch (error) {
    findings.error(configPath, `cannot read ${absolute} (${(error as NodeJS.ErrnoException).code ?? 'EIO'})`, extra)
    return false
  }
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
 * Whether a file zot appends to (`log.output`, `log.audit`) can be written: an existing file
 * (or device such as `/dev/null`, or pipe) must be writable, a missing one needs a writable
 * directory. Reports why at `configPath`, always as an error: a log nobody can write is lost
 * wherever the config runs, so `verify-config` refuses it as `serve` does.
 */
export async function checkAppendable(file: string, configPath: string, findings: FindingList): Promise<void> {
  const absolute = resolve(file)
  const written = absolute === file ? {} : { value: file }
  const fix = 'create the directory and make it writable by the user zot runs as, or correct the path'
  const info = await stat(absolute).catch(() => undefined)
  if (info?.isDirectory()) {
    findings.error(configPath, `${absolute} is a directory, not a file`, { ...written, fix: 'point it at a file' })
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
