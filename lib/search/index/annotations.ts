/**
 * @module
 * zot's reading of image annotations (its `convert/annotations.go`): each field comes from the
 * `org.opencontainers.image.*` annotation, else the older `org.label-schema.*` one, first from
 * the manifest's annotations and then from the config's labels.
 */
export interface ImageAnnotations {
  created?: string
  description: string
  title: string
  documentation: string
  source: string
  licenses: string
  labels: string
  vendor: string
  authors: string
}

const FIELDS: Record<Exclude<keyof ImageAnnotations, 'created' | 'authors' | 'labels'>, [string, string]> = {
  description: ['org.opencontainers.image.description', 'org.label-schema.description'],
  title: ['org.opencontainers.image.title', 'org.label-schema.name'],
  documentation: ['org.opencontainers.image.documentation', 'org.label-schema.usage'],
  source: ['org.opencontainers.image.source', 'org.label-schema.vcs-url'],
  licenses: ['org.opencontainers.image.licenses', 'org.label-schema.license'],
  vendor: ['org.opencontainers.image.vendor', 'org.label-schema.vendor'],
}

const CREATED: [string, string] = ['org.opencontainers.image.created', 'org.label-schema.build-date']

function value(map: Record<string, string>, [annotation, label]: [string, string]): string {
  return map[annotation] || map[label] || ''
}

/** RFC 3339 only, as zot parses it; anything else counts as absent. */
function createdOf(map: Record<string, string>): string | undefined {
  const raw = value(map, CREATED)
  return raw && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(raw) && !Number.isNaN(Date.parse(raw))
    ? raw
    : undefined
}

export function imageAnnotations(
  annotations: Record<string, string>,
  labels: Record<string, string> = {},
): ImageAnnotations {
  const pick = (key: keyof typeof FIELDS) => value(annotations, FIELDS[key]) || value(labels, FIELDS[key])
  const created = createdOf(annotations) ?? createdOf(labels)
  return {
    ...(created && { created }),
    description: pick('description'),
    title: pick('title'),
    documentation: pick('documentation'),
    source: pick('source'),
    licenses: pick('licenses'),
    vendor: pick('vendor'),
    labels: annotations['org.label-schema.labels'] || labels['org.label-schema.labels'] || '',
    authors: annotations['org.opencontainers.image.authors'] || labels['org.opencontainers.image.authors'] || '',
  }
}
