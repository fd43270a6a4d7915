/**
 * @module
 * Retention decisions, exactly as zot makes them (docs/zot-compatibility.md 2.2), as pure functions of
 * the policies, the candidates' push and pull times and the clock, so every rule is testable
 * without storage. Every verdict carries the rule that made it: a dry run can say why.
 *
 * - The first policy whose `repositories` globs match the repository applies.
 * - Each tag belongs to the first `keepTags` entry whose patterns match it (none: deleted).
 * - Within an entry the rules are OR-ed, and counts rank only the tags that entry owns (so
 *   several entries with `mostRecentlyPushedCount: 1` each keep one tag: zot #3804).
 * - An entry with patterns only keeps everything it owns; a tag without statistics is kept.
 */
import type { KeepRulesConfig } from '../../config'
import { formatDuration } from '../../config/values/duration'
import { formatAge } from '../reports/format'
import type { CompiledPolicy } from '../options'

export interface RetentionCandidate {
  /** The tag, or the digest of an untagged manifest. */
  name: string
  digest: string
  pushedAt?: number
  pulledAt?: number
}

export interface Verdict {
  keep: boolean
  reason: string
}

/** The first policy matching the repository, or undefined (tags kept, untagged deleted). */
export function policyFor(policies: readonly CompiledPolicy[], repository: string): CompiledPolicy | undefined {
  return policies.find((policy) => policy.matches(repository))
}

export function hasRules(rules: KeepRulesConfig | undefined): boolean {
  if (!rules) return false
  const counts = rules.mostRecentlyPulledCount > 0 || rules.mostRecentlyPushedCount > 0
  return counts || rules.pulledWithin !== undefined || rules.pushedWithin !== undefined
}

const ago = (now: number, at: number | undefined): string => (at === undefined ? 'never' : `${formatAge(now - at)} ago`)

type Time = (candidate: RetentionCandidate) => number | undefined

/** Most recent first; ties broken by name so decisions are stable from run to run. */
function rankBy(candidates: readonly RetentionCandidate[], time: Time): RetentionCandidate[] {
  return [...candidates].sort((a, b) => (time(b) ?? 0) - (time(a) ?? 0) || a.name.localeCompare(b.name))
}

interface RuleCheck {
  /** `label.rule: value`, e.g. `policies[0].keepTags[1].mostRecentlyPushedCount: 3`. */
  name: string
  keeps(candidate: RetentionCandidate): boolean
  /** Why the rule does not keep the candidate. */
  miss(candidate: RetentionCandidate): string
}

/** The rules of one entry, in zot's order of evaluation. */
function ruleChecks(
  rules: KeepRulesConfig,
  candidates: readonly RetentionCandidate[],
  now: number,
  label: string,
): RuleCheck[] {
  const checks: RuleCheck[] = []
  const count = (key: 'mostRecentlyPulledCount' | 'mostRecentlyPushedCount', time: Time, verb: string): void => {
    const limit = rules[key]
    if (limit <= 0) return
    const ranked = rankBy(candidates, time)
    const rank = new Map(ranked.map((candidate, position) => [candidate.name, position + 1]))
    checks.push({
      name: `${label}.${key}: ${limit}`,
      keeps: (candidate) => (rank.get(candidate.name) ?? Infinity) <= limit,
      miss: (c) => `#${rank.get(c.name)} of ${ranked.length} by ${verb} time, beyond ${key} ${limit}`,
    })
  }
  count('mostRecentlyPulledCount', (c) => c.pulledAt, 'pull')
  count('mostRecentlyPushedCount', (c) => c.pushedAt, 'push')
  const { pulledWithin, pushedWithin } = rules
  if (pulledWithin !== undefined) {
    const since = now - pulledWithin
    // A tag pushed within the window is kept even if never pulled: it had no chance yet (zot).
    const window = formatDuration(pulledWithin)
    checks.push({
      name: `${label}.pulledWithin: ${window}`,
      keeps: (c) => (c.pulledAt ?? 0) > since || (c.pushedAt ?? 0) > since,
      miss: (c) => `pulled ${ago(now, c.pulledAt)} and pushed ${ago(now, c.pushedAt)}, beyond pulledWithin ${window}`,
    })
  }
  if (pushedWithin !== undefined) {
    const since = now - pushedWithin
    checks.push({
      name: `${label}.pushedWithin: ${formatDuration(pushedWithin)}`,
      keeps: (c) => (c.pushedAt ?? 0) > since,
      miss: (c) => `pushed ${ago(now, c.pushedAt)}, beyond pushedWithin ${formatDuration(pushedWithin)}`,
    })
  }
  return checks
}

/**
 * Applies one set of OR-ed rules to the candidates it governs. Without any rule every candidate
 * is kept by `patternsReason` (an entry with patterns only).
 */
export function applyRules(
  rules: KeepRulesConfig,
  candidates: readonly RetentionCandidate[],
  now: number,
  label: string,
  patternsReason: string,
): Map<string, Verdict> {
  const verdicts = new Map<string, Verdict>()
  const checks = ruleChecks(rules, candidates, now, label)
  for (const candidate of candidates) {
    if (checks.length === 0) {
      verdicts.set(candidate.name, { keep: true, reason: patternsReason })
      continue
    }
    const keeper = checks.find((check) => check.keeps(candidate))
    const misses = () => checks.map((check) => check.miss(candidate)).join('; ')
    const verdict = keeper
      ? { keep: true, reason: `kept by ${keeper.name}` }
      : { keep: false, reason: `no rule of ${label} keeps it: ${misses()}` }
    verdicts.set(candidate.name, verdict)
  }
  return verdicts
}

/** Decides every tag of a repository whose policy has `keepTags`. */
export function decideTags(
  policy: CompiledPolicy,
  candidates: readonly RetentionCandidate[],
  now: number,
): Map<string, Verdict> {
  const verdicts = new Map<string, Verdict>()
  const owned = new Map<number, RetentionCandidate[]>()
  for (const candidate of candidates) {
    if (candidate.pushedAt === undefined) {
      verdicts.set(candidate.name, { keep: true, reason: 'no push time is known for this tag' })
      continue
    }
    const owner = policy.keepTags.find(
      (entry) => entry.patterns.length === 0 || entry.patterns.some((pattern) => pattern.test(candidate.name)),
    )
    if (!owner) {
      const reason = `matches the patterns of no keepTags entry of policies[${policy.index}]`
      verdicts.set(candidate.name, { keep: false, reason })
      continue
    }
    owned.set(owner.index, [...(owned.get(owner.index) ?? []), candidate])
  }
  for (const [index, group] of owned) {
    const entry = policy.keepTags[index]!
    const label = `policies[${policy.index}].keepTags[${index}]`
    const decided = applyRules(entry.rules, group, now, label, `kept by ${label}.patterns`)
    for (const [name, verdict] of decided) verdicts.set(name, verdict)
  }
  return verdicts
}
