/**
 * @module
 * Loads a configuration for a command, or explains on stderr why it cannot and returns
 * undefined (the command then exits 1).
 */
import { ConfigError, formatFindingLine, loadConfigFile, type Config, type ConfigFinding } from '../lib/config'

export async function loadConfigOrExplain(
  path: string,
  command: string,
): Promise<{ config: Config; warnings: ConfigFinding[] } | undefined> {
  try {
    return await loadConfigFile(path)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    for (const finding of error.findings) console.error(formatFindingLine(finding))
    console.error(
      `zot: ${path}: invalid configuration, not running ${command} (zot verify-config ${path} explains each finding)`,
    )
    return undefined
  }
}
