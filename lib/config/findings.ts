/**
 * @module
 * What the loader reports: findings (errors and warnings), each naming the key path, the bad
 * value, why it is wrong and how to fix it; the error thrown for an invalid config; and the
 * redaction that keeps secrets out of both.
 */

export interface ConfigFinding {
  severity: 'error' | 'warning'
  /** Key path such as `extensions.sync.registries[0].credentials`; empty for the file itself. */
  path: string
  message: string
  value?: unknown
  fix?: string
}

/** Thrown by the loader when a config has at least one error; `findings` holds them all,
 * warnings included, in file order. */
export class ConfigError extends Error {
  readonly findings: ConfigFinding[]

  constructor(sourceName: string, findings: ConfigFinding[]) {
    const errors = findings.filter((finding) => finding.severity === 'error')
    const first = errors[0]
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''
    super(`invalid config ${sourceName}: ${first ? formatFindingLine(first) : 'unknown error'}${more}`)
    this.name = 'ConfigError'
    this.findings = findings
  }
}

/** How a file the config names but that is not there counts: an error where the config is about
 * to run (`serve`, `gc`, `scrub`, `verify-config --strict`), a warning where it is only checked
 * (`verify-config` on a CI machine, where secrets and certificates are mounted only in production). */
export type MissingFiles = 'error' | 'warning'

/** Collects findings while a config is read. */
export class FindingList {
  readonly all: ConfigFinding[] = []
  /** Key paths whose file is missing: what the config would have read from them is absent too,
   * so checks that need it must not report the absence again. */
  readonly missingFilePaths: string[] = []

  constructor(readonly missingFiles: MissingFiles = 'error') {}

  error(path: string, message: string, extra: { value?: unknown; fix?: string } = {}): void {
    this.all.push({ severity: 'error', path, message, ...redacted(path, extra) })
  }

  warn(path: string, message: string, extra: { value?: unknown; fix?: string } = {}): void {
    this.all.push({ severity: 'warning', path, message, ...redacted(path, extra) })
  }

  /** A file (or directory) the config names is not there: an error or a warning, as the list
   * was told. A warning says what still depends on the file. */
  missingFile(path: string, message: string, extra: { value?: unknown; fix?: string } = {}): void {
    this.missingFilePaths.push(path)
    if (this.missingFiles === 'error') return this.error(path, message, extra)
    const fix = `${extra.fix ?? 'create it'}; \`serve\` refuses to start without it (\`verify-config --strict\` checks it as an error)`
    this.warn(path, message, { ...extra, fix })
  }

  get hasErrors(): boolean {
    return this.all.some((finding) => finding.severity === 'error')
  }

  get warnings(): ConfigFinding[] {
    return this.all.filter((finding) => finding.severity === 'warning')
  }
}

const SECRET_KEY = /(password|secret|token|accesskey|secretkey|hashkey|encryptkey)$/i

/** Hides the values of secret-looking keys, at any depth, so findings can be logged. */
export function redact(key: string, value: unknown): unknown {
  if (SECRET_KEY.test(key) && value !== undefined && value !== '') return '***'
  if (Array.isArray(value)) return value.map((item) => redact('', item))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(k, v)]))
  }
  return value
}

function redacted(path: string, extra: { value?: unknown; fix?: string }) {
  const lastKey = /([^.\]["]+)"?\]?$/.exec(path)?.[1] ?? ''
  return {
    ...('value' in extra ? { value: redact(lastKey, extra.value) } : {}),
    ...(extra.fix === undefined ? {} : { fix: extra.fix }),
  }
}

/** `error: storage.gcDelay: ... (value: "-1h")` — the finding as one line. */
export function formatFindingLine(finding: ConfigFinding): string {
  const where = finding.path === '' ? '' : `${finding.path}: `
  const value = 'value' in finding ? ` (value: ${JSON.stringify(finding.value)})` : ''
  return `${where}${finding.message}${value}`
}

/** The finding for people: a first line, then the fix indented under it. */
export function formatFinding(finding: ConfigFinding): string[] {
  const lines = [`${finding.severity}: ${formatFindingLine(finding)}`]
  if (finding.fix) lines.push(`  fix: ${finding.fix}`)
  return lines
}

/** Key path helpers: `a.b`, `a[0]`, `a["/route"]` for map keys that are not plain words. */
export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`
}

export function itemPath(parent: string, index: number): string {
  return `${parent}[${index}]`
}

export function entryPath(parent: string, key: string): string {
  return /^[A-Za-z_][\w-]*$/.test(key) ? childPath(parent, key) : `${parent}[${JSON.stringify(key)}]`
}
