import { describe, expect, test } from 'bun:test'
import { resolveGcSettings } from '../../lib/maintenance/options'
import { decideTags, policyFor, type RetentionCandidate } from '../../lib/maintenance/gc/retention'
import { testStorageConfig } from '../support/config'

const NOW = Date.UTC(2026, 0, 10)
const HOUR = 3_600_000

/** A retention policy or `keepTags` entry as a config file writes it. */
type Json = Record<string, unknown>

/** Decodes policies and compiles them as the GC does. */
const compile = (policies: Json[]) =>
  resolveGcSettings(testStorageConfig({ rootDirectory: '/x', retention: { policies } })).policies

/** `name@pushedHoursAgo[/pulledHoursAgo]` → candidate. */
function tags(...specs: string[]): RetentionCandidate[] {
  return specs.map((spec) => {
    const [name, times] = spec.split('@') as [string, string | undefined]
    const [pushed, pulled] = (times ?? '').split('/')
    return {
      name,
      digest: `sha256:${name}`,
      ...(pushed && { pushedAt: NOW - Number(pushed) * HOUR }),
      ...(pulled && { pulledAt: NOW - Number(pulled) * HOUR }),
    }
  })
}

/** One policy for every repository with these keepTags entries. */
const everywhere = (...keepTags: Json[]): Json[] => [{ repositories: ['**'], keepTags }]

function decide(policies: Json[], repository: string, candidates: RetentionCandidate[]) {
  const policy = policyFor(compile(policies), repository)
  if (!policy) return undefined
  const verdicts = decideTags(policy, candidates, NOW)
  const kept = [...verdicts]
    .filter(([, v]) => v.keep)
    .map(([name]) => name)
    .sort()
  const deleted = [...verdicts]
    .filter(([, v]) => !v.keep)
    .map(([name]) => name)
    .sort()
  return { kept, deleted, verdicts }
}

describe('which policy applies', () => {
  test('the first policy whose repositories match wins, even if a later one would keep more', () => {
    const policies = [
      { repositories: ['infra/*'], keepTags: [{ patterns: ['^v'] }] },
      { repositories: ['**'], keepTags: [{ patterns: ['.*'] }] },
    ]
    expect(decide(policies, 'infra/db', tags('v1@1', 'latest@1'))).toMatchObject({ kept: ['v1'], deleted: ['latest'] })
    expect(decide(policies, 'apps/web', tags('v1@1', 'latest@1'))).toMatchObject({
      kept: ['latest', 'v1'],
      deleted: [],
    })
  })

  test('doublestar globs: `tmp/**` matches tmp and anything under it, `infra/*` one level only', () => {
    const policies = compile([{ repositories: ['infra/*', 'tmp/**'] }])
    const matched = (repositories: string[]) => repositories.map((r) => policyFor(policies, r) !== undefined)
    expect(matched(['tmp', 'tmp/a', 'tmp/a/b', 'infra/a'])).toEqual([true, true, true, true])
    expect(matched(['infra', 'infra/a/b', 'other'])).toEqual([false, false, false])
  })

  test('a policy without repositories applies to none (as in zot): tags are kept', () => {
    expect(decide([{ keepTags: [{ patterns: ['^v'] }] }], 'app', tags('latest@1'))).toBeUndefined()
  })
})

describe('keepTags', () => {
  test('a tag no entry matches is deleted; patterns alone keep every tag they match', () => {
    const candidates = tags('v2.1@900', 'web-prod@900', 'v1.0@1', 'dev@1')
    const result = decide(everywhere({ patterns: ['v2.*', '.*-prod'] }), 'app', candidates)
    expect(result).toMatchObject({ kept: ['v2.1', 'web-prod'], deleted: ['dev', 'v1.0'] })
    expect(result!.verdicts.get('dev')!.reason).toContain('matches the patterns of no keepTags entry')
    expect(result!.verdicts.get('v2.1')!.reason).toBe('kept by policies[0].keepTags[0].patterns')
  })

  test('patterns are unanchored Go regular expressions; empty patterns match every tag', () => {
    const kept = (patterns: string[], ...specs: string[]) =>
      decide(everywhere({ patterns }), 'app', tags(...specs))?.kept
    expect(kept(['prod'], 'web-prod-1@1', 'dev@1')).toEqual(['web-prod-1'])
    expect(kept(['(?i)^RC'], 'rc1@1', 'v1@1')).toEqual(['rc1'])
    expect(kept([], 'a@1', 'b@1')).toEqual(['a', 'b'])
  })

  test('the first matching entry owns a tag: a later, more generous entry does not save it', () => {
    const policies = [
      { repositories: ['**'], keepTags: [{ patterns: ['^v'], pushedWithin: '1h' }, { patterns: ['.*'] }] },
    ]
    const result = decide(policies, 'app', tags('v1@2', 'v2@0.5', 'latest@100'))
    expect(result).toMatchObject({ kept: ['latest', 'v2'], deleted: ['v1'] })
    expect(result!.verdicts.get('v1')!.reason).toContain('policies[0].keepTags[0]')
  })

  test('pushedWithin keeps tags pushed inside the window', () => {
    const result = decide(everywhere({ pushedWithin: '24h' }), 'app', tags('new@23', 'old@25'))
    expect(result).toMatchObject({ kept: ['new'], deleted: ['old'] })
  })

  test('pulledWithin keeps tags pulled, or pushed, inside the window', () => {
    const candidates = tags('pulled@100/2', 'pushed@2', 'stale@100/50', 'never@100')
    const result = decide(everywhere({ pulledWithin: '24h' }), 'app', candidates)
    expect(result).toMatchObject({ kept: ['pulled', 'pushed'], deleted: ['never', 'stale'] })
    expect(result!.verdicts.get('stale')!.reason).toContain('beyond pulledWithin 24h')
  })

  test('mostRecentlyPushedCount keeps the N newest pushes', () => {
    const result = decide(everywhere({ mostRecentlyPushedCount: 2 }), 'app', tags('a@4', 'b@3', 'c@2', 'd@1'))
    expect(result).toMatchObject({ kept: ['c', 'd'], deleted: ['a', 'b'] })
  })

  test('mostRecentlyPulledCount keeps the N most recently pulled (never pulled rank last)', () => {
    const result = decide(everywhere({ mostRecentlyPulledCount: 2 }), 'app', tags('a@1', 'b@9/5', 'c@9/1', 'd@9/8'))
    expect(result).toMatchObject({ kept: ['b', 'c'], deleted: ['a', 'd'] })
  })

  test('rules of one entry are OR-ed', () => {
    const policies = [{ repositories: ['**'], keepTags: [{ mostRecentlyPushedCount: 1, pulledWithin: '24h' }] }]
    const result = decide(policies, 'app', tags('newest@1', 'pulled@50/3', 'neither@40/30'))
    expect(result).toMatchObject({ kept: ['newest', 'pulled'], deleted: ['neither'] })
  })

  test('zot #3804: several entries with mostRecentlyPushedCount 1 each keep their own newest tag', () => {
    const policies = [
      {
        repositories: ['**'],
        keepTags: [
          { patterns: ['^main-'], mostRecentlyPushedCount: 1 },
          { patterns: ['^release-'], mostRecentlyPushedCount: 1 },
          { patterns: ['.*'], mostRecentlyPushedCount: 1 },
        ],
      },
    ]
    const candidates = tags('main-1@30', 'main-2@20', 'release-1@25', 'release-2@1', 'pr-1@3', 'pr-2@2')
    const result = decide(policies, 'app', candidates)
    expect(result).toMatchObject({ kept: ['main-2', 'pr-2', 'release-2'], deleted: ['main-1', 'pr-1', 'release-1'] })
    expect(result!.verdicts.get('main-2')!.reason).toBe('kept by policies[0].keepTags[0].mostRecentlyPushedCount: 1')
    expect(result!.verdicts.get('main-1')!.reason).toContain('#2 of 2 by push time')
  })

  test("zot's documented example: everything combined, with a default policy after it", () => {
    const policies = [
      {
        repositories: ['infra/*', 'tmp/**'],
        deleteReferrers: false,
        deleteUntagged: true,
        keepTags: [
          {
            patterns: ['v2.*', '.*-prod'],
            mostRecentlyPushedCount: 10,
            mostRecentlyPulledCount: 10,
            pulledWithin: '720h',
            pushedWithin: '720h',
          },
        ],
      },
      { repositories: ['**'], keepTags: [{ patterns: ['.*'] }] },
    ]
    const v2 = Array.from({ length: 12 }, (_, i) => `v2.${i}@${1000 + i}/${2000 + i}`)
    const result = decide(policies, 'tmp/cache', tags(...v2, 'v1.0@1', 'web-prod@3000/1'))
    // Pushed: v2.0-v2.9 are the 10 newest. Pulled: web-prod, then v2.0-v2.8. Nothing is within
    // 720h but web-prod's pull. v1.0 matches no pattern, however new.
    expect(result!.deleted).toEqual(['v1.0', 'v2.10', 'v2.11'])
    expect(result!.verdicts.get('web-prod')!.reason).toContain('mostRecentlyPulledCount: 10')
    expect(result!.verdicts.get('v2.9')!.reason).toContain('mostRecentlyPushedCount: 10')
    expect(decide(policies, 'apps/web', tags('anything@5000'))).toMatchObject({ kept: ['anything'] })
  })

  test('a tag whose push time is unknown is kept', () => {
    const result = decide(everywhere({ mostRecentlyPushedCount: 1 }), 'app', tags('known@1', 'known2@2', 'unknown'))
    expect(result).toMatchObject({ kept: ['known', 'unknown'], deleted: ['known2'] })
  })
})
