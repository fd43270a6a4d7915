/**
 * @module
 * Which upstream tags periodic sync copies: `tags.regex` (unanchored include), then
 * `tags.excludeRegex`, then `tags.semver` (Masterminds semver v1 grammar, as zot uses: `v1.2.3`,
 * `1.2`, `1` with optional pre-release). Tags that carry signatures and SBOMs by naming
 * convention are set apart: they follow the image they name rather than the filters.
 */
import type { SyncContentConfig } from '../../config'
import { compileGoRegex } from '../../config/values/go-regex'

const SEMVER = /^v?\d+(\.\d+)?(\.\d+)?(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/

/** cosign's `sha256-<hex>.sig|.att|.sbom` tags and the referrers fallback tag `sha256-<hex>`. */
const LEGACY_REFERENCE_TAG = /^sha256-[a-f0-9]{64}(\.(sig|att|sbom))?$/

export const isLegacyReferenceTag = (tag: string): boolean => LEGACY_REFERENCE_TAG.test(tag)

/** The tags of `tags` that the entry's filters let through, in their order. */
export function filterTags(entry: SyncContentConfig | undefined, tags: readonly string[]): string[] {
  // Go's syntax and linear-time matching, through the compiler verify-config checked them with.
  const include = entry?.tags?.regex ? compileGoRegex(entry.tags.regex) : undefined
  const exclude = entry?.tags?.excludeRegex ? compileGoRegex(entry.tags.excludeRegex) : undefined
  const semver = entry?.tags?.semver === true
  return tags.filter(
    (tag) =>
      !isLegacyReferenceTag(tag) &&
      (!include || include.test(tag)) &&
      !exclude?.test(tag) &&
      (!semver || SEMVER.test(tag)),
  )
}

/** The legacy signature/SBOM tags (`sha256-<hex>.sig`...) that belong to one manifest digest. */
export function legacyReferenceTags(tags: readonly string[], digest: string): string[] {
  const stem = digest.replace(':', '-')
  return tags.filter((tag) => tag.startsWith(stem) && isLegacyReferenceTag(tag))
}
