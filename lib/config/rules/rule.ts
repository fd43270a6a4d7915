/**
 * @module
 * A cross-field check of a decoded config. Every rule states its severity and a one-line
 * summary; the summaries are listed in docs/config.md, so the documentation of what `verify`
 * checks comes from the checks themselves.
 */
import type { FindingList } from '../findings'
import type { Config } from '../schema'
import type { IsSet } from '../implementation/set-paths'

export interface Extra {
  value?: unknown
  fix?: string
}

export type Report = (path: string, message: string, extra?: Extra) => void

export interface Rule {
  severity: 'error' | 'warning'
  /** What the rule refuses (errors) or points out (warnings), for the docs. */
  summary: string
  /** `isSet` tells a key the file wrote from one the schema's defaults filled. */
  check: (config: Config, report: Report, isSet: IsSet) => void
}

export function runRules(rules: readonly Rule[], config: Config, isSet: IsSet, findings: FindingList): void {
  for (const rule of rules) {
    const report: Report =
      rule.severity === 'error'
        ? (path, message, extra) => findings.error(path, message, extra)
        : (path, message, extra) => findings.warn(path, message, extra)
    rule.check(config, report, isSet)
  }
}

/** `a` or `a, b and c`, each quoted as code. */
export function listOf(values: readonly string[]): string {
  const quoted = values.map((value) => `\`${value}\``)
  return quoted.length <= 1 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`
}

/** An absolute http(s) URL, or undefined. */
export function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined
  } catch {
    return undefined
  }
}
