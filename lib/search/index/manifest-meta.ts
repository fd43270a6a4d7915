/**
 * @module
 * What search knows about one manifest, derived once from its bytes and its config's (both are
 * content-addressed, so a digest's metadata never changes): sizes, platform, layers, history,
 * annotations, creation time, subject. zot keeps the same in its `ImageMeta`.
 */
import { INDEX_MEDIA_TYPES } from '../../oci/media-types'

export interface LayerMeta {
  digest: string
  size: number
  mediaType: string
}

export interface HistoryMeta {
  created?: string
  createdBy?: string
  author?: string
  comment?: string
  emptyLayer: boolean
}

export interface PlatformMeta {
  os: string
  /** zot's form: `arm64/v8` when the variant is set. */
  arch: string
}

export interface ChildMeta {
  digest: string
  mediaType: string
  size: number
  /** The platform the index declares for the child (used when its config has none). */
  platform?: PlatformMeta
}

export interface ManifestMeta {
  digest: string
  mediaType: string
  kind: 'image' | 'index'
  /** The manifest's own bytes. */
  size: number
  /** `artifactType`, else (images) the config's media type; '' when neither. */
  artifactType: string
  annotations: Record<string, string>
  subject?: string
  configDigest: string
  configSize: number
  layers: LayerMeta[]
  /** From the config (images only). */
  platform: PlatformMeta
  labels: Record<string, string>
  author: string
  /** The config's `created`, else the last history entry's (zot's GetImageLastUpdated). */
  created?: string
  history: HistoryMeta[]
  /** An index's manifests. */
  children: ChildMeta[]
  /**
   * The config blob was not there to read: the pull-through cache stores a manifest before a
   * client asks for its blobs. Read again on later reloads until it is.
   */
  configMissing?: true
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: unknown): string => (typeof value === 'string' ? value : '')
const count = (value: unknown): number => (typeof value === 'number' && Number.isSafeInteger(value) ? value : 0)

function stringMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {}
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  )
}

function parseJson(bytes: Uint8Array | undefined): Json {
  if (!bytes) return {}
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes))
    return isObject(parsed) ? parsed : {}
  } catch {
    return {}
  }
}

export function platformOf(value: unknown): PlatformMeta {
  if (!isObject(value)) return { os: '', arch: '' }
  const arch = text(value.architecture)
  const variant = text(value.variant)
  return { os: text(value.os), arch: variant ? `${arch}/${variant}` : arch }
}

const list = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : [])

function historyOf(config: Json): HistoryMeta[] {
  return list(config.history).map((entry) => ({
    ...(typeof entry.created === 'string' && { created: entry.created }),
    ...(typeof entry.created_by === 'string' && { createdBy: entry.created_by }),
    ...(typeof entry.author === 'string' && { author: entry.author }),
    ...(typeof entry.comment === 'string' && { comment: entry.comment }),
    emptyLayer: entry.empty_layer === true,
  }))
}

/**
 * Derives the metadata of a stored manifest. Lenient on purpose: the registry validated the
 * manifest when it was pushed, and a config that is not an image config (an artifact's) simply
 * has no platform or history.
 */
export function manifestMeta(
  digest: string,
  mediaType: string,
  manifestBytes: Uint8Array,
  configBytes?: Uint8Array,
): ManifestMeta {
  const manifest = parseJson(manifestBytes)
  const declared = mediaType || text(manifest.mediaType)
  const subject = isObject(manifest.subject) ? text(manifest.subject.digest) : ''
  const common = {
    digest,
    mediaType: declared,
    size: manifestBytes.byteLength,
    annotations: stringMap(manifest.annotations),
    ...(subject && { subject }),
  }
  if (INDEX_MEDIA_TYPES.has(declared) || Array.isArray(manifest.manifests)) {
    return {
      ...common,
      kind: 'index',
      artifactType: text(manifest.artifactType),
      configDigest: '',
      configSize: 0,
      layers: [],
      platform: { os: '', arch: '' },
      labels: {},
      author: '',
      history: [],
      children: list(manifest.manifests).map((child) => ({
        digest: text(child.digest),
        mediaType: text(child.mediaType),
        size: count(child.size),
        ...(isObject(child.platform) && { platform: platformOf(child.platform) }),
      })),
    }
  }
  const configDescriptor = isObject(manifest.config) ? manifest.config : {}
  const config = parseJson(configBytes)
  const history = historyOf(config)
  const created = text(config.created) || history.at(-1)?.created
  return {
    ...common,
    kind: 'image',
    artifactType: text(manifest.artifactType) || text(configDescriptor.mediaType),
    configDigest: text(configDescriptor.digest),
    configSize: count(configDescriptor.size),
    layers: list(manifest.layers).map((layer) => ({
      digest: text(layer.digest),
      size: count(layer.size),
      mediaType: text(layer.mediaType),
    })),
    platform: platformOf(config),
    labels: stringMap(isObject(config.config) ? config.config.Labels : undefined),
    author: text(config.author),
    ...(created && { created }),
    history,
    children: [],
  }
}
