/**
 * @module
 * A sync registry's `certDir` must be a readable directory when zot starts. Sync reads it when it
 * starts its upstream client; a missing one used to surface there as a stack trace, and every
 * request to that upstream failed. Checked with the config, `verify-config` finds it in CI.
 */
import { readdirSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { itemPath } from '../findings'
import type { Rule } from './rule'

const FIX =
  'create it with the upstream CA as *.crt (and a client pair as *.cert and *.key), correct ' +
  'the path, or remove certDir'

/** Why `directory` is not a readable directory, or undefined when it is. */
function directoryProblem(directory: string): string | undefined {
  const absolute = resolve(directory)
  const relativeNote = absolute === directory ? '' : ` (relative paths start at the working directory ${process.cwd()})`
  try {
    if (!statSync(absolute).isDirectory()) return `${absolute} is not a directory`
    readdirSync(absolute)
    return undefined
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT'
      ? `directory not found: ${absolute}${relativeNote}`
      : `cannot read ${absolute} (${code ?? (error as Error).message})`
  }
}

export const syncCertDirRule: Rule = {
  severity: 'error',
  summary: 'A sync registry `certDir` that is not a readable directory.',
  check(config, report) {
    for (const [index, registry] of (config.extensions?.sync?.registries ?? []).entries()) {
      if (!registry.certDir) continue
      const problem = directoryProblem(registry.certDir)
      if (problem)
        report(`${itemPath('extensions.sync.registries', index)}.certDir`, problem, {
          value: registry.certDir,
          fix: FIX,
        })
    }
  },
}
