/**
 * @module
 * zot's lint extension (`extensions.lint.mandatoryAnnotations`, docs/zot-compatibility.md 2.7):
 * a pushed OCI image manifest must carry every mandatory annotation, in its own `annotations` or
 * as a label of its config (`config.Labels`). Indexes, Docker manifests and signatures (cosign,
 * notation) are not linted, as in zot. The refusal is zot's: 400 MANIFEST_INVALID, naming what
 * is missing. Unlike zot, content the pull-through cache stores is not linted: it is the
 * upstream's, and refusing it would only break pulls.
 */
import { RegistryError } from '../errors/registry-error'
import { digestOf } from '../oci/digest'
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../oci/json-depth'
import { parseManifest } from '../oci/manifest'
import { MediaType } from '../oci/media-types'
import { COSIGN_SIGNATURE_TAG, isSignatureArtifactType } from '../oci/signatures'
import type { ContentSource } from '../registry/content-source'

/** Checks a manifest about to be pushed; throws the refusal. */
export type ManifestLint = (
  storage: ContentSource,
  push: { repository: string; reference: string; body: Uint8Array; contentType: string },
) => Promise<void>

/** Config blobs are small JSON; a bigger one cannot be checked cheaply, so it is refused. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024

/** What a refusal tells the events extension (zot's `image.lint_failed`). */
export interface RefusedManifest {
  repository: string
  reference: string
  digest: string
  mediaType: string
  body: Uint8Array
}

/** The lint for a configuration, or undefined when it asks for nothing. */
export function mandatoryAnnotationsLint(
  required: readonly string[],
  onRefused: (refused: RefusedManifest) => void = () => undefined,
): ManifestLint | undefined {
  if (required.length === 0) return undefined
  return async (storage, { repository, reference, body, contentType }) => {
    const manifest = parseManifest(body, contentType)
    if (manifest.mediaType !== MediaType.ociManifest) return
    if (COSIGN_SIGNATURE_TAG.test(reference)) return
    if (isSignatureArtifactType(manifest.artifactType)) return
    const missing = required.filter((key) => manifest.annotations?.[key] === undefined)
    if (missing.length === 0) return
    const config = manifest.blobs[0]
    // No config here yet: storing would fail on the missing blob, with its own error.
    if (!config || !(await storage.statBlob(repository, config.digest))) return
    const labels = await configLabels(storage, repository, config.digest, config.size)
    const stillMissing = missing.filter((key) => labels[key] === undefined)
    if (stillMissing.length === 0) return
    const digest = digestOf(body)
    onRefused({ repository, reference, digest, mediaType: manifest.mediaType, body })
    throw new RegistryError('MANIFEST_INVALID', {
      detail: {
        description: `manifest ${digest} or its config ${config.digest} is missing the mandatory annotations: ${stillMissing.join(', ')}`,
        reference,
        missingAnnotations: stillMissing,
      },
    })
  }
}

async function configLabels(
  storage: ContentSource,
  repository: string,
  digest: string,
  size: number,
): Promise<Record<string, unknown>> {
  const refuse = (description: string) => new RegistryError('MANIFEST_INVALID', { detail: { description, digest } })
  if (size > MAX_CONFIG_BYTES) throw refuse(`the config is larger than ${MAX_CONFIG_BYTES} bytes; lint cannot read it`)
  const bytes = await new Response(await storage.openBlob(repository, digest)).bytes()
  if (nestsDeeperThan(bytes, MAX_JSON_DEPTH)) throw refuse(`the config nests deeper than ${MAX_JSON_DEPTH} levels`)
  let config: unknown
  try {
    config = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    throw refuse('the config is not JSON; lint reads mandatory annotations from its labels')
  }
  const labels = (config as { config?: { Labels?: unknown } } | null)?.config?.Labels
  return typeof labels === 'object' && labels !== null ? (labels as Record<string, unknown>) : {}
}
