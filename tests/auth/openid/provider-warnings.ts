/**
 * @module
 * oidc-provider announces its development conveniences on stderr, and this test IdP uses them on
 * purpose: the in-memory adapter, generated signing keys, dev interactions, and Bun as the
 * runtime (plus a deprecated `crypto.pseudoRandomBytes` call in its cookie signing, `tsscmp`).
 * Those warnings are expected: they are held back, so a passing run prints nothing that reads
 * like a failure. Any other warning it gives is a finding: it is printed, and fails the file.
 */
import { afterAll, expect } from 'bun:test'

const EXPECTED = [
  'oidc-provider WARNING: Unsupported runtime.',
  'oidc-provider WARNING: a quick start development-only in-memory adapter is used',
  'oidc-provider WARNING: quick start development-only signing keys are used',
  'oidc-provider WARNING: a quick start development-only feature devInteractions is enabled',
]
const EXPECTED_DEPRECATION = 'DEP0115'

let installed = false

/**
 * Holds back the expected warnings until the end of the test file, which then fails if
 * oidc-provider warned about anything else. Call it before oidc-provider is imported: the runtime
 * warning comes at import.
 */
export function holdBackProviderWarnings(): void {
  if (installed) return
  installed = true
  const found: string[] = []
  const { warn } = console
  const { emitWarning } = process
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ')
    if (!text.includes('oidc-provider')) return warn.apply(console, args)
    if (EXPECTED.some((expected) => text.includes(expected))) return
    found.push(text)
    warn.apply(console, args)
  }
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    // emitWarning(warning, type, code) or emitWarning(warning, { type, code }).
    const options = rest[0]
    const code = typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : rest[1]
    if (code === EXPECTED_DEPRECATION) return
    Reflect.apply(emitWarning, process, [warning, ...rest])
  }) as typeof process.emitWarning
  afterAll(() => {
    console.warn = warn
    process.emitWarning = emitWarning
    installed = false
    expect(found).toEqual([])
  })
}
