/**
 * @module
 * Parsing and validating pushed manifests. The registry never re-serialises a manifest: it keeps
 * the client's bytes and only extracts what it needs to check references and answer referrers.
 */
import { RegistryError } from '../errors/registry-error'
import { parseDigest } from './digest'
import { essence, IMAGE_MEDIA_TYPES, INDEX_MEDIA_TYPES, MediaType } from './media-types'
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth'

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
  artifactType?: string
  urls?: string[]
  platform?: Record<string, unknown>
}

/** What the registry needs to know about a stored manifest. */
export interface ManifestInfo {
  mediaType: string
  kind: 'image' | 'index'
  /** Config and layers that must be present as blobs (foreign layers excluded). */
  blobs: Descriptor[]
  /** Children of an index, which must be present as manifests. */
  manifests: Descriptor[]
  subject?: Descriptor
  /** The OCI 1.1 artifact type: `artifactType`, else an image's config media type. */
  artifactType?: string
  annotations?: Record<string, string>
}

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

const invalid = (description: string, extra: Record<string, unknown> = {}): RegistryError =>
  new RegistryError('MANIFEST_INVALID', { detail: { description, ...extra } })

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw invalid(`${where} must be an object of strings`)
  }
  return value as Record<string, string>
}

function descriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw invalid(`${where} must be a descriptor object`)
  const { mediaType, digest, size } = value
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${where}.mediaType is required`)
  if (typeof digest !== 'string' || !parseDigest(digest))
    throw invalid(`${where}.digest is not a valid digest`, { digest })
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw invalid(`${where}.size must be a non-negative integer`)
  const result: Descriptor = { mediaType, digest, size }
  const annotations = stringMap(value.annotations, `${where}.annotations`)
  if (annotations) result.annotations = annotations
  if (typeof value.artifactType === 'string') result.artifactType = value.artifactType
  if (Array.isArray(value.urls)) result.urls = value.urls.filter((u): u is string => typeof u === 'string')
  if (isObject(value.platform)) result.platform = value.platform
  return result
}

function descriptorList(value: unknown, where: string): Descriptor[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw invalid(`${where} must be an array`)
  return value.map((item, i) => descriptor(item, `${where}[${i}]`))
}

/** Layers a registry must not require: Docker foreign layers and OCI non-distributable ones with URLs. */
const isForeign = (layer: Descriptor): boolean =>
  layer.mediaType === MediaType.dockerForeignLayer ||
  ((layer.urls?.length ?? 0) > 0 && layer.mediaType.includes('nondistributable'))

/**
 * Works out the manifest's media type from the request's Content-Type and the body's own
 * `mediaType`, which must agree when both are given.
 */
function resolveMediaType(contentType: string, body: Record<string, unknown>): string {
  const declared = typeof body.mediaType === 'string' ? body.mediaType : undefined
  const header = essence(contentType)
  const headerIsManifest = IMAGE_MEDIA_TYPES.has(header) || INDEX_MEDIA_TYPES.has(header)
  if (declared !== undefined && headerIsManifest && declared !== header) {
    throw invalid('the manifest mediaType does not match the Content-Type header', {
      mediaType: declared,
      contentType: header,
    })
  }
  const mediaType = headerIsManifest
    ? header
    : (declared ?? (Array.isArray(body.manifests) ? MediaType.ociIndex : MediaType.ociManifest))
  if (!IMAGE_MEDIA_TYPES.has(mediaType) && !INDEX_MEDIA_TYPES.has(mediaType)) {
    throw new RegistryError('MANIFEST_INVALID', {
      status: 415,
      message: 'unsupported manifest media type',
      detail: {
        description: 'accepted: OCI image manifest and index, Docker v2 schema 2 manifest and manifest list',
        mediaType,
      },
    })
  }
  return mediaType
}

/** Parses a manifest body, throwing MANIFEST_INVALID with a precise description when it is bad. */
export function parseManifest(bytes: Uint8Array, contentType: string): ManifestInfo {
  if (nestsDeeperThan(bytes, MAX_JSON_DEPTH)) {
    throw invalid(`the manifest nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`)
  }
  let body: unknown
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (error) {
    throw invalid(`the manifest is not valid JSON: ${(error as Error).message}`)
  }
  if (!isObject(body)) throw invalid('the manifest must be a JSON object')
  if (body.schemaVersion !== 2) throw invalid('schemaVersion must be 2', { schemaVersion: body.schemaVersion })
  const mediaType = resolveMediaType(contentType, body)
  const subject = body.subject === undefined ? undefined : descriptor(body.subject, 'subject')
  const annotations = stringMap(body.annotations, 'annotations')
  const declaredArtifactType = typeof body.artifactType === 'string' ? body.artifactType : undefined
  const common = {
    mediaType,
    ...(subject && { subject }),
    ...(annotations && { annotations }),
  }
  if (INDEX_MEDIA_TYPES.has(mediaType)) {
    if (!Array.isArray(body.manifests)) throw invalid('an index must have a manifests array')
    return {
      ...common,
      kind: 'index',
      blobs: [],
      manifests: descriptorList(body.manifests, 'manifests'),
      ...(declaredArtifactType && { artifactType: declaredArtifactType }),
    }
  }
  if (body.config === undefined) throw invalid('an image manifest must have a config descriptor')
  const config = descriptor(body.config, 'config')
  const layers = descriptorList(body.layers, 'layers')
  return {
    ...common,
    kind: 'image',
    blobs: [config, ...layers.filter((layer) => !isForeign(layer))],
    manifests: [],
    artifactType: declaredArtifactType ?? config.mediaType,
  }
}
