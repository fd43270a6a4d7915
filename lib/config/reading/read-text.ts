/**
 * @module
 * Turns config text into a plain value. JSON, YAML and TOML, chosen by file extension like zot
 * (viper) does; a file without a known extension is tried as each format in turn.
 */
import { extname } from 'node:path'
import type { FindingList } from '../findings'
import { JsonSyntaxError, parseJsonText } from './json-text'

export type ConfigFormat = 'json' | 'yaml' | 'toml'

const EXTENSIONS: Record<string, ConfigFormat> = {
  '.json': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.toml': 'toml',
}
/** Formats viper reads that zot-bun does not; named so the message can say so. */
const UNSUPPORTED = new Set(['.hcl', '.tfvars', '.ini', '.env', '.dotenv', '.properties', '.props', '.prop'])

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
    const line = format === 'json' ? undefined : errorLine(text, format)
    findings.error('', syntaxMessage(format, error, line), syntaxFix(format, error, line))
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

const parseYamlOrToml = (text: string, format: 'yaml' | 'toml'): unknown =>
  format === 'yaml' ? Bun.YAML.parse(text) : Bun.TOML.parse(text)

function parseOrThrow(text: string, format: ConfigFormat, findings: FindingList): unknown {
  if (format !== 'json') return parseYamlOrToml(text, format)
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

const complaint = (error: unknown): string =>
  error instanceof Error ? error.message.replace(/^(YAML|TOML) Parse error: /, '') : String(error)

/** Texts longer than this are not searched for the line: the search parses once per line. */
const LINE_SEARCH_LIMIT = 2000

/**
 * The line (1-based, with its text) where YAML or TOML `text` stops making sense. Bun's parsers
 * do not say (their error's `line` is the caller's), so it is the line after the longest run of
 * leading lines that still parses on its own: a value that spans lines (a flow list, a quoted
 * string) fails while cut and parses again once closed, so a cut is not mistaken for the error.
 * Configs are short: the search costs a few milliseconds, and only when the file is broken.
 */
function errorLine(text: string, format: 'yaml' | 'toml'): { number: number; text: string } | undefined {
  const lines = text.split('\n')
  if (lines.length > LINE_SEARCH_LIMIT) return undefined
  let parsed = 0
  let prefix = ''
  for (const [index, line] of lines.entries()) {
    prefix += index === 0 ? line : `\n${line}`
    try {
      parseYamlOrToml(prefix, format)
      parsed = index + 1
    } catch {
      // Not yet (or no longer) valid: the error is after the last prefix that was.
    }
  }
  const number = Math.min(parsed + 1, lines.length)
  return { number, text: lines[number - 1]!.replace(/\r$/, '') }
}

function syntaxMessage(format: ConfigFormat, error: unknown, line?: { number: number }): string {
  if (error instanceof JsonSyntaxError) return `JSON syntax error at ${error.message}`
  const where = line ? ` at line ${line.number}` : ''
  return `${format.toUpperCase()} syntax error${where}: ${complaint(error)}`
}

function syntaxFix(format: ConfigFormat, error: unknown, line?: { number: number; text: string }): { fix?: string } {
  if (error instanceof JsonSyntaxError && error.hint) return { fix: error.hint }
  const at = line ? `line ${line.number}: ${JSON.stringify(line.text)}` : 'the reported token'
  if (format === 'yaml') return { fix: `check the indentation (spaces only), brackets and quotes of ${at}` }
  return line ? { fix: `check ${at}` } : {}
}
