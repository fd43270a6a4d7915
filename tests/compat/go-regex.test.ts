/**
 * Issue 15 item 4: every regex a config holds is Go's (RE2) syntax, matched in linear time, by one
 * engine that `verify-config` and the runtime share. Each case goes through all three doors:
 * `verify-config`'s check (sync `tags.regex`/`excludeRegex` and retention `keepTags[].patterns`),
 * periodic sync's tag filter and GC's retention patterns, so a pattern that verifies is the
 * pattern that runs. The expected results are what Go's `regexp.MatchString` answers.
 */
import { describe, expect, test } from 'bun:test'
import type { SyncContentConfig } from '../../lib/config'
import { compileGoRegex, goRegexProblem } from '../../lib/config/values/go-regex'
import { resolveGcSettings } from '../../lib/maintenance/options'
import { filterTags } from '../../lib/sync/mirror/tag-filter'
import { BASE_CONFIG, describeFindings, errorsOf, inspect, merge } from '../config/helpers'
import { testStorageConfig, testSyncConfig } from '../support/config'

interface Case {
  pattern: string
  matches: string[]
  misses: string[]
}

/** zot's documented examples (examples/README.md, config-sync.json, config-retention.json), then
 * Go syntax a JavaScript RegExp reads differently or refuses. */
const CASES: Case[] = [
  // Sync: "filter tags by regex"; unanchored, as Go's MatchString.
  { pattern: '4.*', matches: ['4.1', '4', 'v14', '1.4'], misses: ['v1.0', 'latest'] },
  { pattern: '.*-(amd64|arm64)$', matches: ['1.0-amd64', 'x-arm64'], misses: ['1.0-amd64-debug', 'amd64'] },
  // Retention: keepTags patterns.
  { pattern: 'v2.*', matches: ['v2', 'v2.1.0', 'xv2'], misses: ['v1.9', 'V2'] },
  { pattern: '.*-prod', matches: ['1.0-prod', 'a-prod-b'], misses: ['prod', '1.0-dev'] },
  // Go-only syntax.
  { pattern: '^v(?P<major>\\d+)\\.(?P<minor>\\d+)$', matches: ['v1.2', 'v10.20'], misses: ['v1', '1.2'] },
  { pattern: '(?U)^v[0-9]+', matches: ['v12', 'v1-rc'], misses: ['12'] },
  { pattern: '^[[:digit:]]+$', matches: ['123', '0'], misses: ['12a', 'v1', ''] },
  { pattern: '^[[:alpha:]][[:alnum:]_]*$', matches: ['latest', 'a_1'], misses: ['1a', 'a-b'] },
  { pattern: '\\Qv1.0+build\\E', matches: ['v1.0+build', 'xv1.0+buildy'], misses: ['v1x0+build', 'v1.00build'] },
  { pattern: '(?i)^LATEST$', matches: ['latest', 'Latest'], misses: ['latest-1'] },
  { pattern: '^(?i:rc)[0-9]$', matches: ['RC1', 'rc2'], misses: ['rc10'] },
  { pattern: '^\\pL+$', matches: ['stable', 'éte'], misses: ['v1'] },
  { pattern: '^\\d+\\.\\d+\\z', matches: ['1.2'], misses: ['1.2\n', '1.2.3'] },
]

const content = (tags: Record<string, string>): SyncContentConfig => {
  const [entry] = testSyncConfig({
    registries: [{ urls: ['https://upstream.test'], content: [{ prefix: '**', tags }] }],
  }).registries[0]!.content
  return entry!
}

const retentionPatterns = (patterns: string[]) =>
  resolveGcSettings(
    testStorageConfig({
      rootDirectory: '/x',
      retention: { policies: [{ repositories: ['**'], keepTags: [{ patterns }] }] },
    }),
  ).policies[0]!.keepTags[0]!.patterns

describe('Go regex syntax, one engine for verify-config, sync and retention', () => {
  for (const { pattern, matches, misses } of CASES) {
    test(pattern, async () => {
      const { findings } = await inspect(
        merge(BASE_CONFIG, {
          storage: { retention: { policies: [{ repositories: ['**'], keepTags: [{ patterns: [pattern] }] }] } },
          extensions: {
            sync: {
              registries: [
                {
                  urls: ['https://upstream.test'],
                  pollInterval: '1h',
                  content: [{ prefix: '**', tags: { regex: pattern, excludeRegex: pattern } }],
                },
              ],
            },
          },
        }),
      )
      expect(errorsOf(findings), describeFindings(findings)).toEqual([])

      const tags = [...matches, ...misses]
      expect(filterTags(content({ regex: pattern }), tags)).toEqual(matches)
      expect(filterTags(content({ excludeRegex: pattern }), tags)).toEqual(misses)
      const [retained] = retentionPatterns([pattern])
      expect(tags.filter((tag) => retained!.test(tag))).toEqual(matches)
    })
  }
})

describe("patterns Go refuses are refused by verify-config, with Go's message", () => {
  const refused: [string, RegExp][] = [
    ['^v(?!0)', /invalid or unsupported Perl syntax: `\(\?!`.*no lookahead or lookbehind/],
    ['(?<=v)1', /no lookahead or lookbehind/],
    ['(a)\\1', /invalid escape sequence: `\\1`.*no backreferences/],
    ['a{1001}', /invalid repeat count: `\{1001\}`/],
    ['[[:word:]', /missing closing \]/],
    ['\\Z', /invalid escape sequence: `\\Z`/],
    ['a**', /invalid nested repetition operator: `\*\*`/],
  ]
  for (const [pattern, message] of refused) {
    test(pattern, async () => {
      expect(goRegexProblem(pattern)).toMatch(message)
      const { findings } = await inspect(
        merge(BASE_CONFIG, {
          extensions: {
            sync: {
              registries: [
                {
                  urls: ['https://upstream.test'],
                  onDemand: true,
                  content: [{ prefix: '**', tags: { excludeRegex: pattern } }],
                },
              ],
            },
          },
        }),
      )
      const [error, ...others] = errorsOf(findings)
      expect(others).toEqual([])
      expect(error?.path).toBe('extensions.sync.registries[0].content[0].tags.excludeRegex')
      expect(error?.message).toMatch(message)
      expect(error?.value).toBe(pattern)
    })
  }
})

describe('capture groups, for mTLS uriSanPattern (group 1 is the identity, as zot takes it)', () => {
  test("zot's SPIFFE example and Go's named groups", () => {
    const spiffe = compileGoRegex('spiffe://example.org/workload/(.*)')
    expect(spiffe.submatch('spiffe://example.org/workload/testuser', 1)).toBe('testuser')
    expect(spiffe.submatch('spiffe://other.org/workload/testuser', 1)).toBeUndefined()
    expect(spiffe.submatch('spiffe://example.org/workload/testuser', 2)).toBeUndefined()
    expect(compileGoRegex('/ns/(?P<namespace>[^/]+)/sa/').submatch('spiffe://c/ns/build/sa/ci', 1)).toBe('build')
    expect(compileGoRegex('a(b)?c').submatch('ac', 1)).toBeUndefined()
  })
})

describe('linear-time matching', () => {
  // Each pattern/input pair takes exponential time in a backtracking engine (JavaScript's
  // RegExp would not finish `(a+)+$` on 40 a's and a "!" within days); RE2 answers at once,
  // whatever the input length. The test's own timeout is the bound.
  const pathological: [string, string][] = [
    ['(a+)+$', `${'a'.repeat(40)}!`],
    ['^(a|aa)+$', `${'a'.repeat(5_000)}b`],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', `${'aaaaaaaaaa'.repeat(1_000)}!`],
    ['(x+x+)+y', 'x'.repeat(100_000)],
  ]
  for (const [pattern, input] of pathological) {
    test(`${pattern} against ${input.length} characters`, () => {
      expect(compileGoRegex(pattern).test(input)).toBe(false)
      expect(filterTags(content({ regex: pattern }), [input, `${input}y`])).toEqual(
        pattern === '(x+x+)+y' ? [`${input}y`] : [],
      )
    })
  }
})
