/**
 * @module
 * A GC sweep's claim on blobs of a repository, for storage several replicas share (an S3 bucket):
 * the blobs a sweep is about to delete, written into the repository's `index.json` (an
 * annotation) by compare-and-swap before the first deletion and removed after the last.
 * Every manifest push is a compare-and-swap on the same object, so pushes and claims are totally
 * ordered: a push ordered before a claim is seen by it (its blobs are live, never claimed), and a
 * push ordered after one sees it and waits until it is released before it checks that its blobs
 * exist (docs/s3.md, "GC on several replicas", has the proof). A claim also keeps a second GC
 * replica out of the repository while it holds. It expires (`until`): a killed sweep does not
 * block pushes for long, and a live one stops deleting at `until`.
 */
import type { ImageIndex } from '../storage/image-index'

/** The index.json annotation holding the claim (JSON); zot keeps unknown annotations as they are. */
export const SWEEP_ANNOTATION = 'io.zot-bun.gc.sweep'

/**
 * How far replicas' clocks may disagree: a claim counts as live this long after its `until`,
 * while its sweep stops deleting at `until` by its own clock.
 */
export const CLOCK_SKEW_ALLOWANCE_MS = 10_000

export interface SweepClaim {
  /** Unique per claim: only its own sweep removes it. */
  id: string
  /** Epoch ms after which the sweep deletes nothing more under this claim. */
  until: number
  /** Digests the sweep may delete. */
  blobs: string[]
  /** The sweep removes the (empty) repository itself: no push may record anything meanwhile. */
  repository?: true
}

/** What a sweep asks to claim. */
export type ClaimRequest = Pick<SweepClaim, 'blobs' | 'repository'>

/** The claim recorded in the index, if any (a malformed one counts as none: it protects nothing). */
export function claimOf(index: ImageIndex): SweepClaim | undefined {
  const text = index.annotations?.[SWEEP_ANNOTATION]
  if (text === undefined) return undefined
  try {
    const claim = JSON.parse(text) as Partial<SweepClaim>
    if (typeof claim.id !== 'string' || typeof claim.until !== 'number' || !Array.isArray(claim.blobs)) return undefined
    const blobs = claim.blobs.filter((blob) => typeof blob === 'string')
    return { id: claim.id, until: claim.until, blobs, ...(claim.repository === true && { repository: true }) }
  } catch {
    return undefined
  }
}

/** Whether the claim's sweep may still be deleting, allowing for clock skew. */
export const isLive = (claim: SweepClaim, now: number): boolean => now < claim.until + CLOCK_SKEW_ALLOWANCE_MS

/** The live claim on any of `digests`, which a push relying on them must wait out. */
export function blockingClaim(index: ImageIndex, digests: Iterable<string>, now: number): SweepClaim | undefined {
  const claim = claimOf(index)
  if (!claim || !isLive(claim, now)) return undefined
  if (claim.repository) return claim
  const claimed = new Set(claim.blobs)
  for (const digest of digests) if (claimed.has(digest)) return claim
  return undefined
}

export function withClaim(index: ImageIndex, claim: SweepClaim): ImageIndex {
  return { ...index, annotations: { ...index.annotations, [SWEEP_ANNOTATION]: JSON.stringify(claim) } }
}

/** The index without the claim `id`; undefined when it does not hold that claim (nothing to write). */
export function withoutClaim(index: ImageIndex, id: string): ImageIndex | undefined {
  if (claimOf(index)?.id !== id) return undefined
  const { [SWEEP_ANNOTATION]: _released, ...rest } = index.annotations ?? {}
  const { annotations: _old, ...plain } = index
  return Object.keys(rest).length > 0 ? { ...plain, annotations: rest } : plain
}
