/**
 * @module
 * The loading pipeline, in zot's order (docs/zot-compatibility.md 1.1): parse, substitute secrets,
 * strict decode with fixed defaults, context defaults, referenced files, cross-field checks,
 * corrections. `inspect*` return every finding; `load*`/`parseConfigText` throw `ConfigError`
 * when there is an error and return the warnings otherwise.
 */
import { applyCorrections } from './corrections'
import { decode, isRecord } from './decode'
import { ConfigError, FindingList, type ConfigFinding, type MissingFiles } from './findings'
import { formatForPath, parseAnyFormat, parseText, type ConfigFormat } from './reading/read-text'
import { checkReferencedFiles } from './files/referenced-files'
import { ALL_RULES, runRules } from './rules'
import { configSchema, type Config } from './schema'
import { applyContextDefaults } from './schema/context-defaults'
import { rememberSetPaths, type IsSet } from './implementation/set-paths'
import { substituteSecrets } from './reading/substitute'

export interface LoadedConfig {
  config: Config
  warnings: ConfigFinding[]
}

export interface Inspection {
  /** Present unless the file could not be read or parsed at all. */
  config?: Config
  findings: ConfigFinding[]
}

export interface InspectOptions {
  /** How files the config names but that are not there count; `error` (what `serve` needs)
   * unless told otherwise. */
  missingFiles?: MissingFiles
}

export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  return orThrow(path, await inspectConfigFile(path))
}

export async function parseConfigText(text: string, format: ConfigFormat, sourceName: string): Promise<LoadedConfig> {
  return orThrow(sourceName, await inspectConfigText(text, format))
}

export async function inspectConfigFile(path: string, options: InspectOptions = {}): Promise<Inspection> {
  const findings = new FindingList(options.missingFiles)
  let text: string
  try {
    text = await Bun.file(path).text()
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    findings.error(
      '',
      missing ? `config file not found: ${path}` : `cannot read config file ${path}: ${(error as Error).message}`,
      {
        fix: missing ? 'check the path (relative paths start at the working directory)' : 'check its permissions',
      },
    )
    return { findings: findings.all }
  }
  const format = formatForPath(path)
  if (format === 'unsupported') {
    findings.error('', `zot-bun reads JSON, YAML and TOML configs, not ${path.replace(/^.*\./, '.')}`, {
      fix: 'convert the config to JSON (.json), YAML (.yaml) or TOML (.toml)',
    })
    return { findings: findings.all }
  }
  return inspectParsed(
    format === undefined ? parseAnyFormat(text, findings) : parseText(text, format, findings),
    findings,
  )
}

export async function inspectConfigText(
  text: string,
  format: ConfigFormat,
  options: InspectOptions = {},
): Promise<Inspection> {
  const findings = new FindingList(options.missingFiles)
  return inspectParsed(parseText(text, format, findings), findings)
}

async function inspectParsed(raw: unknown, findings: FindingList): Promise<Inspection> {
  if (raw === undefined) return { findings: findings.all }
  if (!isRecord(raw)) {
    findings.error('', 'the config must be a mapping of keys at the top level', {
      value: Array.isArray(raw) ? '(a list)' : raw,
      fix: 'start the file with { "storage": ..., "http": ... } (one YAML document)',
    })
    return { findings: findings.all }
  }
  if (Object.keys(raw).length === 0) {
    findings.error('', 'the config has no settings', { fix: 'add at least storage.rootDirectory' })
    return { findings: findings.all }
  }
  const { config, isSet } = decodeWithSetPaths(substituteSecrets(raw, findings), findings)
  await checkReferencedFiles(config, findings)
  runRulesWithoutCascades(config, isSet, findings)
  applyCorrections(config, findings)
  return { config, findings: findings.all }
}

/** A key that failed to decode (or whose file failed to load, or is missing) is replaced by its
 * default, which can make a rule fail on the same key, a key inside it or the section holding it.
 * Such errors are consequences, so they are left out: the first problem is reported, not its
 * echoes (an OpenID provider whose credentialsFile is missing is not also "without clientid"). */
function runRulesWithoutCascades(config: Config, isSet: IsSet, findings: FindingList): void {
  const failedPaths = [
    ...findings.all.filter((finding) => finding.severity === 'error').map((finding) => finding.path),
    ...findings.missingFilePaths,
  ]
  const ruleFindings = new FindingList()
  runRules(ALL_RULES, config, isSet, ruleFindings)
  for (const finding of ruleFindings.all) {
    const echo = finding.severity === 'error' && failedPaths.some((failed) => related(failed, finding.path))
    if (!echo) findings.all.push(finding)
  }
}

function related(a: string, b: string): boolean {
  const within = (inner: string, outer: string) =>
    inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`)
  return a !== '' && b !== '' && (within(a, b) || within(b, a))
}

/** Decoding and defaults only: what every config goes through, files and rules aside. */
export function decodeConfig(raw: unknown, findings: FindingList): Config {
  return decodeWithSetPaths(raw, findings).config
}

function decodeWithSetPaths(raw: unknown, findings: FindingList): { config: Config; isSet: IsSet } {
  const { value, setPaths } = decode(configSchema, raw, findings)
  const config = value as Config
  const isSet: IsSet = (path) => setPaths.has(path)
  applyContextDefaults(config, isSet)
  rememberSetPaths(config, setPaths)
  return { config, isSet }
}

/**
 * A configuration written as an object, decoded like a file: every default the schema gives,
 * fixed and context-dependent, but no referenced files read, no cross-field checks and no
 * corrections. For configurations built in code: the embedded default, tests, benchmarks.
 *
 * @throws ConfigError when a value does not decode or a required key is missing
 * @example
 * const { extensions } = configFromObject({ storage: { rootDirectory }, extensions: { sync } }, 'test')
 */
export function configFromObject(raw: Record<string, unknown>, sourceName: string): Config {
  const findings = new FindingList()
  const config = decodeConfig(raw, findings)
  if (findings.hasErrors) throw new ConfigError(sourceName, findings.all)
  return config
}

function orThrow(sourceName: string, inspection: Inspection): LoadedConfig {
  const { config, findings } = inspection
  if (!config || findings.some((finding) => finding.severity === 'error')) throw new ConfigError(sourceName, findings)
  return { config, warnings: findings }
}
