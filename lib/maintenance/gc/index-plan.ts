/**
 * @module
 * What GC removes from one repository's index.json (docs/zot-compatibility.md 6.5 steps 1-3), as a pure
 * function of the index and facts gathered beforehand, so it can run under the repository's lock
 * without I/O and be tested without storage:
 *
 * 1. tags no `keepTags` rule retains (the whole entry goes, as in zot);
 * 2. until nothing changes: referrers whose subject is gone (`deleteReferrers`, after
 *    `retention.delay`; legacy cosign `sha256-<hex>.sig` tags after `gcDelay`), and untagged
 *    manifests no index refers to (`deleteUntagged`, after `retention.delay`, unless
 *    `keepUntagged` retains them);
 * 3. entries whose manifest blob is gone, unless scrub quarantined it (a re-push repairs those).
 *
 * "Age" is time since the manifest's last activity: the latest of its file's mtime, its push, its
 * pull and any recent touch. zot uses the mtime only; counting pulls keeps an untagged image that
 * is still pulled by digest (a pull-through cache entry, a pinned deployment: zot #4148) alive.
 */
import type { RepositoryStats } from '../../meta/meta-store'
import type { Descriptor, ManifestInfo } from '../../oci/manifest'
import { MANIFEST_MEDIA_TYPES } from '../../oci/media-types'
import { tagOf, type ImageIndex } from '../../registry/storage/image-index'
import { formatAge } from '../reports/format'
import type { CompiledPolicy } from '../options'
import { applyRules, decideTags, hasRules, type RetentionCandidate } from './retention'

export interface ManifestFacts {
  /** The parsed manifest; undefined when unreadable or of a media type GC does not know. */
  info?: ManifestInfo
  /** Whether the manifest's blob is in the repository. */
  present: boolean
  /** Whether scrub moved the blob to quarantine. */
  quarantined: boolean
  /** The blob file's mtime (ms). */
  modifiedAt?: number
  /** Last blobTouched/push event seen by this process (ms). */
  touchedAt?: number
}

export interface PlanInput {
  index: ImageIndex
  /** Facts about every manifest of the index, children of indexes included. */
  facts: ReadonlyMap<string, ManifestFacts>
  stats: RepositoryStats
  policy: CompiledPolicy | undefined
  gcDelay: number
  retentionDelay: number
  now: number
}

export interface IndexDecision {
  kind: 'tag' | 'manifest'
  /** The tag, or the manifest's digest. */
  reference: string
  digest: string
  action: 'delete' | 'keep'
  rule: string
}

export interface IndexPlan {
  index: ImageIndex
  changed: boolean
  decisions: IndexDecision[]
}

/** Legacy cosign signature, attestation and SBOM tags name their subject. */
const COSIGN_TAG = /^(sha256|sha512)-([a-f0-9]+)\.(sig|att|sbom)$/

const policyName = (policy: CompiledPolicy | undefined): string =>
  policy ? `policies[${policy.index}]` : 'default policy'

class Planner {
  readonly decisions: IndexDecision[] = []

  constructor(private readonly input: PlanInput) {}

  lastActive(digest: string): number | undefined {
    const facts = this.input.facts.get(digest)
    const stats = this.input.stats.manifests.get(digest)
    // No mtime means the blob could not be examined: never old (fail closed).
    if (facts?.modifiedAt === undefined) return undefined
    return Math.max(facts.modifiedAt, facts.touchedAt ?? 0, stats?.pushedAt ?? 0, stats?.pulledAt ?? 0)
  }

  isOld(digest: string, delay: number): boolean {
    const last = this.lastActive(digest)
    return last !== undefined && this.input.now - last >= delay
  }

  idleFor(digest: string): string {
    const last = this.lastActive(digest)
    return last === undefined ? 'unknown' : formatAge(this.input.now - last)
  }

  record(entry: Descriptor, kind: IndexDecision['kind'], action: IndexDecision['action'], rule: string): void {
    const reference = kind === 'tag' ? tagOf(entry)! : entry.digest
    this.decisions.push({ kind, reference, digest: entry.digest, action, rule })
  }

  retainTags(entries: Descriptor[], policy: CompiledPolicy): Descriptor[] {
    const { stats } = this.input
    const candidates: RetentionCandidate[] = entries.flatMap((entry) => {
      const tag = tagOf(entry)
      if (tag === undefined) return []
      const tagStats = stats.tags.get(tag)
      const manifest = stats.manifests.get(entry.digest)
      // Content older than the metadata store (a zot data directory, a sync) has no recorded
      // push: its manifest file's mtime is the time it was written, the best estimate there is.
      const recorded = tagStats?.digest === entry.digest ? tagStats.pushedAt : manifest?.pushedAt
      const pushedAt = recorded ?? this.input.facts.get(entry.digest)?.modifiedAt
      return [{ name: tag, digest: entry.digest, pushedAt, pulledAt: manifest?.pulledAt }]
    })
    const verdicts = decideTags(policy, candidates, this.input.now)
    return entries.filter((entry) => {
      const tag = tagOf(entry)
      const verdict = tag === undefined ? undefined : verdicts.get(tag)
      if (!verdict) return true
      this.record(entry, 'tag', verdict.keep ? 'keep' : 'delete', verdict.reason)
      return verdict.keep
    })
  }

  removeOrphanReferrers(entries: Descriptor[], policy: CompiledPolicy): Descriptor[] {
    const listed = new Set(entries.map((entry) => entry.digest))
    const doomed = new Set<string>()
    const doomedTags = new Set<Descriptor>()
    const rule = `deleteReferrers (${policyName(policy)})`
    for (const entry of entries) {
      const subject = this.input.facts.get(entry.digest)?.info?.subject
      const orphan = subject !== undefined && !listed.has(subject.digest) && !doomed.has(entry.digest)
      if (orphan && this.isOld(entry.digest, this.input.retentionDelay)) {
        doomed.add(entry.digest)
        const idle = this.idleFor(entry.digest)
        this.record(entry, 'manifest', 'delete', `${rule}: its subject ${subject.digest} is gone; idle for ${idle}`)
        continue
      }
      const cosign = COSIGN_TAG.exec(tagOf(entry) ?? '')
      const subjectDigest = cosign ? `${cosign[1]}:${cosign[2]}` : undefined
      if (subjectDigest && !listed.has(subjectDigest) && this.isOld(entry.digest, this.input.gcDelay)) {
        doomedTags.add(entry)
        this.record(entry, 'tag', 'delete', `${rule}: the subject ${subjectDigest} of this cosign tag is gone`)
      }
    }
    return entries.filter((entry) => !doomed.has(entry.digest) && !doomedTags.has(entry))
  }

  /** Children of the repository's indexes (recursively) and referrers: never "untagged". */
  private referenced(entries: Descriptor[]): Set<string> {
    const referenced = new Set<string>()
    const visit = (digest: string): void => {
      const info = this.input.facts.get(digest)?.info
      for (const child of info?.manifests ?? []) {
        if (referenced.has(child.digest)) continue
        referenced.add(child.digest)
        visit(child.digest)
      }
    }
    for (const entry of entries) {
      visit(entry.digest)
      if (this.input.facts.get(entry.digest)?.info?.subject) referenced.add(entry.digest)
    }
    return referenced
  }

  removeUntagged(entries: Descriptor[], policy: CompiledPolicy | undefined): Descriptor[] {
    const referenced = this.referenced(entries)
    const tagged = new Set(entries.filter((entry) => tagOf(entry) !== undefined).map((entry) => entry.digest))
    const untagged = new Map<string, Descriptor>()
    for (const entry of entries) {
      const manifest = tagOf(entry) === undefined && MANIFEST_MEDIA_TYPES.has(entry.mediaType)
      if (manifest && !tagged.has(entry.digest) && !referenced.has(entry.digest)) untagged.set(entry.digest, entry)
    }
    const keepRules = policy?.keepUntagged
    const candidates = [...untagged.keys()].map((digest) => this.untaggedCandidate(digest))
    const label = `${policyName(policy)}.keepUntagged`
    const verdicts =
      keepRules && hasRules(keepRules) ? applyRules(keepRules, candidates, this.input.now, label, '') : undefined
    const doomed = new Set<string>()
    for (const [digest, entry] of untagged) {
      if (!this.isOld(digest, this.input.retentionDelay)) continue
      const verdict = verdicts?.get(digest)
      if (verdict?.keep) {
        this.record(entry, 'manifest', 'keep', verdict.reason)
        continue
      }
      doomed.add(digest)
      const idle = this.idleFor(digest)
      const why = `deleteUntagged (${policyName(policy)}): untagged, no index refers to it, idle for ${idle}`
      this.record(entry, 'manifest', 'delete', verdict ? `${why}; ${verdict.reason}` : why)
    }
    return entries.filter((entry) => !doomed.has(entry.digest))
  }

  private untaggedCandidate(digest: string): RetentionCandidate {
    const stats = this.input.stats.manifests.get(digest)
    const pushedAt = stats?.pushedAt ?? this.input.facts.get(digest)?.modifiedAt
    return { name: digest, digest, pushedAt, pulledAt: stats?.pulledAt }
  }

  removeStale(entries: Descriptor[]): Descriptor[] {
    return entries.filter((entry) => {
      const facts = this.input.facts.get(entry.digest)
      if (!facts || facts.present || facts.quarantined) return true
      const kind = tagOf(entry) === undefined ? 'manifest' : 'tag'
      this.record(entry, kind, 'delete', 'the index lists it but its manifest blob is gone from storage')
      return false
    })
  }
}

/** Plans the index changes of one GC pass over a repository. */
export function planIndex(input: PlanInput): IndexPlan {
  const planner = new Planner(input)
  const { policy } = input
  let entries = [...input.index.manifests]
  if (policy && policy.keepTags.length > 0) entries = planner.retainTags(entries, policy)
  // Removing a manifest can orphan its referrers, and those theirs: repeat until stable.
  for (;;) {
    const before = entries.length
    if (policy?.deleteReferrers) entries = planner.removeOrphanReferrers(entries, policy)
    // No policy for the repository: untagged manifests go, as in zot.
    if (policy === undefined || policy.deleteUntagged) entries = planner.removeUntagged(entries, policy)
    if (entries.length === before) break
  }
  entries = planner.removeStale(entries)
  const changed = entries.length !== input.index.manifests.length
  // The loop may judge a kept manifest more than once: report each reference once, last word wins.
  const decisions = new Map(planner.decisions.map((d) => [`${d.kind} ${d.reference}`, d]))
  const index = changed ? { ...input.index, manifests: entries } : input.index
  return { index, changed, decisions: [...decisions.values()] }
}
