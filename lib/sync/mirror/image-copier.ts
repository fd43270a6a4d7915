/**
 * @module
 * Eager copies for periodic mirroring: a tag with everything it reaches (every platform of an
 * index, or those `platforms` names, and every blob), then its referrers (signatures, SBOMs,
 * recursively) and cosign's legacy `sha256-<hex>.sig|.att|.sbom` tags. Blobs go through the same fills as pull-through requests,
 * so a client pulling an image while the mirror copies it shares the download. Children and
 * blobs are stored before the manifest that names them, so a mirrored tag is always complete
 * (for the platforms it was asked to copy: the index itself is stored byte for byte, listing the
 * others too, unlike zot, which rewrites it and so changes its digest).
 */
import type { Registry } from '../../registry/registry'
import type { BlobFills } from '../cache/blob-fills'
import type { ManifestCache, Placement } from '../cache/manifest-cache'
import { platformSpecs, platformWanted } from '../platforms'
import type { Route } from '../routing/route'
import { isSigned } from '../upstream/signatures'
import { legacyReferenceTags } from './tag-filter'

export interface ImageCopierOptions {
  registry: Registry
  fills: BlobFills
  manifests: ManifestCache
  /** Blobs of one image downloaded at once. */
  blobConcurrency?: number
}

export type CopyOutcome = 'copied' | 'unchanged' | 'unsigned'

const MAX_REFERRER_DEPTH = 3

export class ImageCopier {
  constructor(private readonly options: ImageCopierOptions) {}

  /**
   * Mirrors one upstream tag into `local`; `upstreamTags` lets legacy signature tags follow.
   * Once `signal` is aborted, the next upstream request or blob wait throws.
   */
  async copyTag(
    route: Route,
    local: string,
    tag: string,
    upstreamTags: readonly string[],
    signal?: AbortSignal,
  ): Promise<CopyOutcome> {
    const current = await route.upstream.resolveManifest(route.remote, tag, signal)
    const cached = await this.options.manifests.lookup(local, tag)
    if (cached?.descriptor.digest === current.digest) return 'unchanged'
    if (route.registry.onlySigned && !(await isSigned(route, current.digest, signal))) return 'unsigned'
    await this.copyManifest(route, local, current.digest, { tag }, signal)
    await this.copyReferrers(route, local, current.digest, 1, signal)
    if (route.registry.syncLegacyCosignTags) {
      for (const legacy of legacyReferenceTags(upstreamTags, current.digest))
        await this.copyManifest(route, local, legacy, { tag: legacy }, signal)
    }
    return 'copied'
  }

  /** A manifest and everything it reaches, children and blobs first. */
  private async copyManifest(
    route: Route,
    local: string,
    reference: string,
    placement: Placement,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const fetched = await route.upstream.fetchManifest(route.remote, reference, signal)
    const specs = platformSpecs(route.registry)
    for (const child of fetched.info.manifests) {
      if (!platformWanted(child, specs)) continue
      if (!(await this.options.manifests.lookup(local, child.digest))?.stored)
        await this.copyManifest(route, local, child.digest, { child: true }, signal)
    }
    await this.copyBlobs(
      route,
      local,
      fetched.info.blobs.map((blob) => blob.digest),
      signal,
    )
    await this.options.manifests.store(local, fetched, placement)
  }

  private async copyReferrers(
    route: Route,
    local: string,
    digest: string,
    depth: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const referrers = await route.upstream.listReferrers(route.remote, digest, undefined, signal)
    for (const referrer of referrers) {
      if (!(await this.options.manifests.lookup(local, referrer.digest))?.stored)
        await this.copyManifest(route, local, referrer.digest, {}, signal)
      if (depth < MAX_REFERRER_DEPTH) await this.copyReferrers(route, local, referrer.digest, depth + 1, signal)
    }
  }

  private async copyBlobs(
    route: Route,
    local: string,
    digests: string[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { registry, fills } = this.options
    const queue = [...new Set(digests)]
    const worker = async (): Promise<void> => {
      for (let digest = queue.shift(); digest !== undefined; digest = queue.shift()) {
        if (!(await registry.hasBlob(local, digest))) await fills.ensure(local, digest, [route], signal)
      }
    }
    await Promise.all(Array.from({ length: this.options.blobConcurrency ?? 3 }, worker))
  }
}
