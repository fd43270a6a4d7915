/**
 * @module
 * `onlySigned`: an image is synced only when its upstream has a cosign or notation signature for
 * it, as a referrer or as cosign's legacy `sha256-<hex>.sig` tag (docs/zot-compatibility.md 5.1).
 */
import { RegistryError } from '../../errors/registry-error'
import type { Route } from '../routing/route'

const SIGNATURE_ARTIFACT_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.dev.cosign.artifact.sig.v1+json',
  'application/vnd.cncf.notary.signature',
])

export async function isSigned(route: Route, digest: string, signal?: AbortSignal): Promise<boolean> {
  const referrers = await route.upstream.listReferrers(route.remote, digest, undefined, signal)
  if (referrers.some((referrer) => SIGNATURE_ARTIFACT_TYPES.has(referrer.artifactType ?? ''))) return true
  try {
    await route.upstream.resolveManifest(route.remote, `${digest.replace(':', '-')}.sig`, signal)
    return true
  } catch (error) {
    if (error instanceof RegistryError) return false
    throw error
  }
}
