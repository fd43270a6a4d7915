/**
 * @module
 * The shape of the rule tables (rules-*.test.ts): each case changes a valid base config in one
 * way and expects exactly one finding of that severity, at that key path, with that
 * explanation, and no other error. Also the config fragments several tables share.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { describeFindings, errorsOf, inspectPatched, makeTempFiles, merge, type Json, type TempFiles } from './helpers'

export interface RuleCase {
  title: string
  /** Merged into the base config; a function gets the temp folder of secret and TLS files. */
  patch: Json | ((files: TempFiles) => Json)
  path: string
  message: string | RegExp
  severity?: 'error' | 'warning'
  fix?: string | RegExp
}

export const s3 = { name: 's3', region: 'us-east-1', bucket: 'zot' }
export const tlsFiles = (files: TempFiles) => ({
  cert: files.cert,
  key: files.key,
  cacert: files.ca,
})
export const registry = (extra: Json) => ({
  extensions: {
    sync: { registries: [merge({ urls: ['https://ghcr.io'], onDemand: true }, extra)] },
  },
})
export const R0 = 'extensions.sync.registries[0]'

export function describeRuleCases(title: string, cases: readonly RuleCase[]): void {
  const files = makeTempFiles()
  afterAll(() => files.remove())
  describe(title, () => {
    for (const item of cases) {
      test(item.title, async () => {
        const patch = typeof item.patch === 'function' ? item.patch(files) : item.patch
        const { findings } = await inspectPatched(patch)
        const severity = item.severity ?? 'error'
        const matching = findings.filter((finding) => finding.severity === severity && finding.path === item.path)
        expect(matching, describeFindings(findings)).toHaveLength(1)
        const [finding] = matching
        if (typeof item.message === 'string') expect(finding?.message).toContain(item.message)
        else expect(finding?.message).toMatch(item.message)
        if (item.fix !== undefined) expect(finding?.fix ?? '').toMatch(item.fix)
        const otherErrors = errorsOf(findings).filter((other) => other !== finding)
        expect(otherErrors, describeFindings(otherErrors)).toEqual([])
      })
    }
  })
}
