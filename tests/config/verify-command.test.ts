/**
 * @module
 * `zot verify-config`: exit status, the one-line verdict at the end, and `--json`.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { verifyConfigCommand } from '../../cmd/verify-config'
import { makeTempFiles } from './helpers'

const files = makeTempFiles()
afterAll(() => files.remove())

async function run(path: string, json = false, strict = false) {
  const out: string[] = []
  const err: string[] = []
  const status = await verifyConfigCommand(
    path,
    { json, strict },
    { out: (line) => out.push(line), err: (line) => err.push(line) },
  )
  return { status, out, err }
}

const valid = JSON.stringify({ storage: { rootDirectory: '/srv/zot' }, http: { port: 5000 } })
const withWarning = JSON.stringify({
  distSpecVersion: '1.0.0',
  storage: { rootDirectory: '/srv/zot' },
})
const invalid = JSON.stringify({
  storage: { rootDirectory: '/srv/zot', gcDelay: '-1h' },
  http: { prot: 5000 },
})

describe('verify-config', () => {
  test('a valid config exits 0 with a verdict', async () => {
    const path = files.write('valid.json', valid)
    expect(await run(path)).toEqual({ status: 0, out: [`${path}: valid`], err: [] })
  })

  test('warnings are printed but do not fail', async () => {
    const path = files.write('warning.json', withWarning)
    const { status, out } = await run(path)
    expect(status).toBe(0)
    expect(out[0]).toBe(
      'warning: distSpecVersion: zot-bun implements distribution-spec 1.1.1; the configured version is ignored (value: "1.0.0")',
    )
    expect(out.at(-1)).toBe(`${path}: valid (1 warning)`)
  })

  test('an invalid config exits 1, explains each error with its fix, and ends with the verdict', async () => {
    const path = files.write('invalid.json', invalid)
    const { status, out } = await run(path)
    expect(status).toBe(1)
    expect(out).toEqual([
      'error: http.prot: unknown key; did you mean `port`? (value: 5000)',
      '  fix: rename it to `port`',
      'error: storage.gcDelay: must not be negative (value: "-1h")',
      '  fix: use "0s" or more',
      `${path}: invalid, 2 errors`,
    ])
  })

  test('--json prints one machine-readable document', async () => {
    const path = files.write('invalid-json.json', invalid)
    const { status, out } = await run(path, true)
    expect(status).toBe(1)
    expect(out).toHaveLength(1)
    const report = JSON.parse(out[0] ?? '') as {
      valid: boolean
      errors: number
      warnings: number
      findings: unknown[]
    }
    expect(report).toMatchObject({ file: path, valid: false, errors: 2, warnings: 0 })
    expect(report.findings[0]).toEqual({
      severity: 'error',
      path: 'http.prot',
      message: 'unknown key; did you mean `port`?',
      value: 5000,
      fix: 'rename it to `port`',
    })
  })

  test('--json says whether it ran strict; a missing named file is a warning, or an error with strict', async () => {
    const path = files.write(
      'missing-htpasswd.json',
      JSON.stringify({
        storage: { rootDirectory: '/srv/zot' },
        http: { auth: { htpasswd: { path: `${files.dir}/no-htpasswd` } } },
      }),
    )
    const report = async (strict: boolean) => {
      const { status, out } = await run(path, true, strict)
      return {
        status,
        ...(JSON.parse(out[0] ?? '') as { strict: boolean; valid: boolean; errors: number; warnings: number }),
      }
    }
    expect(await report(false)).toMatchObject({ status: 0, strict: false, valid: true, errors: 0, warnings: 1 })
    expect(await report(true)).toMatchObject({ status: 1, strict: true, valid: false, errors: 1, warnings: 0 })
  })

  test('an unreadable file is reported the same way', async () => {
    const { status, out } = await run(`${files.dir}/missing.yaml`)
    expect(status).toBe(1)
    expect(out.at(-1)).toBe(`${files.dir}/missing.yaml: invalid, 1 error`)
  })
})
