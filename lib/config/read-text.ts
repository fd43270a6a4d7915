/**
 * @module
 * Turns config text into a plain value. JSON, YAML and TOML, chosen by file extension like zot
 * (viper) does; a file without a known extension is tried as each format in turn.
 */
import { extname } from 'node:path'
import type { FindingList } from './findings'
import { JsonSyntaxError, parseJsonText } from './json-text'

export type ConfigFormat = 'json' | 'yaml' | 'toml'

const EXTENSIONS: Record<string, ConfigFormat> = {
  '.json': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.toml': 'toml',
}
/** Formats viper reads that zot-bun does not; named so the message can say so. */
const UNSUPPORTED = new Set([
  '.hcl',
  '.tfvars',
  '.ini',
  '.env',
  '.dotenv',
  '.properties',
  '.props',
  '.prop',
])

/** The format a file name implies, `undefined` when the name says nothing (try all). */
export function formatForPath(path: string): ConfigFormat | 'unsupported' | undefined {
  const extension = extname(path).toLowerCase()
  if (UNSUPPORTED.has(extension)) return 'unsupported'
  return EXTENSIONS[extension]
}

/** Parses text in one format; syntax errors become findings and the result is undefined. */
export function parseText(text: string, format: ConfigFormat, findings: FindingList): unknown {
  try {
    return parseOrThrow(text, format, findings)
  } catch (error) {
    findings.error('', syntaxMessage(format, error), syntaxFix(format, error))
    return undefined
  }
}

/** Tries JSON, YAML then TOML; reports each format's complaint when none fits. */
export function parseAnyFormat(text: string, findings: FindingList): unknown {
  const complaints: string[] = []
  for (const format of ['json', 'yaml', 'toml'] as const) {
    try {
      const value = parseOrThrow(text, format, findings)
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value
      complaints.push(`${format}: not a mapping of keys`)
    } catch (error) {
      complaints.push(syntaxMessage(format, error))
    }
  }
  findings.error('', `the file is not JSON, YAML or TOML (${complaints.join('; ')})`, {
    fix: 'name the file with its format extension (.json, .yaml, .toml) to get one precise error',
  })
  return undefined
}

function parseOrThrow(text: string, format: ConfigFormat, findings: FindingList): unknown {
  if (format === 'yaml') return Bun.YAML.parse(text)
  if (format === 'toml') return Bun.TOML.parse(text)
  const { value, duplicates } = parseJsonText(text)
  for (const duplicate of duplicates) {
    findings.error(
      duplicate.objectPath === '' ? duplicate.key : `${duplicate.objectPath}.${duplicate.key}`,
      `key "${duplicate.key}" is written twice in the same object (lines ${duplicate.firstLine} ` +
        `and ${duplicate.line}); only one of them would take effect`,
      { fix: 'keep one of the two' },
    )
  }
  return value
}

function syntaxMessage(format: ConfigFormat, error: unknown): string {
  if (error instanceof JsonSyntaxError) return `JSON syntax error at ${error.message}`
  const detail =
    error instanceof Error ? error.message.replace(/^(YAML|TOML) Parse error: /, '') : String(error)
  return `${format.toUpperCase()} syntax error: ${detail}`
}

function syntaxFix(format: ConfigFormat, error: unknown): { fix?: string } {
  if (error instanceof JsonSyntaxError && error.hint) return { fix: error.hint }
  if (format === 'yaml')
    return { fix: 'check the indentation (spaces only) around the reported token' }
  return {}
}
