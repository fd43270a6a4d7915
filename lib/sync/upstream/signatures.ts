/**
 * @module
 * `onlySigned`: an image is synced only when its upstream has a cosign or notation signature for
 * it, as a referrer or as cosign's legacy `sha256-<hex>.sig` tag (docs/zot-compatibility.md 5.1).
 */
import { RegistryError } from '../../errors/registry-error'
import { cosignSignatureTag, isSignatureArtifactType } from '../../oci/signatures'
import type { Route } from '../routing/route'

export async function isSigned(route: Route, digest: string, signal?: AbortSignal): Promise<boolean> {
  const referrers = await route.upstream.listReferrers(route.remote, digest, undefined, signal)
  if (referrers.some((referrer) => isSignatureArtifactType(referrer.artifactType))) return true
  try {
    await route.upstream.resolveManifest(route.remote, cosignSignatureTag(digest), signal)
    return true
  } catch (error) {
    if (error instanceof RegistryError) return false
    throw error
  }
}
